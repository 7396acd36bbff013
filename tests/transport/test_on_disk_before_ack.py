"""A producer's command is on air before the disk has synced it, and on disk before its ACK
(server/log/store.py ``later``, server/transport/namespaces/role.py)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from server.transport import hub
from tests.transport.conftest import LiveShow

ADJUST = {"team": "tam-ky", "points": 1, "reason": "on air first"}


async def test_a_command_goes_on_air_then_to_disk_then_to_its_sender(
    live: LiveShow, monkeypatch: pytest.MonkeyPatch
) -> None:
    producer, overlay = await live.producer(), await live.overlay()
    assert (await producer.call("start_show"))["ok"]
    seen: list[str] = []
    real_sync, real_written = os.fdatasync, hub.written

    def fdatasync(fd: int) -> None:
        seen.append("disk")
        real_sync(fd)

    def written(socket: Any, pkt: Any) -> bool:
        seen.append("air")
        return real_written(socket, pkt)

    monkeypatch.setattr(os, "fdatasync", fdatasync)
    monkeypatch.setattr(hub, "written", written)
    for _ in range(20):
        seen.clear()
        ack = await producer.call("adjust_score", ADJUST)
        seen.append("ack")
        assert ack["ok"]
        # The overlay's patch (and the producer's own view's) left before the sync, the ACK after it.
        assert seen.count("disk") == 1 and seen[0] == "air" and seen[-1] == "ack", seen
        rev = ack["rev"]
        await overlay.wait_for(lambda: overlay.rev >= rev)  # noqa: B023 (awaited here)
