"""Typed keys for what the aiohttp application holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from server.show.service import ShowService
    from server.transport.access import Access
    from server.transport.handoff import Handoff
    from server.transport.hub import Hub
    from server.transport.phones_process import OwnerLine

SERVICE: web.AppKey[ShowService] = web.AppKey("service")
ACCESS: web.AppKey[Access] = web.AppKey("access")
HUB: web.AppKey[Hub] = web.AppKey("hub")
HANDOFF: web.AppKey[Handoff] = web.AppKey("handoff")  # the owner's, with a phones process
OWNER_LINE: web.AppKey[OwnerLine] = web.AppKey("owner_line")  # the phones process's
