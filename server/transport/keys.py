"""Typed keys for what the aiohttp application holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from server.show.service import ShowService
    from server.transport.access import Access
    from server.transport.hub import Hub

SERVICE: web.AppKey[ShowService] = web.AppKey("service")
ACCESS: web.AppKey[Access] = web.AppKey("access")
HUB: web.AppKey[Hub] = web.AppKey("hub")
