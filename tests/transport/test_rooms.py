"""Each connection's rooms are indexed (server/transport/rooms.py): a phone leaving touches only its own
rooms, never a scan of every room of the namespace (5,000 phones leaving at once were seconds of a
blocked event loop), and rooms stay exactly as python-socketio keeps them."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from server.transport.keys import HUB
from tests.transport.test_sockets import raw_phone


class NoScans(dict):
    """A namespace's rooms that refuse to be scanned whole."""

    def items(self) -> Any:
        raise AssertionError("every room of the namespace scanned")

    def copy(self) -> Any:
        raise AssertionError("every room of the namespace copied")


async def test_a_phone_leaving_touches_only_its_own_rooms(live) -> None:
    manager = live.app[HUB].sio.manager
    overlay = await live.overlay()
    async with aiohttp.ClientSession() as http:
        phones = [await raw_phone(http, live) for _ in range(5)]
        sids = set(manager.rooms["/audience"][None])
        assert len(sids) == 5
        some = next(iter(sids))
        assert sorted(manager.get_rooms(some, "/audience")) == sorted(["audience", some])
        manager.rooms["/audience"] = NoScans(manager.rooms["/audience"])
        await phones[0].close()
        async with asyncio.timeout(5):  # python-socketio's own scan would fail inside the server: never gone
            while len(manager.rooms["/audience"][None]) == 5:
                await asyncio.sleep(0.01)
        (left,) = sids - set(manager.rooms["/audience"][None])
        assert left not in manager.rooms["/audience"]  # its own room is gone
        assert left not in manager.rooms["/audience"]["audience"]
        assert ("/audience", left) not in manager.rooms_of
        assert len(manager.rooms["/audience"]["audience"]) == 4
        for ws in phones[1:]:
            await ws.close()
    assert (await overlay.call("time"))["ok"]
