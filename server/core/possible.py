"""What each role can do now, asked of the rules themselves.

The controller, the host's screen, the team pads and the judges' pads enable a control when ``decide``
would accept its command at this moment; none of them restates the phase table or a round's rules.
Every answer holds for the state and the time it was asked at; the entries that a running timer ends
(a buzz, an answer) are listed apart (``Can.timed``), so a page can grey them out when its countdown
reaches 0, before the server's expiry arrives as a new revision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import NamedTuple, cast

from msgspec.structs import replace

from server.core import commands as c
from server.core.config import Segment, ShowConfig
from server.core.context import Ctx
from server.core.decide import NONE, PHASES, decide, round_phases
from server.core.errors import ShowError
from server.core.rounds import round_of
from server.core.standings import standings, ties
from server.core.state import QPhase, ShowPhase, ShowState

# The producer's commands that take no choice of their own, by the key the views use.
SIMPLE: dict[str, Callable[[], c.Command]] = {
    "start_show": c.StartShow,
    "end_show": c.EndShow,
    "next_segment": lambda: c.GotoSegment(step=1),
    "prev_segment": lambda: c.GotoSegment(step=-1),
    "show_question": c.ShowQuestion,
    "open_answers": c.OpenAnswers,
    "close_answers": c.CloseAnswers,
    "reveal_answer": lambda: c.RevealAnswer(seed=0),  # the service seeds every reveal (a draw of winners needs it)
    "reset_question": c.ResetQuestion,
    "start_timer": c.StartTimer,
    "pause_timer": c.PauseTimer,
    "resume_timer": c.ResumeTimer,
    "add_time": lambda: c.AddTime(ms=5000),
    "reset_timer": c.ResetTimer,
    "undo": c.Undo,
    "redo": c.Redo,
    "lock_scores": c.LockScores,
    "reveal_scores": c.RevealScores,
    "open_voting": c.OpenVoting,
    "close_voting": c.CloseVoting,
}
# The producer's keys whose value is a list of teams (or looks), not a yes or no.
PRODUCER_LISTS = ("judge", "place_star", "choose_package", "take_look")
# What a team pad may send (each a list of the teams whose pad may send it now), by the pads' event names.
TEAM_LISTS = ("buzz", "submit_answer", "place_star", "choose_package")
# What a judge's pad may send: the teams this judge may score now.
JUDGE_LISTS = ("submit_scores",)

# The show's natural next step, first that applies ("judge" while a team holds the floor comes
# before closing; otherwise after it, when the answers are in).
_FLOW = (
    "start_show",
    "open_answers",
    "judge_floor",
    "close_answers",
    "judge",
    "reveal_answer",
    "show_question",
    "close_voting",
    "reveal_scores",
    "next_segment",
    "start_tiebreak",
    "end_show",
)


class Can(NamedTuple):
    """What a role may send now (``can``: key -> bool, or the teams/looks it may be given for), and the
    keys of ``can`` that hold only until the running timer reaches 0 (``timed``)."""

    can: dict[str, object]
    timed: list[str]


# One question to the rules: the view's key, the team or look it is for (None: a yes-or-no key), and the
# commands that would do it (any one accepted will do: a package is any choice of values).
_Trial = tuple[str, str | None, Sequence[c.Command]]


def possible(config: ShowConfig, state: ShowState, at: int) -> dict[str, object]:
    """The producer's ``can`` (see ``producer_can``)."""
    return producer_can(config, state, at).can


def producer_can(config: ShowConfig, state: ShowState, at: int) -> Can:
    """``{key: bool}`` for every simple command, ``start_tiebreak``, and the teams each team command
    ("judge", "place_star", "choose_package") can be given for now, and the looks of the segment on air
    that ``take_look`` would put up (an already-on-air look is refused), at time ``at``."""
    return _ask(config, state, at, _producer_trials(config, state), (*SIMPLE, "start_tiebreak"), PRODUCER_LISTS)


def team_can(config: ShowConfig, state: ShowState, at: int) -> Can:
    """For each command a team pad sends, the teams whose own pad would have it accepted now."""
    return _ask(config, state, at, _team_trials(config, state), (), TEAM_LISTS)


def judge_can(config: ShowConfig, state: ShowState, judge: str, at: int) -> Can:
    """The teams ``judge`` may score now (``submit_scores`` from their own pad)."""
    return _ask(config, state, at, _judge_trials(config, state, judge), (), JUDGE_LISTS)


def judges_can(config: ShowConfig, state: ShowState, at: int) -> dict[str, Can]:
    """``judge_can`` of every judge of the show, asked of the rules once: a sheet from a judge's own pad
    is judged on the team, the segment and the scores, never on which of the show's judges sent it (the
    rules check only that it is the pad's own judge's, which a pad's always is). Each judge gets lists
    of their own, as a view's are."""
    if not config.judge_ids:
        return {}
    asked = judge_can(config, state, config.judge_ids[0], at)
    return {judge: _copy(asked) for judge in config.judge_ids}


def next_action(can: dict[str, object], state: ShowState) -> str | None:
    """The key of the step a producer would most likely take next, or None."""
    question = state.board.question
    answers = question.answers if question is not None else {}
    # Teams still waiting for a verdict (an answer already judged may be re-judged, but isn't next).
    judge = cast(list[str], can["judge"])
    waiting = [t for t in judge if t not in answers or answers[t].correct is None]
    floor = question is not None and question.floor is not None and question.phase is not QPhase.CLOSED
    for key in _FLOW:
        if key == "judge_floor":
            if floor and waiting:
                return "judge"
        elif key == "judge":
            if waiting:
                return "judge"
        elif can.get(key):
            return key
    return None


def _ask(
    config: ShowConfig, state: ShowState, at: int, trials: Iterable[_Trial], flags: Iterable[str], lists: Iterable[str]
) -> Can:
    can: dict[str, object] = {key: False for key in flags}
    can.update({key: [] for key in lists})
    deadline = state.board.timer.deadline
    running = deadline is not None and deadline > at  # time is not up yet, but will be
    timed: list[str] = []
    for key, target, commands in trials:
        accepted = next((cmd for cmd in commands if _accepts(config, state, cmd, at)), None)
        if accepted is None:
            continue
        if target is None:
            can[key] = True
        else:
            can[key].append(target)  # type: ignore[attr-defined]
        if running and key not in timed and not _accepts(config, state, accepted, deadline):  # type: ignore[arg-type]
            timed.append(key)
    return Can(can, timed)


def _copy(asked: Can) -> Can:
    can = {key: list(value) if isinstance(value, list) else value for key, value in asked.can.items()}
    return Can(can, list(asked.timed))


def _accepts(config: ShowConfig, state: ShowState, command: c.Command, at: int) -> bool:
    # The phase table refuses most trials (no buzz without a question): it needs no trial, and no error built.
    question = state.board.question
    where = NONE if question is None else question.phase
    if where not in PHASES[type(command)] and where not in round_phases(config, state, type(command)):
        return False
    try:
        decide(config, state, replace(command, at=at))
    except ShowError:
        return False
    return True


def _producer_trials(config: ShowConfig, state: ShowState) -> Iterator[_Trial]:
    for key, make in SIMPLE.items():
        yield key, None, (make(),)
    tied = ties(standings(config, state.board))
    if tied and _late(config, state):
        yield "start_tiebreak", None, (c.StartTiebreak(teams=tuple(tied[0])),)
    for team in config.team_ids:
        yield "judge", team, (c.JudgeAnswer(team=team, correct=True),)
    for team in config.team_ids:
        yield "place_star", team, (c.PlaceStar(team=team),)
    for team in config.team_ids:
        yield "choose_package", team, tuple(_packages(config, state, team))
    segment = _segment(config, state)
    for look in segment.looks if segment is not None else ():
        yield "take_look", look.id, (c.TakeLook(look=look.id),)


def _team_trials(config: ShowConfig, state: ShowState) -> Iterator[_Trial]:
    answer = _an_answer(config, state)
    for team in config.team_ids:
        pad = c.Actor("team", team)
        yield "buzz", team, (c.Buzz(team=team, by=pad),)
        yield "submit_answer", team, (c.SubmitAnswer(team=team, answer=answer, by=pad),)
        yield "place_star", team, (c.PlaceStar(team=team, by=pad),)
        yield "choose_package", team, tuple(replace(cmd, by=pad) for cmd in _packages(config, state, team))


def _judge_trials(config: ShowConfig, state: ShowState, judge: str) -> Iterator[_Trial]:
    sheet = _sheet(config, state)
    if sheet is None:
        return
    pad = c.Actor("judge", judge)
    for team in config.team_ids:
        yield "submit_scores", team, (c.SubmitScores(judge=judge, team=team, scores=sheet, by=pad),)


def _an_answer(config: ShowConfig, state: ShowState) -> str:
    """A valid answer to the question on screen: its first option, or any text."""
    question = state.board.question
    options = config.questions[question.id].options if question is not None else None
    return next(iter(options)) if options else "?"


def _segment(config: ShowConfig, state: ShowState) -> Segment | None:
    try:
        return Ctx(config, state, c.StartShow()).segment()
    except ShowError:
        return None


def _late(config: ShowConfig, state: ShowState) -> bool:
    """A tie matters once the points are all in: in the last segment, or after the end (the rules allow a
    tie-break earlier, but teams level at 0 in the second segment are not worth offering one)."""
    board = state.board
    return board.phase is ShowPhase.ENDED or (
        board.phase is ShowPhase.LIVE and board.segment >= len(config.rundown) - 1
    )


def _packages(config: ShowConfig, state: ShowState, team: str) -> Iterable[c.Command]:
    """Every package a team could ask for in the segment on air (none outside a packages round)."""
    segment = _segment(config, state)
    if segment is None:
        return ()
    return (c.ChoosePackage(team=team, values=v) for v in round_of(segment).package_choices(segment))


def _sheet(config: ShowConfig, state: ShowState) -> dict[str, Decimal] | None:
    """A valid score sheet (0 on every criterion) for the segment on air, or None if nobody scores it."""
    segment = _segment(config, state)
    criteria = getattr(segment.scoring, "criteria", ()) if segment is not None else ()
    return {criterion.id: Decimal(0) for criterion in criteria} if criteria else None
