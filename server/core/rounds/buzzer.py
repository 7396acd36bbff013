"""Buzzer rounds: the first team to buzz answers; a wrong answer locks it out and the others may buzz again.

Sudden-death tie-breaks are played as a buzzer round for no points (``sudden_death``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from server.core import commands as c
from server.core import events as ev
from server.core.errors import PhaseError
from server.core.rounds.base import (
    TIEBREAK_ID,
    ZERO,
    Capabilities,
    Ctx,
    Round,
    Segment,
    Settings,
    ShowConfig,
    award,
    check_floor,
    closed,
    read,
    record,
    settings_of,
)
from server.core.state import QPhase, QuestionState


class BuzzerScoring(Settings, frozen=True, tag="buzzer"):
    points: Annotated[Decimal, read("points")] = Decimal(10)
    penalty: Annotated[Decimal, read("points_or_zero")] = Decimal(0)


class Buzzer(Round):
    name = "buzzer"
    settings = BuzzerScoring
    samples = {"question": 2, "buzzer": 2}

    def capabilities(self, config: ShowConfig, segment: Segment) -> Capabilities:
        return Capabilities(questions=True, buzz=True)

    def sudden_death(self) -> BuzzerScoring:
        """The settings of a tie-break: nothing won, nothing lost, only the order of the winners."""
        return BuzzerScoring(points=ZERO, penalty=ZERO)

    def value(self, segment: Segment, points: Decimal | None) -> Decimal:
        if segment.id != TIEBREAK_ID:
            return points if points is not None else settings_of(segment, BuzzerScoring).points
        return points if points is not None else ZERO

    def players(self, x: Ctx, segment: Segment) -> tuple[str, ...]:
        if segment.id == TIEBREAK_ID:  # the tied teams not yet placed
            return tuple(t for t in x.board.tiebreak_teams if t not in x.board.tiebreak_order)
        return super().players(x, segment)

    def check_buzz(self, x: Ctx, segment: Segment, question: QuestionState) -> None:
        return None  # any team still in may buzz while the question is open

    def judge_answer(
        self, x: Ctx, segment: Segment, question: QuestionState, team: Any, correct: bool
    ) -> list[ev.Event]:
        check_floor(x, question, team)
        if question.phase is not QPhase.ANSWERING:
            raise PhaseError("rule.nobody_buzzed")
        return record(x, team.id, correct) + self._judge_buzz(x, segment, question, team.id, correct)

    def _judge_buzz(
        self, x: Ctx, segment: Segment, question: QuestionState, team: str, correct: bool
    ) -> list[ev.Event]:
        if segment.id == TIEBREAK_ID:
            if correct:
                return [ev.TiebreakWon(team), *closed(x)]
            return [ev.TeamLocked(team), *_reopen_or_close(x, question, team)]
        if correct:
            return [*award(x, question, team, question.value, "correct"), *closed(x)]
        return [
            *award(x, question, team, -settings_of(segment, BuzzerScoring).penalty, "wrong"),
            ev.TeamLocked(team),
            *_reopen_or_close(x, question, team),
        ]

    def simulate(self, sim: Any, segment: Segment) -> None:
        for _ in segment.slots:
            sim.cmd(c.ShowQuestion)
            sim.buzz_until_closed(p_correct=0.6)
            sim.cmd(c.RevealAnswer)


def _reopen_or_close(x: Ctx, question: QuestionState, locked: str) -> list[ev.Event]:
    others = [t for t in question.eligible if t not in question.locked and t != locked]
    if not others:
        return closed(x)
    reopened: list[ev.Event] = [ev.QuestionMoved(QPhase.OPEN)]
    if x.board.timer.remaining_ms > 0:
        reopened.append(x.timer_resumed())
    return reopened


ROUND = Buzzer()
