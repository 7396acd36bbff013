"""Play a whole show with seeded, plausible answers: for the demo, tests and benchmarks.

The same config and seed always give the same log and the same result.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Protocol

from server.core import commands as c
from server.core.config import JudgedScoring, PackagesScoring, Segment, ShowConfig
from server.core.events import Action
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
            getattr(self, f"_{segment.round.value}")(segment)
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
            self._buzz_until_closed(p_correct=0.7)
            self.cmd(c.RevealAnswer)

    # -- rounds ---------------------------------------------------------------------------

    def _judged(self, segment: Segment) -> None:
        scoring = segment.scoring
        assert isinstance(scoring, JudgedScoring)
        if segment.slots:
            self.cmd(c.ShowQuestion)
        if scoring.audience_share:
            self.cmd(c.OpenVoting)
            self._votes(self.config.team_ids)
            self.cmd(c.CloseVoting)
        for judge in self.config.judges:
            for team in self.config.teams:
                scores = {k.id: Decimal(self.rng.randint(int(k.max), int(k.max * 2))) / 2 for k in scoring.criteria}
                self.cmd(c.SubmitScores, by=c.Actor("judge", judge.id), judge=judge.id, team=team.id, scores=scores)
        self.cmd(c.RevealScores)

    def _turns(self, segment: Segment) -> None:
        for _ in segment.slots:
            self.cmd(c.ShowQuestion)
            self._turn(p_correct=0.6)

    def _turn(self, p_correct: float) -> None:
        self.cmd(c.OpenAnswers)
        turn = self.question.turn
        self.cmd(c.JudgeAnswer, team=turn, correct=self.rng.random() < p_correct, wait=self.rng.randint(2000, 9000))
        if self.question.phase is QPhase.STEAL:
            stealers = [t for t in self.question.eligible if t != turn]
            if self.rng.random() < 0.5:
                stealer = self.rng.choice(stealers)
                self.cmd(c.Buzz, by=c.Actor("team", stealer), team=stealer, wait=self.rng.randint(300, 3000))
                self.cmd(c.JudgeAnswer, team=stealer, correct=self.rng.random() < 0.5)
            else:
                self.cmd(c.CloseAnswers)
        self.cmd(c.RevealAnswer)

    def _speed(self, segment: Segment) -> None:
        for qid in segment.questions:
            question = self.config.questions[qid]
            self.cmd(c.ShowQuestion)
            self.cmd(c.OpenAnswers)
            opened = self.now
            limit = (question.time_ms or segment.timer_ms or 30000) - 200
            answers = []
            for team in self.config.teams:
                if self.rng.random() < 0.9:
                    answers.append((self.rng.randint(800, limit), team.id, self._answer(question)))
            for delay, team, text in sorted(answers):
                self.cmd(
                    c.SubmitAnswer, by=c.Actor("team", team), team=team, answer=text, wait=opened + delay - self.now
                )
            self.cmd(c.CloseAnswers)
            for team, answer in self.question.answers.items():
                if answer.correct is None:
                    self.cmd(c.JudgeAnswer, team=team, correct=answer.text == question.answer)
            self.cmd(c.RevealAnswer)

    def _answer(self, question) -> str:
        good = self.rng.random() < 0.65
        if question.multiple_choice:
            options = list(question.options)
            return question.answer if good and question.answer else self.rng.choice(options)
        return question.answer if good and question.answer else "không biết"

    def _buzzer(self, segment: Segment) -> None:
        for _ in segment.slots:
            self.cmd(c.ShowQuestion)
            self._buzz_until_closed(p_correct=0.6)
            self.cmd(c.RevealAnswer)

    def _buzz_until_closed(self, p_correct: float) -> None:
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

    def _packages(self, segment: Segment) -> None:
        scoring = segment.scoring
        assert isinstance(scoring, PackagesScoring)
        for team in self.config.teams:
            values = tuple(self.rng.choice(scoring.values) for _ in range(scoring.size))
            self.cmd(c.ChoosePackage, by=c.Actor("team", team.id), team=team.id, values=values)
            for _ in values:
                self.cmd(c.ShowQuestion)
                if scoring.star and team.id not in self.runner.state.board.stars_used and self.rng.random() < 0.3:
                    self.cmd(c.PlaceStar, by=c.Actor("team", team.id), team=team.id)
                self._turn(p_correct=0.55)

    def _audience(self, segment: Segment) -> None:
        for qid in segment.questions:
            self.cmd(c.ShowQuestion)
            self.cmd(c.OpenAnswers)
            self._votes(tuple(self.config.questions[qid].options or {}))
            self.cmd(c.CloseAnswers)
            self.cmd(c.RevealAnswer, seed=self.rng.getrandbits(32))

    def _votes(self, options: tuple[str, ...]) -> None:
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
