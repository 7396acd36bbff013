"""A season's owner: its log in the show database, its shows made from the stages' templates, and
the results that flow back when they end. The only writer of the season's events (each one checked
by ``server.core.season.rules`` first, then committed, then folded)."""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from server.core.config import ShowConfig
from server.core.errors import NotFound, quote
from server.core.season import rules
from server.core.season.config import SeasonConfig, show_id
from server.core.season.events import SeasonEvent, SeasonState, apply, fold
from server.core.season.results import show_result
from server.core.state import ShowPhase, ShowState
from server.log.store import EventLog
from server.season.lineup import season_show
from server.season.online_ranking import read_ranking
from server.season.parse import load_season
from server.season.view import season_view


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class SeasonBook:
    def __init__(self, season: SeasonConfig, log: EventLog, clock: Callable[[], int] = _now_ms) -> None:
        self.season = season
        self.log = log
        self.clock = clock
        self.state = SeasonState()
        self.reload()

    @classmethod
    def open(cls, path: str | Path, log: EventLog, clock: Callable[[], int] = _now_ms) -> SeasonBook:
        """The season of a season file (``ConfigError`` if it is not valid), registered in ``log``."""
        season = load_season(path)
        log.add_season(season.id, season.title, Path(path).read_text(encoding="utf-8"), clock())
        return cls(season, log, clock)

    def reload(self) -> None:
        """Catch up with events another process (the CLI, another show's server) wrote."""
        self.state = fold(list(self.log.season_events(self.season.id)))

    def _commit(self, decide: Callable[[SeasonState], SeasonEvent]) -> SeasonEvent:
        for _ in range(3):
            self.reload()
            event = decide(self.state)
            try:
                self.log.append_season_event(self.season.id, self.state.seq + 1, event)
            except sqlite3.IntegrityError:
                continue  # another process wrote first: decide again on the new state
            self.state = apply(self.state, event)
            return event
        raise RuntimeError("the season's log keeps changing under us")

    # -- commands -------------------------------------------------------------------------

    def confirm(
        self,
        stage: str,
        by: str = "producer",
        lineups: tuple[tuple[str, ...], ...] | None = None,
        reason: str = "",
        seed: int | None = None,
        expect: tuple[tuple[str, ...], ...] | None = None,
    ) -> SeasonEvent:
        """Confirm a stage's line-ups: the rules' (any draw made with a fresh seed, kept in the log;
        with ``expect``, only if they are still those), or by hand with a reason."""
        seed = secrets.randbits(32) if seed is None else seed
        return self._commit(
            lambda s: rules.confirm(self.season, s, stage, self.clock(), by, seed, lineups, reason, expect)
        )

    def correct(
        self, stage: str, index: int, team: str, points: Decimal, reason: str, by: str = "producer"
    ) -> SeasonEvent:
        return self._commit(
            lambda s: rules.correct(self.season, s, stage, index, team, points, reason, self.clock(), by)
        )

    def record(
        self, config: ShowConfig, state: ShowState | None = None, ended_at: int | None = None
    ) -> SeasonEvent | None:
        """Record a season show's result if it has ended and the season does not hold that result
        yet (a show ended again after an undo replaces it). ``state``: the show's state (default:
        read from the database; ``ended_at`` then its last action's time)."""
        where = self.locate(config.id)
        if where is None:
            return None
        if state is None:
            state = self.log.load(config.id)
            last = next(reversed(list(self.log.actions(config.id))), None)
            ended_at = last.command.at if last else None
        if state.board.phase is not ShowPhase.ENDED:
            return None
        stage, index = where
        result = show_result(config, state, self.clock() if ended_at is None else ended_at)
        held = self.state.result(stage, index)
        if held is not None and msgspec.structs.replace(held, ended_at=result.ended_at) == result:
            return None  # the same result (what happened after the end changes no points)
        return self._commit(lambda s: rules.record(self.season, s, stage, index, result, self.clock(), "system"))

    def rank(self, stage: str, by: str = "organizers", db: Path | None = None) -> SeasonEvent | None:
        """Take an online stage's ranking from its server's database (``db``: not the one the season
        file names) into the season; None if the season holds that ranking already."""
        spec = self.season.online_stage(stage)
        if spec is None:
            return self._commit(lambda s: rules.rank(self.season, s, stage, (), self.clock(), by))  # says why not
        rows = read_ranking(spec, db or Path(spec.db))
        held = self.state.rankings.get(stage)
        if held is not None and held.rows == rows:
            return None
        return self._commit(lambda s: rules.rank(self.season, s, stage, rows, self.clock(), by))

    def sync(self) -> list[SeasonEvent]:
        """Record every ended season show in the database whose result the season lacks."""
        out = []
        for sid, _, _ in self.log.shows():
            where = self.locate(sid)
            if where is not None and where[0] in self.state.lineups:
                event = self.record(self.show_config(*where))
                if event is not None:
                    out.append(event)
        return out

    # -- reading --------------------------------------------------------------------------

    def locate(self, sid: str) -> tuple[str, int] | None:
        """(stage, index) of a season show's id."""
        for stage in self.season.stages:
            for index in range(stage.shows):
                if show_id(self.season, stage.id, index) == sid:
                    return stage.id, index
        return None

    def show_config(self, stage: str, index: int) -> ShowConfig:
        """The show to play: the stage's template with the confirmed teams."""
        spec = self.season.stage(stage)
        if spec is None:
            raise NotFound("season.no_stage", stage=quote(stage))
        teams = rules.lineup(self.season, self.state, stage, index)
        return season_show(self.season, spec, index, teams)

    def view(self, live: str | None = None) -> dict[str, Any]:
        return season_view(self.season, self.state, live)
