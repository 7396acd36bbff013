"""What happens to a season, as events in its log, and the state they fold to."""

from __future__ import annotations

from decimal import Decimal

from msgspec import Struct, field

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


SeasonEvent = LineupsConfirmed | ResultRecorded | PointsCorrected


class SeasonState(Struct, frozen=True):
    seq: int = 0
    lineups: dict[str, LineupsConfirmed] = field(default_factory=dict)  # stage -> its confirmation
    results: dict[str, ShowResult] = field(default_factory=dict)  # "stage/index" -> result
    corrections: tuple[PointsCorrected, ...] = ()

    def result(self, stage: str, index: int) -> ShowResult | None:
        return self.results.get(key(stage, index))


def key(stage: str, index: int) -> str:
    return f"{stage}/{index}"


def apply(state: SeasonState, event: SeasonEvent) -> SeasonState:
    """The state after one event; events were checked before they were logged."""
    seq = state.seq + 1
    if isinstance(event, LineupsConfirmed):
        return SeasonState(seq, {**state.lineups, event.stage: event}, state.results, state.corrections)
    if isinstance(event, ResultRecorded):
        results = {**state.results, key(event.stage, event.index): event.result}
        return SeasonState(seq, state.lineups, results, state.corrections)
    return SeasonState(seq, state.lineups, state.results, (*state.corrections, event))


def fold(events: list[SeasonEvent]) -> SeasonState:
    state = SeasonState()
    for event in events:
        state = apply(state, event)
    return state
