"""Words for actions: the labels of the undo history and the organizers' audit trail."""

from __future__ import annotations

import re
from collections.abc import Iterable

from msgspec import Struct

from server.core import commands as c
from server.core import events as ev
from server.core.config import OVERLAYS, ShowConfig
from server.core.state import HistoryEntry, ShowState
from server.core.text import clean
from server.core.words import Words, both, say

_VERBS = {c.LockScores: "audit.verb.lock", c.UnlockScores: "audit.verb.unlock", c.RevealScores: "audit.verb.reveal"}


def words_for(config: ShowConfig, state: ShowState, command: c.Command) -> Words:
    """What a command does, with names, as a producer would say it: the undo button's and the audit's line."""

    def team(team_id: str | None) -> str:
        found = config.team(team_id or "")
        return found.name if found else str(team_id)

    match command:
        case c.GotoSegment(index=int(index)) if 0 <= index < len(config.rundown):
            return say("audit.goto_segment", title=config.rundown[index].title)
        case c.GotoSegment(index=None, step=step) if 0 <= state.board.segment + step < len(config.rundown):
            return say("audit.goto_segment", title=config.rundown[state.board.segment + step].title)
        case c.LockScores(team=str(t)) | c.UnlockScores(team=str(t)) | c.RevealScores(team=str(t)):
            return say("audit.scores_of", verb=say(_VERBS[type(command)]), team=team(t))
        case c.ShowQuestion(question=qid):
            return say("audit.show_question", question=qid or say("audit.next"))
        case c.Buzz(team=t):
            return say("audit.buzz", team=team(t))
        case c.SubmitAnswer(team=t, answer=a):
            return say("audit.answer", team=team(t), answer=a[:40])
        case c.JudgeAnswer(team=t, correct=ok):
            return say("audit.judge_answer", team=team(t), result=say("audit.correct" if ok else "audit.wrong"))
        case c.ChoosePackage(team=t, values=v):
            return say("audit.choose_package", team=team(t), values="/".join(str(x) for x in v))
        case c.PlaceStar(team=t):
            return say("audit.place_star", team=team(t))
        case c.SubmitScores(judge=j, team=t, scores=s):
            return say("audit.submit_scores", judge=config.judge_name(j), team=team(t), total=sum(s.values()))
        case c.AdjustScore(team=t, points=p, reason=r):
            return say("audit.adjust", points=f"{'+' if p > 0 else ''}{p}", team=team(t), reason=" ".join(r.split()))
        case c.StartTiebreak(teams=ts):
            return say("audit.tiebreak", teams=", ".join(team(t) for t in ts))
        case c.SetOverlay(overlay=o, visible=v):
            return say("audit.show_overlay" if v else "audit.hide_overlay", overlay=overlay_name(o))
        case c.TakeLook(look=look_id) if 0 <= state.board.segment < len(config.rundown):
            segment = config.rundown[state.board.segment]
            return say("audit.take_look", title=next((lk.title for lk in segment.looks if lk.id == look_id), look_id))
        case c.ShowLowerThird(team=t, member=m, judge=j, name=n):
            people = {j.id: j.name for j in config.judges} | {p.id: p.name for x in config.teams for p in x.members}
            who = team(t) if t else people.get(m or j or "", n)
            return say("audit.lower_third", name=clean(who)[:60])
        case c.AddTime(ms=ms):
            # English says "add -5 s"; Vietnamese has a verb for taking time away.
            return say("audit.add_time" if ms >= 0 else "audit.take_time", seconds=f"{abs(ms) / 1000:g}")
        case c.Undo() if state.undo:
            return say("audit.undo", label=words_of(state.undo[-1]))
        case c.Redo() if state.redo:
            return say("audit.redo", label=words_of(state.redo[-1]))
        case c.CastVotes(votes=votes):
            return say("audit.votes", count=len(votes))
    return say(command_key(type(command)))


def command_key(kind: type) -> str:
    """The catalogue key naming a kind of command ("audit.command.start_show")."""
    return "audit.command." + re.sub(r"(?<!^)(?=[A-Z])", "_", kind.__name__).lower()


def overlay_name(overlay: str) -> Words:
    """An overlay as a sentence names it: its id in English, its name in Vietnamese."""
    return say(f"audit.overlay.{overlay}") if overlay in OVERLAYS else both(overlay)


def describe(config: ShowConfig, state: ShowState, command: c.Command, lang: str = "en") -> str:
    """``words_for`` as text in ``lang`` (English by default)."""
    return words_for(config, state, command).text(lang)


def describe_vi(config: ShowConfig, state: ShowState, command: c.Command) -> str:
    """``describe`` in Vietnamese, for the controller's undo button and audit panel."""
    return describe(config, state, command, "vi")


def words_of(entry: ev.Action | HistoryEntry) -> Words:
    """An action's label as words (logs from before the catalogue hold it in two languages)."""
    return entry.words or both(entry.label, entry.label_vi)


def label_in(entry: ev.Action | HistoryEntry, lang: str) -> str:
    """An action's label in ``lang``."""
    return words_of(entry).text(lang)


_ROLES = ("producer", "judge", "team", "host", "audience", "system")


def who_words(config: ShowConfig, by: str) -> Words:
    """An action's author as people say it: "giám khảo Trần Thị Minh Thư", not "judge:gk-2"."""
    role, _, subject = by.partition(":")
    if role == "team" and (found := config.team(subject)):
        return both(found.name)
    if role == "judge":
        subject = config.judge_name(subject)
    if role not in _ROLES:
        return both(f"{role} {subject}".strip())
    return say(f"audit.who.{role}" if subject else f"audit.role.{role}", name=subject)


def who(config: ShowConfig, by: str, vi: bool = False) -> str:
    """``who_words`` as text: English by default, Vietnamese with ``vi``."""
    return who_words(config, by).text("vi" if vi else "en")


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
