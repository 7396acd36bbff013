"""Words for actions: the labels of the undo history and the organizers' audit trail."""

from __future__ import annotations

from collections.abc import Iterable

from msgspec import Struct

from server.core import commands as c
from server.core import events as ev
from server.core.config import OVERLAY_NAMES_VI, ShowConfig
from server.core.state import ShowState


def describe(config: ShowConfig, state: ShowState, command: c.Command) -> str:
    """A short line saying what a command does, with names, as a producer would say it."""

    def team(team_id: str | None) -> str:
        found = config.team(team_id or "")
        return found.name if found else str(team_id)

    match command:
        case c.GotoSegment(index=int(index)) if 0 <= index < len(config.rundown):
            return f"go to segment '{config.rundown[index].title}'"
        case c.GotoSegment(index=None, step=step) if 0 <= state.board.segment + step < len(config.rundown):
            return f"go to segment '{config.rundown[state.board.segment + step].title}'"
        case c.LockScores(team=str(t)) | c.UnlockScores(team=str(t)) | c.RevealScores(team=str(t)):
            verb = {c.LockScores: "lock", c.UnlockScores: "unlock", c.RevealScores: "reveal"}[type(command)]
            return f"{verb} scores of {team(t)}"
        case c.ShowQuestion(question=qid):
            return f"show question {qid or '(next)'}"
        case c.Buzz(team=t):
            return f"{team(t)} buzzes"
        case c.SubmitAnswer(team=t, answer=a):
            return f"{team(t)} answers '{a[:40]}'"
        case c.JudgeAnswer(team=t, correct=ok):
            return f"mark {team(t)} {'correct' if ok else 'wrong'}"
        case c.ChoosePackage(team=t, values=v):
            return f"{team(t)} chooses package {'/'.join(str(x) for x in v)}"
        case c.PlaceStar(team=t):
            return f"{team(t)} places the star of hope"
        case c.SubmitScores(judge=j, team=t, scores=s):
            return f"judge {j} scores {team(t)}: {sum(s.values())}"
        case c.AdjustScore(team=t, points=p, reason=r):
            return f"{'+' if p > 0 else ''}{p} to {team(t)}: {' '.join(r.split())}"
        case c.StartTiebreak(teams=ts):
            return "tie-break: " + ", ".join(team(t) for t in ts)
        case c.SetOverlay(overlay=o, visible=v):
            return f"{'show' if v else 'hide'} the {o} overlay"
        case c.AddTime(ms=ms):
            return f"add {ms / 1000:g} s to the timer"
        case c.Undo() if state.undo:
            return f"undo: {state.undo[-1].label}"
        case c.Redo() if state.redo:
            return f"redo: {state.redo[-1].label}"
        case c.CastVotes(votes=votes):
            return f"{len(votes)} audience vote(s)"
    from server.core.decide import PHASES

    return PHASES[type(command)][0]


def describe_vi(config: ShowConfig, state: ShowState, command: c.Command) -> str:
    """``describe`` in Vietnamese, for the controller's undo button and audit panel."""

    def team(team_id: str | None) -> str:
        found = config.team(team_id or "")
        return found.name if found else str(team_id)

    match command:
        case c.GotoSegment(index=int(index)) if 0 <= index < len(config.rundown):
            return f"chuyển đến phần thi '{config.rundown[index].title}'"
        case c.GotoSegment(index=None, step=step) if 0 <= state.board.segment + step < len(config.rundown):
            return f"chuyển đến phần thi '{config.rundown[state.board.segment + step].title}'"
        case c.LockScores(team=str(t)) | c.UnlockScores(team=str(t)) | c.RevealScores(team=str(t)):
            verb = {c.LockScores: "khoá", c.UnlockScores: "mở khoá", c.RevealScores: "công bố"}[type(command)]
            return f"{verb} điểm của {team(t)}"
        case c.ShowQuestion(question=qid):
            return f"hiện câu hỏi {qid or '(tiếp theo)'}"
        case c.Buzz(team=t):
            return f"{team(t)} bấm chuông"
        case c.SubmitAnswer(team=t, answer=a):
            return f"{team(t)} trả lời '{a[:40]}'"
        case c.JudgeAnswer(team=t, correct=ok):
            return f"chấm {team(t)} {'đúng' if ok else 'sai'}"
        case c.ChoosePackage(team=t, values=v):
            return f"{team(t)} chọn gói {'/'.join(str(x) for x in v)}"
        case c.PlaceStar(team=t):
            return f"{team(t)} đặt ngôi sao hy vọng"
        case c.SubmitScores(judge=j, team=t, scores=s):
            return f"giám khảo {j} chấm {team(t)}: {sum(s.values())}"
        case c.AdjustScore(team=t, points=p, reason=r):
            return f"{'+' if p > 0 else ''}{p} điểm cho {team(t)}: {' '.join(r.split())}"
        case c.StartTiebreak(teams=ts):
            return "câu hỏi phụ: " + ", ".join(team(t) for t in ts)
        case c.SetOverlay(overlay=o, visible=v):
            return f"{'bật' if v else 'tắt'} overlay {OVERLAY_NAMES_VI.get(o, o)}"
        case c.AddTime(ms=ms):
            return f"thêm {ms / 1000:g} giây cho đồng hồ" if ms > 0 else f"bớt {-ms / 1000:g} giây của đồng hồ"
        case c.Undo() if state.undo:
            return f"hoàn tác: {state.undo[-1].label_vi or state.undo[-1].label}"
        case c.Redo() if state.redo:
            return f"làm lại: {state.redo[-1].label_vi or state.redo[-1].label}"
        case c.CastVotes(votes=votes):
            return f"{len(votes)} lượt bình chọn của khán giả"
    from server.core.decide import PHASES

    return PHASES[type(command)][2]


def label_vi(action: ev.Action) -> str:
    """An action's label in Vietnamese (the English one for actions logged before labels had one)."""
    return action.label_vi or action.label


class AuditEntry(Struct, frozen=True):
    seq: int
    at: int
    by: str
    what: str
    undone: bool = False


def record(entries: dict[int, AuditEntry], action: ev.Action) -> None:
    """Add one action to an audit trail kept by sequence number, marking what it undid or redid."""
    for event in action.events:
        if isinstance(event, ev.Undone | ev.Redone) and event.seq in entries:
            old = entries[event.seq]
            entries[event.seq] = AuditEntry(old.seq, old.at, old.by, old.what, isinstance(event, ev.Undone))
    entries[action.seq] = AuditEntry(action.seq, action.command.at, str(action.command.by), action.label)


def audit_trail(actions: Iterable[ev.Action]) -> list[AuditEntry]:
    """Who did what and when, with reasons, marking what was undone (and not redone)."""
    entries: dict[int, AuditEntry] = {}
    for action in actions:
        record(entries, action)
    return list(entries.values())
