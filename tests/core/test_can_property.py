"""What each role ``can`` do, against the rules, over random play of every shipped show.

At random points of a random show, every command a role's ``can`` offers is accepted with a valid
payload, and every command it does not offer is refused: with ``phase`` when the phase table refuses it,
else with the reason the rules give at that moment (``REFUSALS`` lists which). The entries ``timed`` lists
are exactly those the running timer ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from server.configs import load_show
from server.core import commands as c
from server.core.config import ShowConfig
from server.core.decide import NONE, PHASES, round_phases
from server.core.errors import ShowError
from server.core.possible import SIMPLE, Can, judge_can, judges_can, producer_can, team_can
from server.core.show import execute
from server.core.standings import standings, ties
from server.core.state import ShowState
from tests.conftest import SHIPPED_SHOWS

ROOT = Path(__file__).resolve().parents[2]
SHOWS = SHIPPED_SHOWS
START = 1_718_000_000_000
Ask = Callable[[ShowConfig, ShowState, int], Can]  # what a role can do, at a time

# Why a command outside ``can`` is refused when the phase table lets it through: the rules of the moment
# (``rule``: nothing to undo, the timer is not running, no question left...). ``not_found`` and
# ``forbidden`` never: a valid payload from the right role names what exists and is its own.
REFUSALS = {"phase", "rule"}
# ``start_timer`` without a duration, in a segment with no timer of its own, asks for one (``invalid``).
REFUSED_AS = {"start_timer": {"invalid"}}
# What plays a question, a package, a judges' panel or a vote.
FLOW = (
    c.ShowQuestion, c.OpenAnswers, c.Buzz, c.SubmitAnswer, c.JudgeAnswer, c.CloseAnswers, c.RevealAnswer,
    c.ChoosePackage, c.PlaceStar, c.SubmitScores, c.RevealScores, c.OpenVoting, c.CloseVoting, c.Expire,
    c.StartTiebreak,
)  # fmt: skip


def _code(config: ShowConfig, state: ShowState, command: c.Command) -> str | None:
    """None if the rules accept ``command`` (decided and applied), else the refusal's code."""
    try:
        execute(config, state, command)
    except ShowError as exc:
        return exc.code
    return None


def _phase_refuses(config: ShowConfig, state: ShowState, command: c.Command) -> bool:
    question = state.board.question
    where = NONE if question is None else question.phase
    return where not in PHASES[type(command)] and where not in round_phases(config, state, type(command))


def _offers(config: ShowConfig, state: ShowState, role: str, judge: str = "") -> Iterator[tuple[str, str | None, list]]:
    """Every (key, team or look, valid commands) a role could be offered, from the config alone."""
    teams = config.team_ids
    if role == "producer":
        for key, make in SIMPLE.items():
            yield key, None, [make()]
        tied = ties(standings(config, state.board))
        if tied:
            yield "start_tiebreak", None, [c.StartTiebreak(teams=tuple(tied[0]))]
        for team in teams:
            yield "judge", team, [c.JudgeAnswer(team=team, correct=True), c.JudgeAnswer(team=team, correct=False)]
            yield "place_star", team, [c.PlaceStar(team=team)]
            yield "choose_package", team, _packages(config, state, team, c.PRODUCER)
        segment = _segment(config, state)
        for look in segment.looks if segment else ():
            yield "take_look", look.id, [c.TakeLook(look=look.id)]
    elif role == "team":
        question = state.board.question
        options = config.questions[question.id].options if question else None
        answers = list(options) if options else ["Đề án 06", "x"]
        for team in teams:
            pad = c.Actor("team", team)
            yield "buzz", team, [c.Buzz(team=team, by=pad)]
            yield "submit_answer", team, [c.SubmitAnswer(team=team, answer=a, by=pad) for a in answers]
            yield "place_star", team, [c.PlaceStar(team=team, by=pad)]
            yield "choose_package", team, _packages(config, state, team, pad)
    else:
        segment = _segment(config, state)
        criteria = getattr(segment.scoring, "criteria", ()) if segment else ()
        sheets = [{k.id: Decimal(0) for k in criteria}, {k.id: k.max for k in criteria}] if criteria else []
        for team in teams:
            pad = c.Actor("judge", judge)
            yield "submit_scores", team, [c.SubmitScores(judge=judge, team=team, scores=s, by=pad) for s in sheets]


def _segment(config: ShowConfig, state: ShowState):
    index = state.board.segment
    if 0 <= index < len(config.rundown):
        return config.rundown[index]
    return None  # the tie-break segment has no looks to take, packages or criteria


def _packages(config: ShowConfig, state: ShowState, team: str, by: c.Actor) -> list[c.Command]:
    from itertools import combinations_with_replacement

    segment = _segment(config, state)
    scoring = segment.scoring if segment else None
    values, size = getattr(scoring, "values", None), getattr(scoring, "size", None)
    if not values or not size:
        return []
    return [c.ChoosePackage(team=team, values=v, by=by) for v in combinations_with_replacement(values, size)]


def _offered(can: dict[str, object], key: str, target: str | None) -> bool:
    value = can.get(key, False)
    return bool(value) if target is None else target in value  # type: ignore[operator]


def check(config: ShowConfig, state: ShowState, at: int, asked: Can, role: str, judge: str = "") -> list[c.Command]:
    """``can`` agrees with the rules for every offer of ``role``; returns the accepted commands."""
    accepted: list[c.Command] = []
    for key, target, commands in _offers(config, state, role, judge):
        offered = _offered(asked.can, key, target)
        codes = {_code(config, state, replace(cmd, at=at)): cmd for cmd in commands}
        where = f"{role} {key} {target or ''} at {state.board.phase.value}/{_where(state)}"
        if offered:
            ok = codes.get(None)
            assert ok is not None, f"{where}: offered but refused ({set(codes)})"
            accepted.append(replace(ok, at=at))
        elif key == "start_tiebreak":
            continue  # offered only once the points are all in: narrower than the rules on purpose
        else:
            assert None not in codes, f"{where}: not offered but accepted"
            for code, cmd in codes.items():
                expected = {"phase"} if _phase_refuses(config, state, cmd) else REFUSALS | REFUSED_AS.get(key, set())
                assert code in expected, f"{where}: refused with {code!r}, expected one of {sorted(expected)}"
    return accepted


def check_timed(config: ShowConfig, state: ShowState, at: int, asked: Can, ask: Ask) -> None:
    """``timed`` lists exactly the keys with an entry that holds now and not when the timer reaches 0."""
    deadline = state.board.timer.deadline
    if deadline is None or deadline <= at:
        assert asked.timed == []
        return
    later = ask(config, state, deadline).can
    lapsing = set()
    for key, value in asked.can.items():
        if isinstance(value, list):
            if set(value) - set(later[key]):  # type: ignore[arg-type]
                lapsing.add(key)
        elif value and not later[key]:
            lapsing.add(key)
    assert set(asked.timed) == lapsing


def _judge_can(judge: str, config: ShowConfig, state: ShowState, at: int) -> Can:
    return judge_can(config, state, judge, at)


def _where(state: ShowState) -> str:
    question = state.board.question
    return "none" if question is None else question.phase.value


@st.composite
def moments(draw: st.DrawFn, deadline: int | None, now: int) -> int:
    """When to look: soon, or (a timer running) just before, at or after its deadline."""
    if deadline is not None and draw(st.booleans()):
        return max(now, deadline + draw(st.sampled_from([-1, 0, 1, 250])))
    return now + draw(st.integers(1, 3000))


def play(config: ShowConfig, data: st.DataObject, steps: int) -> None:
    state, now = ShowState(), START
    roles: list[tuple[str, str, Ask]] = [("producer", "", producer_can), ("team", "", team_can)]
    roles += [("judge", judge, partial(_judge_can, judge)) for judge in config.judge_ids]
    for _ in range(steps):
        at = data.draw(moments(state.board.timer.deadline, now), label="at")
        options: list[c.Command] = []
        for role, judge, ask in roles:
            asked = ask(config, state, at)
            options += check(config, state, at, asked, role, judge)
            check_timed(config, state, at, asked, ask)
        # The views ask once for every judge: it must be each judge's own answer.
        assert judges_can(config, state, at) == {j: judge_can(config, state, j, at) for j in config.judge_ids}
        if state.board.timer.expired(at):
            options.append(c.Expire(at=at, by=c.SYSTEM))  # the service's expiry, as soon as it is due
        # A jump to any segment, so a short play reaches every round.
        jumps = [c.GotoSegment(index=i, at=at) for i in range(len(config.rundown))]
        options += [jump for jump in jumps if _code(config, state, jump) is None]
        if not options:
            break
        # Mostly the play of the questions and the scores, so a short play gets into them; the rest too.
        flow = [cmd for cmd in options if isinstance(cmd, FLOW)]
        pool = flow if flow and data.draw(st.integers(0, 3), label="flow") else options
        command = data.draw(st.sampled_from(pool), label="command")
        state, _ = execute(config, state, command)
        now = at


@pytest.mark.parametrize("path", SHOWS, ids=[p.stem for p in SHOWS])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_can_agrees_with_the_rules_in_random_play(path: Path, data: st.DataObject) -> None:
    play(_config(path), data, steps=40)


_CONFIGS: dict[Path, ShowConfig] = {}


def _config(path: Path) -> ShowConfig:
    if path not in _CONFIGS:
        _CONFIGS[path] = load_show(path)
    return _CONFIGS[path]
