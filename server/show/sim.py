"""Play a whole show with seeded, plausible answers: for the demo, tests and benchmarks.

The same config and seed always give the same log and the same result.
"""

from __future__ import annotations

import random
from typing import Protocol

from server.core import commands as c
from server.core.config import ShowConfig
from server.core.events import Action
from server.core.rounds import round_of
from server.core.show import execute
from server.core.standings import standings, ties
from server.core.state import QPhase, ShowState


class Runner(Protocol):
    config: ShowConfig
    state: ShowState

    def run(self, command: c.Command) -> Action: ...


class MemoryRunner:
    """Runs commands in memory, keeping the actions (what the log would hold)."""

    def __init__(self, config: ShowConfig) -> None:
        self.config = config
        self.state = ShowState()
        self.actions: list[Action] = []

    def run(self, command: c.Command) -> Action:
        self.state, action = execute(self.config, self.state, command)
        self.actions.append(action)
        return action


class Simulator:
    def __init__(self, runner: Runner, seed: int = 2024, start_ms: int = 1_718_000_000_000, audience: int = 60):
        self.runner = runner
        self.config = runner.config
        self.rng = random.Random(seed)
        self.now = start_ms
        self.audience = audience

    def cmd(self, kind: type[c.Command], by: c.Actor = c.PRODUCER, wait: int | None = None, **fields) -> Action:
        self.now += wait if wait is not None else self.rng.randint(400, 2500)
        return self.runner.run(kind(at=self.now, by=by, **fields))

    @property
    def question(self):
        return self.runner.state.board.question

    def play(self) -> None:
        """The whole show: every segment in order, a tie-break if the top two places tie, the end."""
        self.cmd(c.StartShow)
        for index, segment in enumerate(self.config.rundown):
            if index:
                self.cmd(c.GotoSegment, index=index)
            round_of(segment).simulate(self, segment)
        self.tiebreak()
        self.cmd(c.EndShow)

    def tiebreak(self) -> None:
        tied = ties(standings(self.config, self.runner.state.board))
        if not tied or not self.config.tiebreak.questions:
            return
        self.cmd(c.StartTiebreak, teams=tied[0])
        for _ in self.config.tiebreak.questions:
            board = self.runner.state.board
            if len(board.tiebreak_order) >= len(board.tiebreak_teams) - 1:
                break
            self.cmd(c.ShowQuestion)
            self.buzz_until_closed(p_correct=0.7)
            self.cmd(c.RevealAnswer)

    # -- what the rounds' simulations share (``Round.simulate``) ------------------------------

    def answer(self, question) -> str:
        """A plausible answer from a team: right about two times in three."""
        good = self.rng.random() < 0.65
        if question.multiple_choice:
            options = list(question.options)
            return question.answer if good and question.answer else self.rng.choice(options)
        return question.answer if good and question.answer else "không biết"

    def buzz_until_closed(self, p_correct: float) -> None:
        """Open the question and let teams buzz and answer until it closes."""
        self.cmd(c.OpenAnswers)
        while self.question.phase is QPhase.OPEN:
            free = [t for t in self.question.eligible if t not in self.question.locked]
            if not free or self.rng.random() < 0.15:
                self.cmd(c.CloseAnswers)
                break
            team, wait = self.rng.choice(free), self.rng.randint(200, 2000)
            deadline = self.runner.state.board.timer.deadline
            if deadline is not None and self.now + wait >= deadline:
                self.cmd(c.Expire, by=c.SYSTEM, wait=deadline - self.now)
                break
            self.cmd(c.Buzz, by=c.Actor("team", team), team=team, wait=wait)
            self.cmd(c.JudgeAnswer, team=team, correct=self.rng.random() < p_correct)

    def votes(self, options: tuple[str, ...]) -> None:
        """The audience's phones vote for the options, one batch."""
        if not self.audience:
            return
        weights = [self.rng.random() + 0.2 for _ in options]
        votes = []
        for index in range(self.audience):
            self.now += self.rng.randint(5, 60)
            option = self.rng.choices(options, weights)[0]
            votes.append(c.Vote(f"phone-{index:05d}", option, self.now, f"Khán giả {index}"))
        self.cmd(c.CastVotes, by=c.AUDIENCE, votes=tuple(votes), wait=1)


def simulate(config: ShowConfig, seed: int = 2024, audience: int = 60) -> MemoryRunner:
    """Play a whole show in memory and return the runner with its state and actions."""
    runner = MemoryRunner(config)
    Simulator(runner, seed, audience=audience).play()
    return runner


def play_demo(config: ShowConfig, runner: Runner, seed: int = 2024) -> None:
    """Play the demo show through a runner (an ``Engine`` writes it to the log)."""
    Simulator(runner, seed).play()
