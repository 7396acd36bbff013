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
from server.core.config import ShowConfig
from server.core.context import Ctx, check_points, tiebreak_segment
from server.core.errors import Forbidden, InvalidCommand, PhaseError, RuleError
from server.core.state import Award, QPhase, ShowPhase, ShowState, Timer

NONE = "none"  # no question on screen
Q = QPhase
ANY = frozenset({NONE, *QPhase})
BETWEEN = frozenset({NONE, Q.READY, Q.CLOSED, Q.REVEALED})  # nothing is being answered
QUESTION = frozenset(QPhase)

# command -> (what it is called, the question phases it may run in, what it is called in Vietnamese)
PHASES: dict[type, tuple[str, frozenset, str]] = {
    c.StartShow: ("start the show", ANY, "bắt đầu chương trình"),
    c.GotoSegment: ("change segment", BETWEEN, "chuyển phần thi"),
    c.EndShow: ("end the show", BETWEEN, "kết thúc chương trình"),
    c.StartTiebreak: ("start a tie-break", BETWEEN, "bắt đầu câu hỏi phụ"),
    c.ShowQuestion: ("show the next question", BETWEEN, "hiện câu hỏi tiếp theo"),
    c.OpenAnswers: ("open answers", frozenset({Q.READY}), "mở trả lời"),
    c.CloseAnswers: ("close answers", frozenset({Q.OPEN, Q.ANSWERING, Q.STEAL}), "đóng trả lời"),
    c.RevealAnswer: ("reveal the answer", frozenset({Q.CLOSED}), "công bố đáp án"),
    c.ResetQuestion: ("reset the question", QUESTION, "làm lại câu hỏi"),
    c.Buzz: ("buzz", frozenset({Q.OPEN, Q.STEAL}), "bấm chuông"),
    c.SubmitAnswer: ("submit an answer", frozenset({Q.OPEN}), "gửi câu trả lời"),
    c.JudgeAnswer: ("judge an answer", frozenset({Q.OPEN, Q.ANSWERING, Q.CLOSED}), "chấm câu trả lời"),
    c.ChoosePackage: ("choose a package", BETWEEN - {Q.READY}, "chọn gói câu hỏi"),
    c.PlaceStar: ("place the star of hope", frozenset({Q.READY}), "đặt ngôi sao hy vọng"),
    c.StartTimer: ("start the timer", ANY, "chạy đồng hồ"),
    c.PauseTimer: ("pause the timer", ANY, "dừng đồng hồ"),
    c.ResumeTimer: ("resume the timer", ANY, "chạy tiếp đồng hồ"),
    c.AddTime: ("add time", ANY, "thêm giờ"),
    c.ResetTimer: ("reset the timer", ANY, "đặt lại đồng hồ"),
    c.Expire: ("end the countdown", ANY, "kết thúc đếm ngược"),
    c.SubmitScores: ("enter scores", ANY, "nhập điểm"),
    c.LockScores: ("lock scores", ANY, "khoá điểm"),
    c.UnlockScores: ("unlock scores", ANY, "mở khoá điểm"),
    c.RevealScores: ("reveal scores", BETWEEN, "công bố điểm"),
    c.OpenVoting: ("open the audience vote", ANY, "mở bình chọn của khán giả"),
    c.CloseVoting: ("close the audience vote", ANY, "đóng bình chọn của khán giả"),
    c.CastVotes: ("vote", ANY, "bình chọn"),
    c.AdjustScore: ("adjust a score", ANY, "điều chỉnh điểm"),
    c.Undo: ("undo", ANY, "hoàn tác"),
    c.Redo: ("redo", ANY, "làm lại"),
    c.SetOverlay: ("change what is on air", ANY, "thay đổi nội dung trên sóng"),
    c.ShowLowerThird: ("show a lower third", ANY, "hiện dòng giới thiệu"),
    c.TakeLook: ("take a look", ANY, "chọn bố cục đồ hoạ"),
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
_PHASE_WORDS_VI = {
    NONE: "chưa có câu hỏi trên sóng",
    Q.READY: "câu hỏi chưa được mở",
    Q.OPEN: "vẫn đang mở trả lời",
    Q.ANSWERING: "một đội đang trả lời",
    Q.STEAL: "đang mở lượt giành quyền trả lời",
    Q.CLOSED: "đã đóng trả lời",
    Q.REVEALED: "đáp án đã được công bố",
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
_SHOW_WORDS = {
    ShowPhase.SETUP: "the show has not started",
    ShowPhase.LIVE: "the show is live",
    ShowPhase.ENDED: "the show has ended",
}
_SHOW_WORDS_VI = {
    ShowPhase.SETUP: "chương trình chưa bắt đầu",
    ShowPhase.LIVE: "chương trình đang phát sóng",
    ShowPhase.ENDED: "chương trình đã kết thúc",
}


def decide(config: ShowConfig, state: ShowState, command: c.Command) -> list[ev.Event]:
    """The events a command causes, or a ``RuleError`` saying why it can't happen now."""
    kind = type(command)
    name, phases, name_vi = PHASES[kind]
    show_phase = state.board.phase
    if show_phase not in _SHOW_PHASES.get(kind, frozenset({ShowPhase.LIVE})):
        raise PhaseError(
            f"can't {name} while {_SHOW_WORDS[show_phase]}",
            vi=f"không thể {name_vi} khi {_SHOW_WORDS_VI[show_phase]}",
        )
    question = state.board.question
    where = NONE if question is None else question.phase
    if where not in phases:
        raise PhaseError(
            f"can't {name} while {_PHASE_WORDS[where]}", vi=f"không thể {name_vi} khi {_PHASE_WORDS_VI[where]}"
        )
    allowed = _ACTORS.get(kind, ("producer",))
    if command.by.role not in allowed:
        raise Forbidden(
            f"only {' or '.join(_ROLE_WORDS[role] for role in allowed)} can {name}",
            vi=f"chỉ {' hoặc '.join(_ROLE_WORDS_VI[role] for role in allowed)} mới được {name_vi}",
        )
    events = _HANDLERS[kind](Ctx(config, state, command), command)
    if not events:
        raise RuleError(f"nothing to {name}", vi=f"không có gì để {name_vi}")
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
_ROLE_WORDS_VI = {
    "producer": "bàn điều khiển",
    "team": "máy tính bảng của đội",
    "judge": "giám khảo",
    "audience": "khán giả",
    "system": "hệ thống",
}


def _start(x: Ctx, cmd: c.StartShow) -> list[ev.Event]:
    return [ev.ShowStarted(), ev.SegmentEntered(0), *onair.enter_segment(x.board.on_air, x.config.rundown[0])]


def _goto(x: Ctx, cmd: c.GotoSegment) -> list[ev.Event]:
    last = len(x.config.rundown) - 1
    if cmd.index is None:
        if cmd.step == 0:
            raise InvalidCommand(
                "give a segment index, or a step such as 1 (next) or -1 (back)",
                vi="hãy cho số thứ tự phần thi, hoặc một bước như 1 (tiếp) hay -1 (lùi)",
            )
        index = min(x.board.segment, last) + cmd.step
        if not 0 <= index <= last:
            if cmd.step > 0:
                raise RuleError("this is the last segment", vi="đây là phần thi cuối cùng")
            raise RuleError("this is the first segment", vi="đây là phần thi đầu tiên")
    else:
        index = cmd.index
    if not 0 <= index <= last:
        raise InvalidCommand(
            f"index: expected a segment from 0 to {last}, got {index}",
            vi=f"index: cần số thứ tự phần thi từ 0 đến {last}, nhận được {index}",
        )
    if index == x.board.segment:
        title = x.config.rundown[index].title
        raise RuleError(f"already in '{title}'", vi=f"đang ở phần thi '{title}' rồi")
    return [ev.SegmentEntered(index), *onair.enter_segment(x.board.on_air, x.config.rundown[index])]


def _end(x: Ctx, cmd: c.EndShow) -> list[ev.Event]:
    return [ev.ShowEnded()]


def _tiebreak(x: Ctx, cmd: c.StartTiebreak) -> list[ev.Event]:
    teams = tuple(dict.fromkeys(x.team(t).id for t in cmd.teams))
    if len(teams) < 2:
        raise InvalidCommand(
            "teams: a tie-break needs at least two different teams",
            vi="teams: câu hỏi phụ cần ít nhất hai đội khác nhau",
        )
    if not x.config.tiebreak.questions:
        raise RuleError(
            "the show has no tie-break questions; add them under 'tiebreak'",
            vi="chương trình không có câu hỏi phụ; hãy thêm chúng vào mục 'tiebreak'",
        )
    scores = {x.board.scores.get(t, 0) for t in teams}
    if len(scores) != 1:
        raise RuleError("those teams are not tied on points", vi="các đội này không bằng điểm nhau")
    left_out = [t for t in x.config.team_ids if t not in teams and x.board.scores.get(t, 0) in scores]
    if left_out:
        name = x.team_name(left_out[0])
        raise RuleError(
            f"{name} is tied on the same points; include it in the tie-break",
            vi=f"{name} cũng bằng điểm; hãy đưa đội này vào câu hỏi phụ",
        )
    entered = ev.SegmentEntered(len(x.config.rundown))
    return [ev.TiebreakStarted(teams), entered, *onair.enter_segment(x.board.on_air, tiebreak_segment(x.config))]


def _start_timer(x: Ctx, cmd: c.StartTimer) -> list[ev.Event]:
    duration = cmd.duration_ms
    if duration is None:
        duration = questions.answer_time(x, x.segment()) if x.board.question else x.segment().timer_ms
    if duration is None or not 0 < duration <= 3_600_000:
        raise InvalidCommand(
            "duration_ms: expected a duration from 1 ms to 1 hour", vi="duration_ms: cần thời lượng từ 1 ms đến 1 giờ"
        )
    return [x.timer_started(duration)]


def _pause(x: Ctx, cmd: c.PauseTimer) -> list[ev.Event]:
    if not x.board.timer.running:
        raise RuleError("the timer is not running", vi="đồng hồ đang không chạy")
    return [x.timer_stopped()]


def _resume(x: Ctx, cmd: c.ResumeTimer) -> list[ev.Event]:
    timer = x.board.timer
    if timer.running or timer.remaining_ms <= 0:
        if timer.running:
            raise RuleError("the timer is running", vi="đồng hồ đang chạy")
        raise RuleError("the timer has run out; start it again", vi="đồng hồ đã hết giờ; hãy chạy lại")
    return [x.timer_resumed()]


def _add_time(x: Ctx, cmd: c.AddTime) -> list[ev.Event]:
    if cmd.ms == 0 or abs(cmd.ms) > 600_000:
        raise InvalidCommand(
            "ms: expected a non-zero change of at most 10 minutes", vi="ms: cần một mức thay đổi khác 0, tối đa 10 phút"
        )
    timer = x.board.timer
    if timer.duration_ms == 0:
        raise RuleError(
            "there is no timer to add time to; start it first",
            vi="chưa có đồng hồ để thêm giờ; hãy chạy đồng hồ trước",
        )
    remaining = max(0, timer.remaining(x.at) + cmd.ms)
    started = x.at if timer.running else None
    return [ev.TimerChanged(Timer(max(timer.duration_ms, remaining), remaining, started))]


def _reset_timer(x: Ctx, cmd: c.ResetTimer) -> list[ev.Event]:
    timer = x.board.timer
    return [ev.TimerChanged(Timer(timer.duration_ms, timer.duration_ms, None))]


def _expire(x: Ctx, cmd: c.Expire) -> list[ev.Event]:
    if not x.time_is_up():
        raise RuleError("the timer has not run out", vi="đồng hồ chưa hết giờ")
    question = x.board.question
    if question is not None and question.phase in (Q.OPEN, Q.STEAL):
        return questions.close_answers(x, cmd)
    return [x.timer_stopped()]


def _adjust(x: Ctx, cmd: c.AdjustScore) -> list[ev.Event]:
    team = x.team(cmd.team)
    points = check_points(cmd.points, "points")
    reason = " ".join(cmd.reason.split())
    if points == 0:
        raise InvalidCommand("points: expected a non-zero number of points", vi="points: cần số điểm khác 0")
    if not reason or len(reason) > 200:
        raise InvalidCommand("reason: say why, in 1 to 200 characters", vi="reason: hãy ghi lý do, từ 1 đến 200 ký tự")
    segment = x.segment().id if 0 <= x.board.segment < len(x.config.rundown) else None
    return [ev.PointsAwarded(Award(x.state.seq + 1, team.id, points, "adjust", segment, None, reason))]


def _undo(x: Ctx, cmd: c.Undo) -> list[ev.Event]:
    if not x.state.undo:
        raise RuleError("nothing to undo", vi="không có gì để hoàn tác")
    return [ev.Undone(x.state.undo[-1].seq)]


def _redo(x: Ctx, cmd: c.Redo) -> list[ev.Event]:
    if not x.state.redo:
        raise RuleError("nothing to redo", vi="không có gì để làm lại")
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
