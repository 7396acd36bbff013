"""The initiatives stage's one owner (``server.online.owner``): units submit, the organizers review,
the community votes, the judges score."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
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
from server.online.stage_link import EdgeLink, EdgeService
from server.show.service import now_ms

IMAGES_MOST = 5


def initiatives_log(path: str | Path) -> StageLog[Event]:
    """A stage database read as the initiatives stage's events."""
    return StageLog(path, Event)


def keep(
    files: FileStore, images: tuple[tuple[str, bytes], ...], document: tuple[str, bytes] | None
) -> tuple[tuple[str, ...], str]:
    """An initiative's pictures and document kept in ``files`` (``InitiativeError`` for one that is not
    what it claims, too big, or too many): their stored names."""
    if len(images) > IMAGES_MOST:
        raise InitiativeError("initiative.too_many_images", most=IMAGES_MOST)
    stored = tuple(files.put(data, "image", name) for name, data in images)
    return stored, files.put(document[1], "document", document[0]) if document else ""


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
        stored, paper = keep(self.files, images, document)
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

    async def file_path(self, stored: str) -> Path | None:
        """Where a stored file is (``FileStore.path``)."""
        return self.files.path(stored)


class EdgeInitiativesService(EdgeService[InitiativesBook]):
    """The initiatives stage as an edge of a cluster serves it (``server.online.stage_link``): its copy of
    the book, every change done by the owner, the files fetched from it once and kept. The same calls as
    ``InitiativesService``."""

    def __init__(self, config: InitiativesConfig, link: EdgeLink, files: FileStore, clock: Callable[[], int]) -> None:
        super().__init__(config, link, clock)
        self.files = files

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
        """Its files checked and kept here first (a wrong one refused without a trip to the owner), then sent."""
        keep(self.files, images, document)
        sent = await self.link.ask("submit", unit, title, summary, contact, video, images, document)
        return self.book.initiatives[sent]

    async def review(self, initiative: str, approved: bool, note: str = "") -> None:
        await self.link.ask("review", initiative, approved, note)

    async def vote(self, initiative: str, voter: str) -> None:
        await self.link.ask("vote", initiative, voter)

    async def score(self, judge: str, initiative: str, marks: dict[str, Decimal]) -> None:
        await self.link.ask("score", judge, initiative, {k: str(v) for k, v in marks.items()})

    async def file_path(self, stored: str) -> Path | None:
        """A stored file: kept here since it was last asked for, else fetched from the owner."""
        if not FileStore.valid(stored):
            return None
        if self.files.path(stored) is None:
            data = await self.link.ask("file", stored)
            if data is None:
                return None
            kind = "document" if stored.endswith(".pdf") else "image"
            self.files.put(base64.b64decode(data), kind, stored)
        return self.files.path(stored)


def initiatives_ops(service: InitiativesService) -> dict[str, Callable[..., Awaitable[Any]]]:
    """What a cluster's owner does for its edges (``EdgeInitiativesService``), with the answers' JSON."""

    async def submit(
        unit: str, title: str, summary: str, who: str, video: str, images: list[list[str]], document: list[str] | None
    ) -> str:
        pictures = tuple((name, base64.b64decode(data)) for name, data in images)
        paper = (document[0], base64.b64decode(document[1])) if document else None
        return (await service.submit(unit, title, summary, who, video, pictures, paper)).id

    async def score(judge: str, initiative: str, marks: dict[str, str]) -> None:
        await service.score(judge, initiative, {k: Decimal(v) for k, v in marks.items()})

    async def file(stored: str) -> bytes | None:
        path = service.files.path(stored)
        return None if path is None else await asyncio.to_thread(path.read_bytes)

    return {"submit": submit, "review": service.review, "vote": service.vote, "score": score, "file": file}
