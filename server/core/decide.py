"""``decide``: check a command against the rules and say what happens, as events.

The phase table below is the one place that says which command may run in which phase of
the question on air; anything else fails with "can't <command> while <phase>".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.core import commands as c
from server.core import events as ev
from server.core import judged, questions, votes
from server.core.config import OVERLAYS, ShowConfig
from server.core.context import Ctx, check_points
from server.core.errors import Forbidden, InvalidCommand, PhaseError, RuleError, quote
from server.core.state import Award, QPhase, ShowPhase, ShowState, Timer

NONE = "none"  # no question on screen
Q = QPhase
ANY = frozenset({NONE, *QPhase})
BETWEEN = frozenset({NONE, Q.READY, Q.CLOSED, Q.REVEALED})  # nothing is being answered
QUESTION = frozenset(QPhase)

# command -> (what it is called, the question phases it may run in)
PHASES: dict[type, tuple[str, frozenset]] = {
    c.StartShow: ("start the show", ANY),
    c.GotoSegment: ("change segment", BETWEEN),
    c.EndShow: ("end the show", BETWEEN),
    c.StartTiebreak: ("start a tie-break", BETWEEN),
    c.ShowQuestion: ("show the next question", BETWEEN),
    c.OpenAnswers: ("open answers", frozenset({Q.READY})),
    c.CloseAnswers: ("close answers", frozenset({Q.OPEN, Q.ANSWERING, Q.STEAL})),
    c.RevealAnswer: ("reveal the answer", frozenset({Q.CLOSED})),
    c.ResetQuestion: ("reset the question", QUESTION),
    c.Buzz: ("buzz", frozenset({Q.OPEN, Q.STEAL})),
    c.SubmitAnswer: ("submit an answer", frozenset({Q.OPEN})),
    c.JudgeAnswer: ("judge an answer", frozenset({Q.OPEN, Q.ANSWERING, Q.CLOSED})),
    c.ChoosePackage: ("choose a package", BETWEEN - {Q.READY}),
    c.PlaceStar: ("place the star of hope", frozenset({Q.READY})),
    c.StartTimer: ("start the timer", ANY),
    c.PauseTimer: ("pause the timer", ANY),
    c.ResumeTimer: ("resume the timer", ANY),
    c.AddTime: ("add time", ANY),
    c.ResetTimer: ("reset the timer", ANY),
    c.Expire: ("end the countdown", ANY),
    c.SubmitScores: ("enter scores", ANY),
    c.LockScores: ("lock scores", ANY),
    c.UnlockScores: ("unlock scores", ANY),
    c.RevealScores: ("reveal scores", BETWEEN),
    c.OpenVoting: ("open the audience vote", ANY),
    c.CloseVoting: ("close the audience vote", ANY),
    c.CastVotes: ("vote", ANY),
    c.AdjustScore: ("adjust a score", ANY),
    c.Undo: ("undo", ANY),
    c.Redo: ("redo", ANY),
    c.SetOverlay: ("change what is on air", ANY),
}

_PHASE_WORDS = {
    NONE: "no question is on screen",
    Q.READY: "the question is not open yet",
    Q.OPEN: "answers are still open",
    Q.ANSWERING: "a team is answering",
    Q.STEAL: "the steal window is open",
    Q.CLOSED: "answers are closed",
    Q.REVEALED: "the answer is already revealed",
}

# Commands that work outside the live show, and the show phases they accept.
_SHOW_PHASES: dict[type, frozenset[ShowPhase]] = {
    c.StartShow: frozenset({ShowPhase.SETUP}),
    c.StartTiebreak: frozenset({ShowPhase.LIVE, ShowPhase.ENDED}),
    c.AdjustScore: frozenset(ShowPhase),
    c.Undo: frozenset(ShowPhase),
    c.Redo: frozenset(ShowPhase),
    c.SetOverlay: frozenset(ShowPhase),
}
_SHOW_WORDS = {
    ShowPhase.SETUP: "the show has not started",
    ShowPhase.LIVE: "the show is live",
    ShowPhase.ENDED: "the show has ended",
}


def decide(config: ShowConfig, state: ShowState, command: c.Command) -> list[ev.Event]:
    """The events a command causes, or a ``RuleError`` saying why it can't happen now."""
    kind = type(command)
    name, phases = PHASES[kind]
    show_phase = state.board.phase
    if show_phase not in _SHOW_PHASES.get(kind, frozenset({ShowPhase.LIVE})):
        raise PhaseError(f"can't {name} while {_SHOW_WORDS[show_phase]}")
    question = state.board.question
    where = NONE if question is None else question.phase
    if where not in phases:
        raise PhaseError(f"can't {name} while {_PHASE_WORDS[where]}")
    allowed = _ACTORS.get(kind, ("producer",))
    if command.by.role not in allowed:
        raise Forbidden(f"only {' or '.join(_ROLE_WORDS[role] for role in allowed)} can {name}")
    events = _HANDLERS[kind](Ctx(config, state, command), command)
    if not events:
        raise RuleError(f"nothing to {name}")
    return events


# Who may give each command; anything not listed is the producer's alone.
_ACTORS: dict[type, tuple[str, ...]] = {
    c.Buzz: ("team", "producer"),
    c.SubmitAnswer: ("team", "producer"),
    c.ChoosePackage: ("team", "producer"),
    c.PlaceStar: ("team", "producer"),
    c.SubmitScores: ("judge", "producer"),
    c.CastVotes: ("audience", "system"),
    c.Expire: ("system",),
}
_ROLE_WORDS = {
    "producer": "the producer",
    "team": "a team pad",
    "judge": "a judge",
    "audience": "the audience",
    "system": "the system",
}


def _start(x: Ctx, cmd: c.StartShow) -> list[ev.Event]:
    return [ev.ShowStarted(), ev.SegmentEntered(0)]


def _goto(x: Ctx, cmd: c.GotoSegment) -> list[ev.Event]:
    last = len(x.config.rundown) - 1
    if cmd.index is None:
        if cmd.step == 0:
            raise InvalidCommand("give a segment index, or a step such as 1 (next) or -1 (back)")
        index = min(x.board.segment, last) + cmd.step
        if not 0 <= index <= last:
            raise RuleError("this is the last segment" if cmd.step > 0 else "this is the first segment")
    else:
        index = cmd.index
    if not 0 <= index <= last:
        raise InvalidCommand(f"index: expected a segment from 0 to {last}, got {index}")
    if index == x.board.segment:
        raise RuleError(f"already in '{x.config.rundown[index].title}'")
    return [ev.SegmentEntered(index)]


def _end(x: Ctx, cmd: c.EndShow) -> list[ev.Event]:
    return [ev.ShowEnded()]


def _tiebreak(x: Ctx, cmd: c.StartTiebreak) -> list[ev.Event]:
    teams = tuple(dict.fromkeys(x.team(t).id for t in cmd.teams))
    if len(teams) < 2:
        raise InvalidCommand("teams: a tie-break needs at least two different teams")
    if not x.config.tiebreak.questions:
        raise RuleError("the show has no tie-break questions; add them under 'tiebreak'")
    scores = {x.board.scores.get(t, 0) for t in teams}
    if len(scores) != 1:
        raise RuleError("those teams are not tied on points")
    left_out = [t for t in x.config.team_ids if t not in teams and x.board.scores.get(t, 0) in scores]
    if left_out:
        raise RuleError(f"{x.team_name(left_out[0])} is tied on the same points; include it in the tie-break")
    return [ev.TiebreakStarted(teams), ev.SegmentEntered(len(x.config.rundown))]


def _start_timer(x: Ctx, cmd: c.StartTimer) -> list[ev.Event]:
    duration = cmd.duration_ms
    if duration is None:
        duration = questions.answer_time(x, x.segment()) if x.board.question else x.segment().timer_ms
    if duration is None or not 0 < duration <= 3_600_000:
        raise InvalidCommand("duration_ms: expected a duration from 1 ms to 1 hour")
    return [x.timer_started(duration)]


def _pause(x: Ctx, cmd: c.PauseTimer) -> list[ev.Event]:
    if not x.board.timer.running:
        raise RuleError("the timer is not running")
    return [x.timer_stopped()]


def _resume(x: Ctx, cmd: c.ResumeTimer) -> list[ev.Event]:
    timer = x.board.timer
    if timer.running or timer.remaining_ms <= 0:
        raise RuleError("the timer is running" if timer.running else "the timer has run out; start it again")
    return [x.timer_resumed()]


def _add_time(x: Ctx, cmd: c.AddTime) -> list[ev.Event]:
    if cmd.ms == 0 or abs(cmd.ms) > 600_000:
        raise InvalidCommand("ms: expected a non-zero change of at most 10 minutes")
    timer = x.board.timer
    if timer.duration_ms == 0:
        raise RuleError("there is no timer to add time to; start it first")
    remaining = max(0, timer.remaining(x.at) + cmd.ms)
    started = x.at if timer.running else None
    return [ev.TimerChanged(Timer(max(timer.duration_ms, remaining), remaining, started))]


def _reset_timer(x: Ctx, cmd: c.ResetTimer) -> list[ev.Event]:
    timer = x.board.timer
    return [ev.TimerChanged(Timer(timer.duration_ms, timer.duration_ms, None))]


def _expire(x: Ctx, cmd: c.Expire) -> list[ev.Event]:
    if not x.time_is_up():
        raise RuleError("the timer has not run out")
    question = x.board.question
    if question is not None and question.phase in (Q.OPEN, Q.STEAL):
        return questions.close_answers(x, cmd)
    return [x.timer_stopped()]


def _adjust(x: Ctx, cmd: c.AdjustScore) -> list[ev.Event]:
    team = x.team(cmd.team)
    points = check_points(cmd.points, "points")
    reason = " ".join(cmd.reason.split())
    if points == 0:
        raise InvalidCommand("points: expected a non-zero number of points")
    if not reason or len(reason) > 200:
        raise InvalidCommand("reason: say why, in 1 to 200 characters")
    segment = x.segment().id if 0 <= x.board.segment < len(x.config.rundown) else None
    return [ev.PointsAwarded(Award(x.state.seq + 1, team.id, points, "adjust", segment, None, reason))]


def _overlay(x: Ctx, cmd: c.SetOverlay) -> list[ev.Event]:
    if cmd.overlay not in OVERLAYS:
        raise InvalidCommand(f"overlay: expected one of {', '.join(OVERLAYS)}, got '{quote(cmd.overlay)}'")
    if (cmd.overlay in x.board.on_air) == cmd.visible:
        raise RuleError(f"the {cmd.overlay} overlay is already {'on' if cmd.visible else 'off'} air")
    return [ev.OverlaySet(cmd.overlay, cmd.visible)]


def _undo(x: Ctx, cmd: c.Undo) -> list[ev.Event]:
    if not x.state.undo:
        raise RuleError("nothing to undo")
    return [ev.Undone(x.state.undo[-1].seq)]


def _redo(x: Ctx, cmd: c.Redo) -> list[ev.Event]:
    if not x.state.redo:
        raise RuleError("nothing to redo")
    return [ev.Redone(x.state.redo[-1].seq)]


_HANDLERS: dict[type, Callable[[Ctx, Any], list[ev.Event]]] = {
    c.StartShow: _start,
    c.GotoSegment: _goto,
    c.EndShow: _end,
    c.StartTiebreak: _tiebreak,
    c.ShowQuestion: questions.show_question,
    c.OpenAnswers: questions.open_answers,
    c.CloseAnswers: questions.close_answers,
    c.RevealAnswer: questions.reveal_answer,
    c.ResetQuestion: questions.reset_question,
    c.Buzz: questions.buzz,
    c.SubmitAnswer: questions.submit_answer,
    c.JudgeAnswer: questions.judge_answer,
    c.ChoosePackage: questions.choose_package,
    c.PlaceStar: questions.place_star,
    c.StartTimer: _start_timer,
    c.PauseTimer: _pause,
    c.ResumeTimer: _resume,
    c.AddTime: _add_time,
    c.ResetTimer: _reset_timer,
    c.Expire: _expire,
    c.SubmitScores: judged.submit_scores,
    c.LockScores: judged.lock_scores,
    c.UnlockScores: judged.lock_scores,
    c.RevealScores: judged.reveal_scores,
    c.OpenVoting: judged.voting,
    c.CloseVoting: judged.voting,
    c.CastVotes: votes.cast_votes,
    c.AdjustScore: _adjust,
    c.Undo: _undo,
    c.Redo: _redo,
    c.SetOverlay: _overlay,
}
