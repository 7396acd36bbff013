"""The judges' panel and the audience's vote on it: who may give the command, then the round's rules."""

from __future__ import annotations

from server.core import commands as c
from server.core import events as ev
from server.core.context import Ctx
from server.core.errors import Forbidden, NotFound, quote


def submit_scores(x: Ctx, cmd: c.SubmitScores) -> list[ev.Event]:
    by = cmd.by
    if by.role == "judge" and by.id != cmd.judge:
        raise Forbidden("rule.own_scores_only")
    if by.role not in ("judge", "producer"):
        raise Forbidden("rule.judges_or_producer")
    if cmd.judge not in x.config.judge_ids:
        raise NotFound("rule.no_judge", judge=quote(cmd.judge))
    segment = x.segment()
    return x.round().submit_scores(x, segment, cmd)


def lock_scores(x: Ctx, cmd: c.LockScores | c.UnlockScores) -> list[ev.Event]:
    x.require_producer()
    return x.round().lock_scores(x, x.segment(), cmd)


def reveal_scores(x: Ctx, cmd: c.RevealScores) -> list[ev.Event]:
    x.require_producer()
    return x.round().reveal_scores(x, x.segment(), cmd)


def voting(x: Ctx, cmd: c.OpenVoting | c.CloseVoting) -> list[ev.Event]:
    x.require_producer()
    return x.round().voting(x, x.segment(), cmd)
