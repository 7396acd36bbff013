"""``/host``: the host's (MC's) screen, which reads the producer's view and sends no commands."""

from __future__ import annotations

from typing import Any

from server.core import commands as c
from server.transport import protocol as p
from server.transport.hub import Session
from server.transport.namespaces.role import RoleNamespace


class HostNamespace(RoleNamespace):
    """The host's (MC's) screen: the producer's view (answers, notes, what comes next), read only."""

    role = "host"

    token_role = "host"
    wrong_token = (
        "the host screen's token is missing or wrong",
        "mã truy cập màn hình người dẫn chương trình bị thiếu hoặc không đúng",
    )

    def audience_of(self, actor: c.Actor) -> str:
        return "producer"

    async def handle(self, sid: str, session: Session, event: Any, payload: Any) -> dict[str, Any]:
        if event in (p.SYNC, p.TIME):
            return await super().handle(sid, session, event, payload)
        # The host reads; the producer runs the show (a stray click on the MC's monitor changes nothing).
        return p.error(
            "read_only",
            f"the host screen sends no commands ('{str(event)[:40]}' refused); only 'sync' and 'time'",
            f"màn hình người dẫn chương trình không gửi lệnh (từ chối '{str(event)[:40]}'); chỉ có 'sync' và 'time'",
        )
