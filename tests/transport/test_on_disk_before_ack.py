"""A producer's command is on air before the disk has synced it, and on disk before its ACK
(server/log/store.py ``later``, server/transport/namespaces/role.py); the phones process hears of it
after that (server/transport/phones_link.py ``relay``)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from msgspec.structs import replace

from server.app import Settings, create_app
from server.transport import hub
from server.transport.keys import HUB
from tests.transport.conftest import LiveShow, serve

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


async def test_the_phones_process_hears_of_a_change_once_the_desk_is_done(
    aiohttp_server, show_files, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The owner and a phones process in this loop, linked: the audience's packet leaves for the phones
    process after the command's disk sync (its ACK is sent in the same turn as the sync), never before."""
    config, db = show_files
    settings = Settings(config_path=config, db_path=db, phones_link=f"\0showcaller-test.{os.getpid()}.ack")
    async with serve(aiohttp_server, settings) as owner:
        await aiohttp_server(create_app(replace(settings, phones_process=True)), host="127.0.0.1")
        link = owner.app[HUB].relay.__self__  # type: ignore[union-attr]
        async with asyncio.timeout(10):
            while link._writer is None:  # the phones process links at its start
                await asyncio.sleep(0.01)
        producer = await owner.producer()
        rundown = (await producer.call("sync"))["view"]["rundown"]
        audience_round = next(s["index"] for s in rundown if s["round"] == "audience")
        for event, payload in [("start_show", {}), ("goto_segment", {"index": audience_round})]:
            assert (await producer.call(event, payload))["ok"]
        seen: list[str] = []
        real_sync, real_send = os.fdatasync, link._send

        def fdatasync(fd: int) -> None:
            seen.append("disk")
            real_sync(fd)

        def send(message: Any) -> None:
            seen.append(type(message).__name__)
            real_send(message)

        monkeypatch.setattr(os, "fdatasync", fdatasync)
        monkeypatch.setattr(link, "_send", send)
        for event in ["show_question", "open_answers", "pause_timer", "resume_timer", "close_answers"]:
            seen.clear()
            assert (await producer.call(event))["ok"], event
            async with asyncio.timeout(5):
                while "Packet" not in seen:
                    await asyncio.sleep(0.01)
            assert seen.index("disk") < seen.index("Snapshot") < seen.index("Packet"), (event, seen)
