"""A show's result as the season keeps it: taken from the show's final state when it ends."""

from __future__ import annotations

from decimal import Decimal

from msgspec import Struct

from server.core.config import ShowConfig
from server.core.rounds import round_of
from server.core.standings import standings
from server.core.state import ShowState


class Adjustment(Struct, frozen=True):
    """A score change the producer made by hand on air, with its reason."""

    points: Decimal
    reason: str
    segment: str | None = None


class TeamResult(Struct, frozen=True):
    team: str
    name: str
    points: Decimal  # as played on air
    place: int  # as played on air: the show's ranking, sudden death included
    speed_points: Decimal = Decimal(0)
    answer_ms: int = 0
    segments: dict[str, Decimal] = {}  # segment id -> points won in it
    judges: dict[str, dict[str, dict[str, Decimal]]] = {}  # segment -> judge -> criterion -> score
    adjustments: tuple[Adjustment, ...] = ()


class Named(Struct, frozen=True, array_like=True):
    id: str
    name: str


class ShowResult(Struct, frozen=True):
    show_id: str
    ended_at: int
    segments: tuple[Named, ...]  # the rundown, in order
    judges: tuple[Named, ...]
    criteria: dict[str, tuple[Named, ...]]  # judged segment -> its criteria
    teams: tuple[TeamResult, ...]  # best first


def show_result(config: ShowConfig, state: ShowState, ended_at: int) -> ShowResult:
    """Every team's points by round, judges' scores, adjustments with reasons, and places."""
    board = state.board
    rows = []
    for row in standings(config, board):
        by_segment = {s.id: Decimal(0) for s in config.rundown}
        adjustments = []
        for award in board.awards:
            if award.team != row.team:
                continue
            if award.kind == "adjust":
                adjustments.append(Adjustment(award.points, award.reason, award.segment))
            elif award.segment is not None:
                by_segment[award.segment] = by_segment.get(award.segment, Decimal(0)) + award.points
        judges = {
            segment: {judge: dict(teams[row.team]) for judge, teams in progress.scores.items() if row.team in teams}
            for segment, progress in board.judged.items()
        }
        rows.append(
            TeamResult(
                row.team,
                row.name,
                row.points,
                row.rank,
                row.speed_points,
                row.answer_ms,
                by_segment,
                {segment: scores for segment, scores in judges.items() if scores},
                tuple(adjustments),
            )
        )
    criteria = {
        s.id: tuple(Named(k.id, k.name) for k in round_of(s).criteria(s))
        for s in config.rundown
        if round_of(s).capabilities(config, s).judged
    }
    return ShowResult(
        config.id,
        ended_at,
        tuple(Named(s.id, s.title) for s in config.rundown),
        tuple(Named(j.id, j.name) for j in config.judges),
        criteria,
        tuple(rows),
    )
