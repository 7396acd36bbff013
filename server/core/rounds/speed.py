"""Speed rounds: every team answers on its pad; the right answers score by how fast they came (or flat)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any

from server.core import commands as c
from server.core import events as ev
from server.core.errors import PhaseError, RuleError
from server.core.rounds.base import (
    Capabilities,
    Ctx,
    Question,
    Read,
    Round,
    Segment,
    Settings,
    ShowConfig,
    multiple_choice,
    read,
    settings_of,
)
from server.core.state import Award, QPhase, QuestionState


def _flat(points: Decimal) -> tuple[Decimal, ...]:
    return (points,)


class SpeedScoring(Settings, frozen=True, tag="speed"):
    # "rank": points by rank of time; "accuracy": flat points per correct answer
    mode: Annotated[str, read("choice", choices=("rank", "accuracy"))] = "rank"
    points: Annotated[
        tuple[Decimal, ...],
        read("rank_points", when=("mode", {"accuracy": Read("points", default=Decimal(10), convert=_flat)})),
    ] = (Decimal(40), Decimal(30), Decimal(20), Decimal(10))
    allow_change: Annotated[bool, read("bool")] = False


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


class Speed(Round):
    name = "speed"
    settings = SpeedScoring
    hides_grades = True  # speed answers are graded in secret until the reveal; other rounds judge on air
    samples = {"question": 1, "buzzer": 1}

    def capabilities(self, config: ShowConfig, segment: Segment) -> Capabilities:
        return Capabilities(questions=True, pad_answers=True, choices=multiple_choice(config, segment), speed=True)

    def submit_answer(
        self, x: Ctx, segment: Segment, question: QuestionState, team: Any, text: str, qconf: Question, elapsed: int
    ) -> list[ev.Event]:
        if team.id in question.answers and not settings_of(segment, SpeedScoring).allow_change:
            raise RuleError("rule.one_answer", team=team.name)
        correct = (text == qconf.answer) if qconf.multiple_choice else None
        return [ev.AnswerSubmitted(team.id, text, x.at, elapsed, correct)]

    def judge_answer(
        self, x: Ctx, segment: Segment, question: QuestionState, team: Any, correct: bool
    ) -> list[ev.Event]:
        if question.phase is QPhase.ANSWERING or question.phase is QPhase.STEAL:
            raise PhaseError("rule.cant_judge_now")
        if team.id not in question.answers:
            raise RuleError("rule.not_answered", team=team.name)
        return [ev.AnswerGraded(team.id, correct)]

    def on_reveal(self, x: Ctx, segment: Segment, question: QuestionState, cmd: c.RevealAnswer) -> list[ev.Event]:
        waiting = [t for t, a in question.answers.items() if a.correct is None]
        if waiting:
            name = x.team_name(waiting[0])
            raise RuleError("rule.grade_first", team=name)
        correct = {t: a.elapsed_ms for t, a in question.answers.items() if a.correct}
        out: list[ev.Event] = []
        for team, points in rank_points(settings_of(segment, SpeedScoring), correct).items():
            award = Award(x.state.seq + 1, team, points, "speed", question.segment, question.id, "", correct[team])
            out.append(ev.PointsAwarded(award))
        return out

    def simulate(self, sim: Any, segment: Segment) -> None:
        for qid in segment.questions:
            question = sim.config.questions[qid]
            sim.cmd(c.ShowQuestion)
            sim.cmd(c.OpenAnswers)
            opened = sim.now
            limit = (question.time_ms or segment.timer_ms or 30000) - 200
            answers = []
            for team in sim.config.teams:
                if sim.rng.random() < 0.9:
                    answers.append((sim.rng.randint(800, limit), team.id, sim.answer(question)))
            for delay, team, text in sorted(answers):
                sim.cmd(c.SubmitAnswer, by=c.Actor("team", team), team=team, answer=text, wait=opened + delay - sim.now)
            sim.cmd(c.CloseAnswers)
            for team, answer in sim.question.answers.items():
                if answer.correct is None:
                    sim.cmd(c.JudgeAnswer, team=team, correct=answer.text == question.answer)
            sim.cmd(c.RevealAnswer)


ROUND = Speed()
