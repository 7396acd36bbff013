"""``/judge`` and ``/team``: the judges' and the teams' pads, each signed in with its own token."""

from __future__ import annotations

from typing import Any

from server.core import commands as c
from server.core.words import say
from server.transport import protocol as p
from server.transport.namespaces.role import RoleNamespace


class JudgeNamespace(RoleNamespace):
    """A judge's pad: that judge's own view and the judging commands."""

    role = "judge"

    token_role = "judge"
    wrong_token = "wire.wrong_token.judge"

    def audience_of(self, actor: c.Actor) -> str:
        return f"judge:{actor.id}"


class TeamNamespace(RoleNamespace):
    """A team's pad: the public view and what the pads may send, on one device per team at a time."""

    role = "team"
    audience = "team"

    token_role = "team"
    wrong_token = "wire.wrong_token.team"

    async def admit(self, sid: str, actor: c.Actor, audience: str, auth: dict) -> None:
        current = self.hub.team_pads.get(actor.id)
        if current is not None and current != sid:
            old = self.hub.sessions.get((self.role, current))
            pad = auth.get("pad")
            # The same tablet coming back (its old connection not yet timed out) simply replaces itself.
            same_pad = isinstance(pad, str) and 8 <= len(pad) <= 64 and old is not None and old.device == pad
            if same_pad:
                await self.disconnect(current)
            elif auth.get("takeover") is not True:
                name = self.hub.service.config.team(actor.id).name
                raise self.refuse("in_use", "wire.pad_in_use", name=name)
            else:
                message = p.refusal("taken_over", say("wire.taken_over"))
                await self.emit(p.TAKEN_OVER, message, to=current, ignore_queue=True)
                await self.disconnect(current)
        self.hub.team_pads[actor.id] = sid

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        session = self.hub.sessions.get((self.role, sid))
        if session is not None and self.hub.team_pads.get(session.actor.id) == sid:
            del self.hub.team_pads[session.actor.id]
        await super().on_disconnect(sid, reason)
