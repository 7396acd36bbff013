"""The judges' panel and the audience's vote on it: who may give the command, then the round's rules."""

from __future__ import annotations

from server.core import commands as c
from server.core import events as ev
from server.core.context import Ctx
from server.core.errors import Forbidden, NotFound, quote


def submit_scores(x: Ctx, cmd: c.SubmitScores) -> list[ev.Event]:
    by = cmd.by
    if by.role == "judge" and by.id != cmd.judge:
        raise Forbidden("a judge can only enter their own scores", vi="giám khảo chỉ được nhập điểm của chính mình")
    if by.role not in ("judge", "producer"):
        raise Forbidden(
            "only judges and the producer can enter scores", vi="chỉ giám khảo và bàn điều khiển mới được nhập điểm"
        )
    if cmd.judge not in x.config.judge_ids:
        raise NotFound(f"there is no judge '{quote(cmd.judge)}'", vi=f"không có giám khảo '{quote(cmd.judge)}'")
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
