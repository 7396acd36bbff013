"""Words for actions: the labels of the undo history and the organizers' audit trail."""

from __future__ import annotations

from collections.abc import Iterable

from msgspec import Struct

from server.core import commands as c
from server.core import events as ev
from server.core.config import OVERLAY_NAMES_VI, ShowConfig
from server.core.state import ShowState
from server.core.text import clean


def describe(config: ShowConfig, state: ShowState, command: c.Command, vi: bool = False) -> str:
    """A short line saying what a command does, with names, as a producer would say it.

    English by default; ``vi`` gives the same line in Vietnamese.
    """

    def say(english: str, vietnamese: str, **values: object) -> str:
        return (vietnamese if vi else english).format(**values)

    def team(team_id: str | None) -> str:
        found = config.team(team_id or "")
        return found.name if found else str(team_id)

    def label(entry) -> str:
        return (entry.label_vi or entry.label) if vi else entry.label

    match command:
        case c.GotoSegment(index=int(index)) if 0 <= index < len(config.rundown):
            return say("go to segment '{t}'", "chuyển đến phần thi '{t}'", t=config.rundown[index].title)
        case c.GotoSegment(index=None, step=step) if 0 <= state.board.segment + step < len(config.rundown):
            title = config.rundown[state.board.segment + step].title
            return say("go to segment '{t}'", "chuyển đến phần thi '{t}'", t=title)
        case c.LockScores(team=str(t)) | c.UnlockScores(team=str(t)) | c.RevealScores(team=str(t)):
            verbs = {
                c.LockScores: ("lock", "khoá"),
                c.UnlockScores: ("unlock", "mở khoá"),
                c.RevealScores: ("reveal", "công bố"),
            }
            return say("{v} scores of {t}", "{v} điểm của {t}", v=verbs[type(command)][vi], t=team(t))
        case c.ShowQuestion(question=qid):
            return say("show question {q}", "hiện câu hỏi {q}", q=qid or say("(next)", "(tiếp theo)"))
        case c.Buzz(team=t):
            return say("{t} buzzes", "{t} bấm chuông", t=team(t))
        case c.SubmitAnswer(team=t, answer=a):
            return say("{t} answers '{a}'", "{t} trả lời '{a}'", t=team(t), a=a[:40])
        case c.JudgeAnswer(team=t, correct=ok):
            return say(
                "mark {t} {r}", "chấm {t} {r}", t=team(t), r=say("correct", "đúng") if ok else say("wrong", "sai")
            )
        case c.ChoosePackage(team=t, values=v):
            return say("{t} chooses package {v}", "{t} chọn gói {v}", t=team(t), v="/".join(str(x) for x in v))
        case c.PlaceStar(team=t):
            return say("{t} places the star of hope", "{t} đặt ngôi sao hy vọng", t=team(t))
        case c.SubmitScores(judge=j, team=t, scores=s):
            total = sum(s.values())
            return say(
                "judge {j} scores {t}: {s}", "giám khảo {j} chấm {t}: {s}", j=config.judge_name(j), t=team(t), s=total
            )
        case c.AdjustScore(team=t, points=p, reason=r):
            return say(
                "{p} to {t}: {r}",
                "{p} điểm cho {t}: {r}",
                p=f"{'+' if p > 0 else ''}{p}",
                t=team(t),
                r=" ".join(r.split()),
            )
        case c.StartTiebreak(teams=ts):
            return say("tie-break: {t}", "câu hỏi phụ: {t}", t=", ".join(team(t) for t in ts))
        case c.SetOverlay(overlay=o, visible=v):
            if vi:
                return f"{'bật' if v else 'tắt'} overlay {OVERLAY_NAMES_VI.get(o, o)}"
            return f"{'show' if v else 'hide'} the {o} overlay"
        case c.TakeLook(look=look_id) if 0 <= state.board.segment < len(config.rundown):
            segment = config.rundown[state.board.segment]
            title = next((lk.title for lk in segment.looks if lk.id == look_id), look_id)
            return say("take the look '{t}'", "chọn bố cục '{t}'", t=title)
        case c.ShowLowerThird(team=t, member=m, judge=j, name=n):
            people = {p.id: p.name for p in (*config.judges, *(m for t in config.teams for m in t.members))}
            who = team(t) if t else people.get(m or j or "", n)
            return say("lower third: {w}", "giới thiệu: {w}", w=clean(who)[:60])
        case c.AddTime(ms=ms):
            if vi:
                return f"thêm {ms / 1000:g} giây cho đồng hồ" if ms > 0 else f"bớt {-ms / 1000:g} giây của đồng hồ"
            return f"add {ms / 1000:g} s to the timer"
        case c.Undo() if state.undo:
            return say("undo: {l}", "hoàn tác: {l}", l=label(state.undo[-1]))
        case c.Redo() if state.redo:
            return say("redo: {l}", "làm lại: {l}", l=label(state.redo[-1]))
        case c.CastVotes(votes=votes):
            return say("{n} audience vote(s)", "{n} lượt bình chọn của khán giả", n=len(votes))
    from server.core.decide import PHASES

    return PHASES[type(command)][2 if vi else 0]


def describe_vi(config: ShowConfig, state: ShowState, command: c.Command) -> str:
    """``describe`` in Vietnamese, for the controller's undo button and audit panel."""
    return describe(config, state, command, vi=True)


# Who acted, by role, for the audit: a person's name follows where the role has people.
_ROLES = {
    "producer": ("producer", "bàn điều khiển"),
    "judge": ("judge", "giám khảo"),
    "team": ("team", "đội"),
    "host": ("host", "người dẫn chương trình"),
    "audience": ("audience", "khán giả"),
    "system": ("system (timer)", "hệ thống (đồng hồ)"),
}


def who(config: ShowConfig, by: str, vi: bool = False) -> str:
    """An action's author as people say it: "giám khảo Trần Thị Minh Thư", not "judge:gk-2"."""
    role, _, subject = by.partition(":")
    words = _ROLES.get(role, (role, role))[vi]
    if role == "team":
        found = config.team(subject)
        return found.name if found else f"{words} {subject}"
    if role == "judge":
        return f"{words} {config.judge_name(subject)}"
    return f"{words} {subject}".strip()


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
