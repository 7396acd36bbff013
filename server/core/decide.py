"""``decide``: check a command against the rules and say what happens, as events.

The phase table below is the one place that says which command may run in which phase of
the question on air; anything else fails with "can't <command> while <phase>".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.core import commands as c
from server.core import events as ev
from server.core import onair, panel, questions, votes
from server.core.audit import command_key
from server.core.config import ShowConfig
from server.core.context import Ctx, check_points, tiebreak_segment
from server.core.errors import Forbidden, InvalidCommand, PhaseError, RuleError
from server.core.rounds import ROUNDS, round_of
from server.core.state import Award, QPhase, ShowPhase, ShowState, Timer
from server.core.words import Words, say

NONE = "none"  # no question on screen
Q = QPhase
ANY = frozenset({NONE, *QPhase})
BETWEEN = frozenset({NONE, Q.READY, Q.CLOSED, Q.REVEALED})  # nothing is being answered
QUESTION = frozenset(QPhase)

# command -> the question phases it may run in (a refusal names the command with the catalogue's words,
# ``audit.command.<kind>``, and the phase with ``rule.phase.<phase>``).
PHASES: dict[type, frozenset[str]] = {
    c.StartShow: ANY,
    c.GotoSegment: BETWEEN,
    c.EndShow: BETWEEN,
    c.StartTiebreak: BETWEEN,
    c.ShowQuestion: BETWEEN,
    c.OpenAnswers: frozenset({Q.READY}),
    c.CloseAnswers: frozenset({Q.OPEN, Q.ANSWERING, Q.STEAL}),
    c.RevealAnswer: frozenset({Q.CLOSED}),
    c.ResetQuestion: QUESTION,
    c.Buzz: frozenset({Q.OPEN, Q.STEAL}),
    c.SubmitAnswer: frozenset({Q.OPEN}),
    c.JudgeAnswer: frozenset({Q.OPEN, Q.ANSWERING, Q.CLOSED}),
    c.ChoosePackage: BETWEEN - {Q.READY},
    c.PlaceStar: frozenset({Q.READY}),
    c.StartTimer: ANY,
    c.PauseTimer: ANY,
    c.ResumeTimer: ANY,
    c.AddTime: ANY,
    c.ResetTimer: ANY,
    c.Expire: ANY,
    c.SubmitScores: ANY,
    c.LockScores: ANY,
    c.UnlockScores: ANY,
    c.RevealScores: BETWEEN,
    c.OpenVoting: ANY,
    c.CloseVoting: ANY,
    c.CastVotes: ANY,
    c.AdjustScore: ANY,
    c.Undo: ANY,
    c.Redo: ANY,
    c.SetOverlay: ANY,
    c.ShowLowerThird: ANY,
    c.TakeLook: ANY,
}


# Commands that work outside the live show, and the show phases they accept.
_SHOW_PHASES: dict[type, frozenset[ShowPhase]] = {
    c.StartShow: frozenset({ShowPhase.SETUP}),
    c.StartTiebreak: frozenset({ShowPhase.LIVE, ShowPhase.ENDED}),
    c.AdjustScore: frozenset(ShowPhase),
    c.Undo: frozenset(ShowPhase),
    c.Redo: frozenset(ShowPhase),
    c.SetOverlay: frozenset(ShowPhase),
    c.ShowLowerThird: frozenset(ShowPhase),
    c.TakeLook: frozenset(ShowPhase),
}

# The commands some round takes in more phases than the table's (``Round.phases``): only these ask the round.
_WIDENED = frozenset(kind for r in ROUNDS for kind in r.phases)


def round_phases(config: ShowConfig, state: ShowState, kind: type) -> frozenset[QPhase]:
    """The question phases the round on air adds to the table's for a command (a keyword buzz between questions)."""
    question = state.board.question
    if kind not in _WIDENED or question is None:
        return frozenset()
    segment = config.segment(question.segment)  # None in a tie-break, which adds none
    return round_of(segment).phases.get(kind, frozenset()) if segment is not None else frozenset()


def decide(config: ShowConfig, state: ShowState, command: c.Command) -> list[ev.Event]:
    """The events a command causes, or a ``RuleError`` saying why it can't happen now."""
    kind = type(command)
    phases = PHASES[kind]
    show_phase = state.board.phase
    if show_phase not in _SHOW_PHASES.get(kind, frozenset({ShowPhase.LIVE})):
        raise PhaseError("rule.cant_while", command=_verb(kind), phase=say(f"rule.show_phase.{show_phase}"))
    question = state.board.question
    where = NONE if question is None else question.phase
    if where not in phases and where not in round_phases(config, state, kind):
        raise PhaseError("rule.cant_while", command=_verb(kind), phase=say(f"rule.phase.{where}"))
    allowed = _ACTORS.get(kind, ("producer",))
    if command.by.role not in allowed:
        raise Forbidden("rule.only_can", roles=_either(allowed), command=_verb(kind))
    events = _HANDLERS[kind](Ctx(config, state, command), command)
    if not events:
        raise RuleError("rule.nothing_to", command=_verb(kind))
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


def _verb(kind: type) -> Words:
    """A command as a refusal names it ("open answers" / "mở trả lời")."""
    return say(command_key(kind))


def _either(roles: tuple[str, ...]) -> Words:
    """Who may give a command: "the producer", "a team pad or the producer"."""
    words = say(f"rule.actor.{roles[0]}")
    for role in roles[1:]:
        words = say("rule.or", first=words, second=say(f"rule.actor.{role}"))
    return words


def _start(x: Ctx, cmd: c.StartShow) -> list[ev.Event]:
    return [ev.ShowStarted(), ev.SegmentEntered(0), *onair.enter_segment(x.board.on_air, x.config.rundown[0])]


def _goto(x: Ctx, cmd: c.GotoSegment) -> list[ev.Event]:
    last = len(x.config.rundown) - 1
    if cmd.index is None:
        if cmd.step == 0:
            raise InvalidCommand("rule.segment_index_or_step")
        index = min(x.board.segment, last) + cmd.step
        if not 0 <= index <= last:
            if cmd.step > 0:
                raise RuleError("rule.last_segment")
            raise RuleError("rule.first_segment")
    else:
        index = cmd.index
    if not 0 <= index <= last:
        raise InvalidCommand("rule.segment_range", last=last, index=index)
    if index == x.board.segment:
        title = x.config.rundown[index].title
        raise RuleError("rule.already_in", title=title)
    return [ev.SegmentEntered(index), *onair.enter_segment(x.board.on_air, x.config.rundown[index])]


def _end(x: Ctx, cmd: c.EndShow) -> list[ev.Event]:
    return [ev.ShowEnded()]


def _tiebreak(x: Ctx, cmd: c.StartTiebreak) -> list[ev.Event]:
    teams = tuple(dict.fromkeys(x.team(t).id for t in cmd.teams))
    if len(teams) < 2:
        raise InvalidCommand("rule.tiebreak_two_teams")
    if not x.config.tiebreak.questions:
        raise RuleError("rule.no_tiebreak_questions")
    scores = {x.board.scores.get(t, 0) for t in teams}
    if len(scores) != 1:
        raise RuleError("rule.not_tied")
    left_out = [t for t in x.config.team_ids if t not in teams and x.board.scores.get(t, 0) in scores]
    if left_out:
        name = x.team_name(left_out[0])
        raise RuleError("rule.tied_left_out", team=name)
    entered = ev.SegmentEntered(len(x.config.rundown))
    return [ev.TiebreakStarted(teams), entered, *onair.enter_segment(x.board.on_air, tiebreak_segment(x.config))]


def _start_timer(x: Ctx, cmd: c.StartTimer) -> list[ev.Event]:
    duration = cmd.duration_ms
    if duration is None:
        duration = questions.answer_time(x, x.segment()) if x.board.question else x.segment().timer_ms
    if duration is None or not 0 < duration <= 3_600_000:
        raise InvalidCommand("rule.timer_duration")
    return [x.timer_started(duration)]


def _pause(x: Ctx, cmd: c.PauseTimer) -> list[ev.Event]:
    if not x.board.timer.running:
        raise RuleError("rule.timer_not_running")
    return [x.timer_stopped()]


def _resume(x: Ctx, cmd: c.ResumeTimer) -> list[ev.Event]:
    timer = x.board.timer
    if timer.running or timer.remaining_ms <= 0:
        if timer.running:
            raise RuleError("rule.timer_running")
        raise RuleError("rule.timer_ran_out")
    return [x.timer_resumed()]


def _add_time(x: Ctx, cmd: c.AddTime) -> list[ev.Event]:
    if cmd.ms == 0 or abs(cmd.ms) > 600_000:
        raise InvalidCommand("rule.add_time_range")
    timer = x.board.timer
    if timer.duration_ms == 0:
        raise RuleError("rule.no_timer_to_add")
    remaining = max(0, timer.remaining(x.at) + cmd.ms)
    started = x.at if timer.running else None
    return [ev.TimerChanged(Timer(max(timer.duration_ms, remaining), remaining, started))]


def _reset_timer(x: Ctx, cmd: c.ResetTimer) -> list[ev.Event]:
    timer = x.board.timer
    return [ev.TimerChanged(Timer(timer.duration_ms, timer.duration_ms, None))]


def _expire(x: Ctx, cmd: c.Expire) -> list[ev.Event]:
    if not x.time_is_up():
        raise RuleError("rule.timer_not_out")
    question = x.board.question
    if question is not None and question.phase in (Q.OPEN, Q.STEAL):
        return questions.close_answers(x, cmd)
    return [x.timer_stopped()]


def _adjust(x: Ctx, cmd: c.AdjustScore) -> list[ev.Event]:
    team = x.team(cmd.team)
    points = check_points(cmd.points, "points")
    reason = " ".join(cmd.reason.split())
    if points == 0:
        raise InvalidCommand("rule.adjust_nonzero")
    if not reason or len(reason) > 200:
        raise InvalidCommand("rule.adjust_reason")
    segment = x.segment().id if 0 <= x.board.segment < len(x.config.rundown) else None
    return [ev.PointsAwarded(Award(x.state.seq + 1, team.id, points, "adjust", segment, None, reason))]


def _undo(x: Ctx, cmd: c.Undo) -> list[ev.Event]:
    if not x.state.undo:
        raise RuleError("rule.nothing_to", command=_verb(c.Undo))
    return [ev.Undone(x.state.undo[-1].seq)]


def _redo(x: Ctx, cmd: c.Redo) -> list[ev.Event]:
    if not x.state.redo:
        raise RuleError("rule.nothing_to", command=_verb(c.Redo))
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
    c.SubmitScores: panel.submit_scores,
    c.LockScores: panel.lock_scores,
    c.UnlockScores: panel.lock_scores,
    c.RevealScores: panel.reveal_scores,
    c.OpenVoting: panel.voting,
    c.CloseVoting: panel.voting,
    c.CastVotes: votes.cast_votes,
    c.AdjustScore: _adjust,
    c.Undo: _undo,
    c.Redo: _redo,
    c.SetOverlay: onair.set_overlay,
    c.ShowLowerThird: onair.show_lower_third,
    c.TakeLook: onair.take_look,
}
