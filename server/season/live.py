"""A season show on the live server: made from the season file, its result recorded when it ends,
the season's standings and bracket in its views, the next line-ups confirmed from the controller."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from server.core.config import ShowConfig
from server.core.errors import NotFound, quote
from server.core.state import ShowPhase
from server.log.store import EventLog
from server.season.book import SeasonBook

if TYPE_CHECKING:
    from server.show.service import ShowService

log = logging.getLogger(__name__)


class SeasonConfirm(msgspec.Struct, frozen=True):
    """The rules' line-ups for ``stage`` (a draw among ties made now), or ``lineups`` by hand."""

    stage: str
    lineups: tuple[tuple[str, ...], ...] | None = None
    reason: str = ""
    expect: tuple[tuple[str, ...], ...] | None = None  # the proposal the producer saw: refused if it moved


class SeasonCorrect(msgspec.Struct, frozen=True):
    """Points of a played show changed after it, with the reason (an upheld appeal)."""

    show: str
    team: str
    points: Decimal
    reason: str


def season_show_config(season_path: Path, db_path: Path, show: str) -> tuple[ShowConfig, str, Path]:
    """The show ``show`` of a season (``vl-1`` or its full id ``qn2024-vl-1``): its config, the
    config's text for the database, and the folder its media paths are relative to."""
    db = EventLog(db_path)
    try:
        book = SeasonBook.open(season_path, db)
        where = book.locate(show) or book.locate(f"{book.season.id}-{show}")
        if where is None:
            ids = [f"{s.id}-{n + 1}" for s in book.season.stages for n in range(s.shows)]
            raise NotFound("season.no_show_listed", show=quote(show), shows=", ".join(ids))
        config = book.show_config(*where)
        stage = book.season.stage(where[0])
        assert stage is not None
        return config, msgspec.json.encode(config).decode(), Path(stage.show_file).parent
    finally:
        db.close()


class SeasonDesk:
    """The season as seen from one of its shows while it is on air."""

    def __init__(self, book: SeasonBook, service: ShowService) -> None:
        self.book = book
        self.service = service
        self._due: asyncio.Handle | None = None
        self._seen = -1  # the show's revision last looked at after its end

    def start(self) -> None:
        self.book.sync()
        self.refresh()
        self.service.subscribe(self._updated)

    def refresh(self) -> None:
        self.service.set_season(self.book.view(live=self.service.config.id))

    def _updated(self, _updates: list) -> None:
        state = self.service.state
        if state.board.phase is ShowPhase.ENDED and state.seq != self._seen and self._due is None:
            # Not from inside the service's publishing: right after it.
            self._due = asyncio.get_running_loop().call_soon(self._record)

    def _record(self) -> None:
        self._due = None
        service = self.service
        self._seen = service.state.seq
        try:
            if self.book.record(service.config, service.state, service.clock()) is not None:
                self.refresh()
        except Exception:  # the show has ended on air whatever happens to the season's books
            log.exception("could not record the show's result in the season")

    def confirm(self, command: SeasonConfirm) -> None:
        self.book.confirm(command.stage, "producer", command.lineups, command.reason, expect=command.expect)
        self.refresh()

    def correct(self, command: SeasonCorrect) -> None:
        where = self.book.locate(command.show)
        if where is None:
            raise NotFound("season.no_show", show=quote(command.show))
        self.book.correct(*where, command.team, command.points, command.reason, "producer")
        self.refresh()
