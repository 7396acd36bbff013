"""Socket.IO adapters: one namespace per role. They check who is talking and what they sent, hand
commands to the service, and answer every event with an ACK. No rules live here."""

from __future__ import annotations

from server.transport.namespaces.audience import AudienceNamespace
from server.transport.namespaces.control import ControlNamespace
from server.transport.namespaces.host import HostNamespace
from server.transport.namespaces.overlay import OverlayNamespace
from server.transport.namespaces.pads import JudgeNamespace, TeamNamespace
from server.transport.namespaces.role import RoleNamespace

NAMESPACES = (ControlNamespace, HostNamespace, JudgeNamespace, TeamNamespace, OverlayNamespace, AudienceNamespace)

__all__ = [
    "NAMESPACES",
    "AudienceNamespace",
    "ControlNamespace",
    "HostNamespace",
    "JudgeNamespace",
    "OverlayNamespace",
    "RoleNamespace",
    "TeamNamespace",
]
