"""The initiatives stage's one owner (``server.online.owner``): units submit, the organizers review,
the community votes, the judges score."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from server.core.initiatives.book import (
    Event,
    Initiative,
    InitiativeError,
    InitiativesBook,
    Reviewed,
    Scored,
    Submitted,
    Voted,
)
from server.core.initiatives.config import InitiativesConfig
from server.log.stage_log import StageLog
from server.online.files import FileStore
from server.online.owner import StageOwner
from server.show.service import now_ms

IMAGES_MOST = 5


def initiatives_log(path: str | Path) -> StageLog[Event]:
    """A stage database read as the initiatives stage's events."""
    return StageLog(path, Event)


class InitiativesService(StageOwner[InitiativesBook]):
    def __init__(
        self, config: InitiativesConfig, stage_log: StageLog[Any], files: FileStore, clock: Callable[[], int] = now_ms
    ) -> None:
        self.config = config
        self.files = files
        super().__init__(config.id, stage_log, lambda: InitiativesBook(config), clock)

    async def submit(
        self,
        unit: str,
        title: str,
        summary: str,
        contact: str,
        video: str = "",
        images: tuple[tuple[str, bytes], ...] = (),
        document: tuple[str, bytes] | None = None,
    ) -> Initiative:
        """A unit's initiative, its files kept first (checked: pictures and a PDF), pending review."""
        if len(images) > IMAGES_MOST:
            raise InitiativeError("initiative.too_many_images", most=IMAGES_MOST)
        stored = tuple(self.files.put(data, "image", name) for name, data in images)
        paper = self.files.put(document[1], "document", document[0]) if document else ""
        initiative = f"m{len(self.book.initiatives) + 1:03d}"
        event = Submitted(
            at=self.clock(), initiative=initiative, unit=unit, title=title, summary=summary, contact=contact,
            video=video, images=stored, document=paper,
        )  # fmt: skip
        await self.record(event)
        return self.book.initiatives[initiative]

    async def review(self, initiative: str, approved: bool, note: str = "") -> None:
        await self.record(Reviewed(at=self.clock(), initiative=initiative, approved=approved, note=note))

    async def vote(self, initiative: str, voter: str) -> None:
        await self.record(Voted(at=self.clock(), initiative=initiative, voter=voter))

    async def score(self, judge: str, initiative: str, marks: dict[str, Decimal]) -> None:
        await self.record(Scored(at=self.clock(), initiative=initiative, judge=judge, marks=marks))
