"""Turns rounds: each question belongs to a team on turn, answered on its pad or aloud; the others may steal."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar

from msgspec import Struct

from server.core import commands as c
from server.core import events as ev
from server.core.errors import PhaseError, RuleError
from server.core.rounds.base import (
    TIEBREAK_ID,
    ZERO,
    Capabilities,
    Ctx,
    Question,
    Round,
    Segment,
    Settings,
    ShowConfig,
    award,
    check_floor,
    closed,
    multiple_choice,
    read,
    record,
    settings_of,
)
from server.core.state import QPhase, QuestionState


class Steal(Struct, frozen=True):
    window_ms: Annotated[int, read("seconds", key="window")] = 5000
    points: Annotated[Decimal | None, read("points")] = None  # None: the question's points
    penalty: Annotated[Decimal, read("points_or_zero")] = Decimal(0)  # points lost on a wrong steal (turns)
    # share of the value lost on a wrong steal (packages)
    penalty_share: Annotated[Decimal, read("share")] = Decimal(0)
    # a correct steal takes the points from the team on turn
    take_from_turn: Annotated[bool, read("bool")] = False


class TurnsScoring(Settings, frozen=True, tag="turns"):
    points: Annotated[Decimal, read("points")] = Decimal(10)
    penalty: Annotated[Decimal, read("points_or_zero")] = Decimal(0)
    steal: Annotated[Steal | None, read("settings", item=Steal)] = None


def steal_outcome(steal: Steal, value: Decimal, correct: bool) -> tuple[Decimal, Decimal]:
    """(points for the stealing team, points taken from the team on turn)."""
    worth = steal.points if steal.points is not None else value
    if correct:
        return worth, (worth if steal.take_from_turn else ZERO)
    return -(steal.penalty + value * steal.penalty_share), ZERO


class Turns(Round):
    name = "turns"
    settings: ClassVar[type[Settings]] = TurnsScoring
    samples = {"question": 3, "buzzer": 3}

    def capabilities(self, config: ShowConfig, segment: Segment) -> Capabilities:
        steal = self.stealing(segment) is not None
        choices = multiple_choice(config, segment)
        return Capabilities(questions=True, turns=True, pad_answers=True, choices=choices, buzz=steal, steal=steal)

    def check_questions(self, scoring: Any, slots: tuple[Any, ...], questions: dict[str, Question]) -> list[str]:
        if any(s.team is None for s in slots) and any(s.team is not None for s in slots):
            return ["give every question a team, or none (then teams take turns in order)"]
        return []

    def turn_of(self, x: Ctx, segment: Segment, qid: str) -> str | None:
        index = segment.questions.index(qid)
        slot = segment.slots[index]
        return slot.team or x.config.team_ids[index % len(x.config.teams)]

    def value(self, segment: Segment, points: Decimal | None) -> Decimal:
        if segment.id != TIEBREAK_ID:
            return points if points is not None else settings_of(segment, TurnsScoring).points
        return points if points is not None else ZERO

    def stealing(self, segment: Segment) -> Steal | None:
        """How the other teams may steal a question the team on turn missed, if they may."""
        return settings_of(segment, TurnsScoring).steal

    def outcome(self, segment: Segment, question: QuestionState, correct: bool) -> Decimal:
        """The points the team on turn wins (positive) or loses (negative)."""
        return question.value if correct else -settings_of(segment, TurnsScoring).penalty

    def check_buzz(self, x: Ctx, segment: Segment, question: QuestionState) -> None:
        # The others buzz only to steal, once the team on turn has answered wrong.
        if question.phase is QPhase.OPEN:
            raise PhaseError("rule.on_turn_answering")

    def submit_answer(
        self, x: Ctx, segment: Segment, question: QuestionState, team: Any, text: str, qconf: Question, elapsed: int
    ) -> list[ev.Event]:
        if team.id != question.turn:
            turn = x.team_name(question.turn or "")
            raise RuleError("rule.not_your_turn", turn=turn, team=team.name)
        if team.id in question.answers:
            raise RuleError("rule.already_answered", team=team.name)
        return [ev.AnswerSubmitted(team.id, text, x.at, elapsed, None)]

    def judge_answer(
        self, x: Ctx, segment: Segment, question: QuestionState, team: Any, correct: bool
    ) -> list[ev.Event]:
        check_floor(x, question, team)
        stealing = question.turn is not None and team.id != question.turn
        if stealing:
            return record(x, team.id, correct) + self._judge_steal(x, segment, question, team.id, correct)
        return record(x, team.id, correct) + self._judge_turn(x, segment, question, team.id, correct)

    def _judge_turn(
        self, x: Ctx, segment: Segment, question: QuestionState, team: str, correct: bool
    ) -> list[ev.Event]:
        if question.phase not in (QPhase.OPEN, QPhase.CLOSED):
            raise PhaseError("rule.turn_answers_not_open")
        points = self.outcome(segment, question, correct)
        out = award(x, question, team, points, "correct" if correct else "wrong")
        if correct:
            return out + closed(x)
        out.append(ev.TeamLocked(team))
        stealers = [t for t in question.eligible if t != team]
        steal = self.stealing(segment)
        if steal is None or not stealers:
            return out + closed(x)
        return [*out, ev.QuestionMoved(QPhase.STEAL), x.timer_started(steal.window_ms)]

    def _judge_steal(
        self, x: Ctx, segment: Segment, question: QuestionState, team: str, correct: bool
    ) -> list[ev.Event]:
        steal = self.stealing(segment)
        assert steal is not None
        if question.phase is not QPhase.ANSWERING:
            raise PhaseError("rule.no_steal_buzz")
        gain, taken = steal_outcome(steal, question.value, correct)
        out = award(x, question, team, gain, "steal" if correct else "wrong")
        if taken and question.turn is not None:
            out += award(x, question, question.turn, -taken, "stolen")
        return [*out, ev.TeamLocked(team), *closed(x)]

    def simulate(self, sim: Any, segment: Segment) -> None:
        for _ in segment.slots:
            sim.cmd(c.ShowQuestion)
            play_turn(sim, p_correct=0.6)


def play_turn(sim: Any, p_correct: float) -> None:
    """A simulated question on turn: the team answers, and a wrong answer may be stolen."""
    sim.cmd(c.OpenAnswers)
    turn = sim.question.turn
    sim.cmd(c.JudgeAnswer, team=turn, correct=sim.rng.random() < p_correct, wait=sim.rng.randint(2000, 9000))
    if sim.question.phase is QPhase.STEAL:
        stealers = [t for t in sim.question.eligible if t != turn]
        if sim.rng.random() < 0.5:
            stealer = sim.rng.choice(stealers)
            sim.cmd(c.Buzz, by=c.Actor("team", stealer), team=stealer, wait=sim.rng.randint(300, 3000))
            sim.cmd(c.JudgeAnswer, team=stealer, correct=sim.rng.random() < 0.5)
        else:
            sim.cmd(c.CloseAnswers)
    sim.cmd(c.RevealAnswer)


ROUND = Turns()
