"""Who is ahead: the ranking of teams by the show's ranking rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from msgspec import Struct

from server.core.config import ShowConfig
from server.core.state import Board
from server.core.totals import totals


class Standing(Struct, frozen=True):
    rank: int
    team: str
    name: str
    points: Decimal
    answer_ms: int  # total time of correct timed answers (for the answer_time rule)
    speed_points: Decimal = Decimal(0)  # points won in speed rounds (for the speed_points rule)


def standings(config: ShowConfig, board: Board) -> list[Standing]:
    """Teams best first; equal on every ranking rule means equal rank (1, 1, 3)."""
    summed = totals(board.awards)
    answer_ms = {t: summed.answer_ms.get(t, 0) for t in config.team_ids}
    speed = {t: summed.speed.get(t, Decimal(0)) for t in config.team_ids}
    order = board.tiebreak_order
    pending = len(order)

    def key(team: str) -> tuple[Any, ...]:
        parts: list[Any] = []
        for rule in config.ranking:
            if rule == "points":
                parts.append(-board.scores.get(team, Decimal(0)))
            elif rule == "answer_time":
                parts.append(answer_ms[team])
            elif rule == "speed_points":
                parts.append(-speed[team])
            elif rule == "sudden_death" and team in board.tiebreak_teams:
                parts.append(order.index(team) if team in order else pending)
            else:
                parts.append(0)
        return tuple(parts)

    keys = {t.id: key(t.id) for t in config.teams}
    ranked = sorted(config.teams, key=lambda t: keys[t.id])
    out: list[Standing] = []
    for position, team in enumerate(ranked, start=1):
        rank = out[-1].rank if out and keys[out[-1].team] == keys[team.id] else position
        points = board.scores.get(team.id, Decimal(0))
        out.append(Standing(rank, team.id, team.name, points, answer_ms[team.id], speed[team.id]))
    return out


def ties(table: list[Standing], places: int = 2) -> list[tuple[str, ...]]:
    """Groups of teams sharing a rank within the first ``places`` (winner, runner-up)."""
    groups: dict[int, list[str]] = {}
    for row in table:
        if row.rank <= places:
            groups.setdefault(row.rank, []).append(row.team)
    return [tuple(teams) for teams in groups.values() if len(teams) > 1]
