"""``/host``: the host's (MC's) screen, which reads the producer's view and sends no commands."""

from __future__ import annotations

from typing import Any

from server.transport import protocol as p
from server.transport.hub import Session
from server.transport.namespaces.role import RoleNamespace


class HostNamespace(RoleNamespace):
    """The host's (MC's) screen: the producer's view (answers, notes, what comes next), read only."""

    role = "host"

    token_role = "host"
    wrong_token = "wire.wrong_token.host"
    audience = "producer"

    async def handle(self, sid: str, session: Session, event: Any, payload: Any) -> dict[str, Any]:
        if event in (p.SYNC, p.TIME):
            return await super().handle(sid, session, event, payload)
        # The host reads; the producer runs the show (a stray click on the MC's monitor changes nothing).
        return p.error("read_only", "wire.host_read_only", event=str(event)[:40])
