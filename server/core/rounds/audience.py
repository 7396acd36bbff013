"""Audience rounds: the phones answer multiple-choice questions; the first right answers or a seeded draw win."""

from __future__ import annotations

import random
from typing import Annotated, Any

from server.core import commands as c
from server.core import events as ev
from server.core.errors import InvalidCommand, RuleError
from server.core.rounds.base import (
    Capabilities,
    Ctx,
    Question,
    Round,
    Segment,
    Settings,
    ShowConfig,
    read,
    settings_of,
    tally_view,
    timer_view,
)
from server.core.state import Ballot, QPhase, QuestionState, ShowState, Winner, poll_key


class AudienceScoring(Settings, frozen=True, tag="audience"):
    # "first": the first K correct; "draw": a seeded draw among the correct
    winners: Annotated[str, read("choice", choices=("first", "draw"))] = "first"
    count: Annotated[int, read("int", lo=1, hi=100)] = 3


def first_winners(correct: list[tuple[str, Ballot]], count: int) -> tuple[Winner, ...]:
    """The first ``count`` correct ballots by server receive time."""
    ordered = sorted(correct, key=lambda item: (item[1].at, item[0]))
    return tuple(Winner(device, ballot.nickname, ballot.at) for device, ballot in ordered[:count])


def draw_winners(correct: list[tuple[str, Ballot]], count: int, seed: int) -> tuple[Winner, ...]:
    """A draw among correct ballots that the same seed always repeats."""
    ordered = sorted(correct, key=lambda item: item[0])
    picked = random.Random(seed).sample(ordered, min(count, len(ordered)))
    return tuple(Winner(device, ballot.nickname, ballot.at) for device, ballot in picked)


class Audience(Round):
    name = "audience"
    settings = AudienceScoring
    needs_teams = False  # a hall quiz: the phones play
    samples = {"question": 5, "buzzer": 5, "audience": 1}

    def capabilities(self, config: ShowConfig, segment: Segment) -> Capabilities:
        return Capabilities(questions=True, votes=True)

    def check_questions(self, scoring: Any, slots: tuple[Any, ...], questions: dict[str, Question]) -> list[str]:
        return [
            f"questions: audience question '{slot.question}' needs options A-D"
            for slot in slots
            if not questions[slot.question].multiple_choice
        ]

    def on_reveal(self, x: Ctx, segment: Segment, question: QuestionState, cmd: c.RevealAnswer) -> list[ev.Event]:
        scoring = settings_of(segment, AudienceScoring)
        answer = x.config.questions[question.id].answer
        box = x.state.ballots.get(poll_key(question.id, question.epoch), {})
        correct = [(device, b) for device, b in box.items() if answer is not None and b.option == answer]
        if scoring.winners == "draw":
            if cmd.seed is None:
                raise InvalidCommand("rule.draw_needs_seed")
            return [ev.WinnersDrawn(question.id, draw_winners(correct, scoring.count, cmd.seed), cmd.seed)]
        return [ev.WinnersDrawn(question.id, first_winners(correct, scoring.count))]

    def open_poll(
        self, x: Ctx, segment: Segment, question: QuestionState | None
    ) -> tuple[str, tuple[str, ...], int | None, int | None] | None:
        if question is None:
            return None
        if question.phase is not QPhase.OPEN:
            raise RuleError("vote.closed")
        options = tuple(x.config.questions[question.id].options or {})
        return poll_key(question.id, question.epoch), options, question.opened_at, x.board.timer.deadline

    def question_view(self, state: ShowState, question: QuestionState) -> dict[str, Any]:
        return {"tally": tally_view(state, poll_key(question.id, question.epoch))}

    def poll_view(self, config: ShowConfig, state: ShowState, segment: Segment) -> dict[str, Any] | None:
        board = state.board
        question = board.question
        if question is None:
            return None
        qconf = config.questions[question.id]
        key = poll_key(question.id, question.epoch)
        revealed = question.phase is QPhase.REVEALED
        return {
            "id": key,
            "kind": "question",
            "text": qconf.text,
            "options": qconf.options,
            "open": question.phase is QPhase.OPEN,
            "answer": qconf.answer if revealed else None,
            "tally": tally_view(state, key) if question.phase in (QPhase.CLOSED, QPhase.REVEALED) else None,
            "winners": [w.nickname for w in question.winners] if revealed else [],
            "timer": timer_view(board.timer),
        }

    def simulate(self, sim: Any, segment: Segment) -> None:
        for qid in segment.questions:
            sim.cmd(c.ShowQuestion)
            sim.cmd(c.OpenAnswers)
            sim.votes(tuple(sim.config.questions[qid].options or {}))
            sim.cmd(c.CloseAnswers)
            sim.cmd(c.RevealAnswer, seed=sim.rng.getrandbits(32))


ROUND = Audience()
