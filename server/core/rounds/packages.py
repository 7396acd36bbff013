"""Packages rounds ("về đích"): each team chooses a package of question values and plays it on turn, with
its star of hope (double or lose) and the others' steals."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from itertools import combinations_with_replacement
from typing import Annotated, Any

from msgspec import Struct

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
    multiple_choice,
    number,
    read,
    settings_of,
)
from server.core.rounds.turns import Steal, Turns, play_turn
from server.core.state import QuestionState


class Star(Struct, frozen=True):
    multiplier: Annotated[Decimal, read("decimal", lo=Decimal(1), hi=Decimal(5))] = Decimal(2)
    # share of the value lost on a wrong answer with the star
    penalty_share: Annotated[Decimal, read("decimal", lo=Decimal(0), hi=Decimal(5))] = Decimal(1)


class PackagesScoring(Settings, frozen=True, tag="packages"):
    values: Annotated[tuple[Decimal, ...], read("rank_points")] = (Decimal(10), Decimal(20), Decimal(30))
    size: Annotated[int, read("int", lo=1, hi=6)] = 3
    # share of the value lost on a wrong answer without the star
    penalty_share: Annotated[Decimal, read("share")] = Decimal(0)
    star: Annotated[Star | None, read("settings_or_bool", item=Star)] = Star()
    steal: Annotated[Steal | None, read("settings", item=Steal)] = None
    time_by_value: Annotated[
        dict[Decimal, int], read("seconds_by", within="values", noun="package value", what="a package value")
    ] = {}


class Packages(Turns):
    name = "packages"
    settings = PackagesScoring
    samples = {"question": 4, "buzzer": 4}

    value = Round.value  # a question is worth its own points: the package values are the questions'

    def capabilities(self, config: ShowConfig, segment: Segment) -> Capabilities:
        scoring = settings_of(segment, PackagesScoring)
        steal = scoring.steal is not None
        return Capabilities(
            questions=True,
            turns=True,
            pad_answers=True,
            choices=multiple_choice(config, segment),
            packages=True,
            star=scoring.star is not None,
            buzz=steal,
            steal=steal,
        )

    def check_questions(self, scoring: Any, slots: tuple[Any, ...], questions: dict[str, Question]) -> list[str]:
        problems = []
        for value in scoring.values:
            count = sum(1 for s in slots if questions[s.question].points == value)
            if count < scoring.size:
                problems.append(
                    f"questions: expected at least {scoring.size} questions worth {value} points, got {count}"
                )
        return problems

    def playable(self, x: Ctx, segment: Segment) -> tuple[str, ...]:
        return tuple(q for qs in x.board.packages.get(segment.id, {}).values() for q in qs)

    def next_question(self, x: Ctx, segment: Segment) -> str:
        chosen = x.board.packages.get(segment.id, {})
        for questions in reversed(list(chosen.values())):
            rest = [q for q in questions if q not in x.board.played]
            if rest:
                return rest[0]
        raise RuleError("rule.no_package_questions_left")

    def turn_of(self, x: Ctx, segment: Segment, qid: str) -> str | None:
        for team, questions in x.board.packages.get(segment.id, {}).items():
            if qid in questions:
                return team
        return None

    def answer_time(self, x: Ctx, segment: Segment) -> int | None:
        scoring = settings_of(segment, PackagesScoring)
        if x.question().value in scoring.time_by_value:
            return scoring.time_by_value[x.question().value]
        return segment.timer_ms

    def stealing(self, segment: Segment) -> Steal | None:
        return settings_of(segment, PackagesScoring).steal

    def outcome(self, segment: Segment, question: QuestionState, correct: bool) -> Decimal:
        scoring, value = settings_of(segment, PackagesScoring), question.value
        if question.star and scoring.star is not None:
            return value * scoring.star.multiplier if correct else -value * scoring.star.penalty_share
        return value if correct else -value * scoring.penalty_share

    def place_star(self, x: Ctx, segment: Segment, question: QuestionState, team: Any) -> list[ev.Event]:
        if settings_of(segment, PackagesScoring).star is None:
            return super().place_star(x, segment, question, team)
        if question.turn != team.id:
            raise RuleError("rule.star_turn_only", team=team.name)
        if question.star:
            raise RuleError("rule.star_already_here")
        if team.id in x.board.stars_used:
            raise RuleError("rule.star_used", team=team.name)
        return [ev.StarPlaced(team.id)]

    def choose_package(self, x: Ctx, segment: Segment, team: Any, cmd: c.ChoosePackage) -> list[ev.Event]:
        scoring = settings_of(segment, PackagesScoring)
        if len(cmd.values) != scoring.size or any(v not in scoring.values for v in cmd.values):
            allowed = "/".join(str(v) for v in scoring.values)
            raise InvalidCommand("rule.package_values", size=scoring.size, allowed=allowed)
        chosen = x.board.packages.get(segment.id, {})
        if team.id in chosen:
            raise RuleError("rule.package_chosen", team=team.name)
        taken = {q for qs in chosen.values() for q in qs} | x.board.played
        picked: list[str] = []
        for value in cmd.values:
            qid = next(
                (
                    q
                    for q in segment.questions
                    if x.config.questions[q].points == value and q not in taken and q not in picked
                ),
                None,
            )
            if qid is None:
                raise RuleError("rule.no_value_left", value=value)
            picked.append(qid)
        return [ev.PackageChosen(segment.id, team.id, tuple(picked))]

    def package_choices(self, segment: Segment) -> Iterable[tuple[Decimal, ...]]:
        scoring = settings_of(segment, PackagesScoring)
        return combinations_with_replacement(scoring.values, scoring.size)

    def segment_view(self, config: ShowConfig, segment: Segment) -> dict[str, Any]:
        scoring = settings_of(segment, PackagesScoring)
        # What a team pad needs to offer its package choice (``choose_package``).
        return {"packages": {"values": [number(v) for v in scoring.values], "size": scoring.size}}

    def clock_ms(self, config: ShowConfig, segment: Segment) -> int:
        scoring = settings_of(segment, PackagesScoring)
        times = scoring.time_by_value
        played = scoring.size * len(config.teams)
        return played * (max(times.values()) if times else segment.timer_ms or 0)

    def simulate(self, sim: Any, segment: Segment) -> None:
        scoring = settings_of(segment, PackagesScoring)
        for team in sim.config.teams:
            values = tuple(sim.rng.choice(scoring.values) for _ in range(scoring.size))
            sim.cmd(c.ChoosePackage, by=c.Actor("team", team.id), team=team.id, values=values)
            for _ in values:
                sim.cmd(c.ShowQuestion)
                if scoring.star and team.id not in sim.runner.state.board.stars_used and sim.rng.random() < 0.3:
                    sim.cmd(c.PlaceStar, by=c.Actor("team", team.id), team=team.id)
                play_turn(sim, p_correct=0.55)


ROUND = Packages()
