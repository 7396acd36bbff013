"""How many points: the arithmetic of each round type, free of any state."""

from __future__ import annotations

import random
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from server.core.config import JudgedScoring, PackagesScoring, SpeedScoring, Steal, TurnsScoring
from server.core.state import Ballot, Winner

ZERO = Decimal(0)


def rank_points(scoring: SpeedScoring, correct_ms: Mapping[str, int]) -> dict[str, Decimal]:
    """Points for the teams that answered correctly, by how fast (ms after opening).

    In rank mode the fastest gets ``points[0]`` and so on; exact ties share the better
    rank's points and the next rank is skipped (40, 40, 20). In accuracy mode every
    correct answer gets ``points[0]``.
    """
    if scoring.mode == "accuracy":
        return {team: scoring.points[0] for team in correct_ms}
    out: dict[str, Decimal] = {}
    ordered = sorted(correct_ms.items(), key=lambda item: (item[1], item[0]))
    for team, elapsed in ordered:
        rank = sum(1 for other in correct_ms.values() if other < elapsed)
        if rank < len(scoring.points):
            out[team] = scoring.points[rank]
    return out


def turn_outcome(scoring: TurnsScoring | PackagesScoring, value: Decimal, star: bool, correct: bool) -> Decimal:
    """The points the team on turn wins (positive) or loses (negative)."""
    if isinstance(scoring, TurnsScoring):
        return value if correct else -scoring.penalty
    if star and scoring.star is not None:
        return value * scoring.star.multiplier if correct else -value * scoring.star.penalty_share
    return value if correct else -value * scoring.penalty_share


def steal_outcome(steal: Steal, value: Decimal, correct: bool) -> tuple[Decimal, Decimal]:
    """(points for the stealing team, points taken from the team on turn)."""
    worth = steal.points if steal.points is not None else value
    if correct:
        return worth, (worth if steal.take_from_turn else ZERO)
    return -(steal.penalty + value * steal.penalty_share), ZERO


def judged_points(
    scoring: JudgedScoring,
    judge_totals: list[Decimal],
    votes: Mapping[str, int],
    team: str,
) -> Decimal:
    """A team's judged-round points: judges' (trimmed) mean, plus the audience's share.

    Audience votes are normalised across teams: the most-voted team gets the whole share.
    If nobody voted at all (the phones failed), the judges' mean counts in full.
    """
    totals = sorted(judge_totals)
    if scoring.trimmed and len(totals) >= 3:
        totals = totals[1:-1]
    mean = sum(totals, ZERO) / len(totals) if totals else ZERO
    share = scoring.audience_share
    top = max(votes.values(), default=0)
    points = mean
    if share and top:
        points = mean * (1 - share) + scoring.max_total * share * Decimal(votes.get(team, 0)) / Decimal(top)
    return points.quantize(Decimal(1).scaleb(-scoring.decimals), rounding=ROUND_HALF_UP)


def first_winners(correct: list[tuple[str, Ballot]], count: int) -> tuple[Winner, ...]:
    """The first ``count`` correct ballots by server receive time."""
    ordered = sorted(correct, key=lambda item: (item[1].at, item[0]))
    return tuple(Winner(device, ballot.nickname, ballot.at) for device, ballot in ordered[:count])


def draw_winners(correct: list[tuple[str, Ballot]], count: int, seed: int) -> tuple[Winner, ...]:
    """A draw among correct ballots that the same seed always repeats."""
    ordered = sorted(correct, key=lambda item: item[0])
    picked = random.Random(seed).sample(ordered, min(count, len(ordered)))
    return tuple(Winner(device, ballot.nickname, ballot.at) for device, ballot in picked)
