"""``/overlay``: the broadcast graphics (OBS browser sources) and the controllers' program monitors."""

from __future__ import annotations

from typing import Any

from server.core import commands as c
from server.transport.hub import MONITOR
from server.transport.namespaces.role import RoleNamespace


class OverlayNamespace(RoleNamespace):
    """The public view for anyone, no token: the graphics show what is on air anyway."""

    role = "overlay"

    def authenticate(self, auth: Any) -> tuple[c.Actor, str]:
        return c.Actor("overlay"), "public"

    def device(self, auth: dict) -> str:
        # A controller's program monitor shows the same picture, but is not a browser source on air.
        return MONITOR if auth.get("monitor") is True else ""
