"""What the producer can do now, asked of the rules themselves.

The controller, the host's screen and any other surface enable a control when ``decide`` would
accept its command at this moment; none of them restates the phase table or a round's rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import combinations_with_replacement

from msgspec.structs import replace

from server.core import commands as c
from server.core.config import PackagesScoring, Segment, ShowConfig
from server.core.context import Ctx
from server.core.decide import decide
from server.core.errors import ShowError
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
    "reveal_answer": c.RevealAnswer,
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


def possible(config: ShowConfig, state: ShowState, at: int) -> dict[str, object]:
    """``{key: bool}`` for every simple command, ``start_tiebreak``, and the teams each team command
    ("judge", "place_star", "choose_package") can be given for now, and the looks of the segment on air
    that ``take_look`` would put up (an already-on-air look is refused), at time ``at``."""
    ok = _trial(config, state, at)
    can: dict[str, object] = {key: ok(make()) for key, make in SIMPLE.items()}
    tied = ties(standings(config, state.board))
    can["start_tiebreak"] = bool(tied) and _late(config, state) and ok(c.StartTiebreak(teams=tuple(tied[0])))
    teams = config.team_ids
    can["judge"] = [t for t in teams if ok(c.JudgeAnswer(team=t, correct=True))]
    can["place_star"] = [t for t in teams if ok(c.PlaceStar(team=t))]
    can["choose_package"] = [t for t in teams if any(ok(cmd) for cmd in _packages(config, state, t))]
    segment = _segment(config, state)
    looks = segment.looks if segment is not None else ()
    can["take_look"] = [look.id for look in looks if ok(c.TakeLook(look=look.id))]
    return can


def next_action(can: dict[str, object], state: ShowState) -> str | None:
    """The key of the step a producer would most likely take next, or None."""
    question = state.board.question
    answers = question.answers if question is not None else {}
    # Teams still waiting for a verdict (an answer already judged may be re-judged, but isn't next).
    waiting = [t for t in can["judge"] if t not in answers or answers[t].correct is None]  # type: ignore[union-attr]
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


def _trial(config: ShowConfig, state: ShowState, at: int) -> Callable[[c.Command], bool]:
    def ok(command: c.Command) -> bool:
        try:
            decide(config, state, replace(command, at=at))
        except ShowError:
            return False
        return True

    return ok


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
    scoring = segment.scoring if segment is not None else None
    if not isinstance(scoring, PackagesScoring):
        return ()
    return (c.ChoosePackage(team=team, values=v) for v in combinations_with_replacement(scoring.values, scoring.size))
