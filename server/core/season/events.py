"""What happens to a season, as events in its log, and the state they fold to."""

from __future__ import annotations

from decimal import Decimal

from msgspec import Struct, field
from msgspec.structs import replace

from server.core.season.results import ShowResult


class LineupsConfirmed(Struct, frozen=True, tag="lineups"):
    """The teams of every show of a stage: the rules' proposal (with the seed of any draw it
    needed), or fixed by hand with a reason."""

    at: int
    by: str
    stage: str
    lineups: tuple[tuple[str, ...], ...]
    seed: int | None = None
    by_hand: bool = False
    reason: str = ""


class ResultRecorded(Struct, frozen=True, tag="result"):
    """A show of the season ended; its result as played on air."""

    at: int
    by: str
    stage: str
    index: int
    result: ShowResult


class PointsCorrected(Struct, frozen=True, tag="correction"):
    """Points changed after a show (an upheld appeal, a marking error), with the reason."""

    at: int
    by: str
    stage: str
    index: int
    team: str
    points: Decimal
    reason: str


class Placed(Struct, frozen=True, array_like=True):
    """A unit in an online stage's ranking: its place (shared when tied), what it is ranked by
    (an initiative's or an entrant's name, or ""), and its points."""

    place: int
    unit: str
    title: str
    points: Decimal


class RankingRecorded(Struct, frozen=True, tag="ranking"):
    """An online stage's ranking as the organizers took it from its server, best first (taken again,
    it replaces the one before)."""

    at: int
    by: str
    stage: str
    rows: tuple[Placed, ...]


SeasonEvent = LineupsConfirmed | ResultRecorded | PointsCorrected | RankingRecorded


class SeasonState(Struct, frozen=True):
    seq: int = 0
    lineups: dict[str, LineupsConfirmed] = field(default_factory=dict)  # stage -> its confirmation
    results: dict[str, ShowResult] = field(default_factory=dict)  # "stage/index" -> result
    corrections: tuple[PointsCorrected, ...] = ()
    rankings: dict[str, RankingRecorded] = field(default_factory=dict)  # online stage -> its ranking

    def result(self, stage: str, index: int) -> ShowResult | None:
        return self.results.get(key(stage, index))


def key(stage: str, index: int) -> str:
    return f"{stage}/{index}"


def apply(state: SeasonState, event: SeasonEvent) -> SeasonState:
    """The state after one event; events were checked before they were logged."""
    seq = state.seq + 1
    if isinstance(event, LineupsConfirmed):
        return replace(state, seq=seq, lineups={**state.lineups, event.stage: event})
    if isinstance(event, ResultRecorded):
        return replace(state, seq=seq, results={**state.results, key(event.stage, event.index): event.result})
    if isinstance(event, RankingRecorded):
        return replace(state, seq=seq, rankings={**state.rankings, event.stage: event})
    return replace(state, seq=seq, corrections=(*state.corrections, event))


def fold(events: list[SeasonEvent]) -> SeasonState:
    state = SeasonState()
    for event in events:
        state = apply(state, event)
    return state
