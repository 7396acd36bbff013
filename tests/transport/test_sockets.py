"""Engine.IO websockets written to directly (server/transport/sockets.py): order kept across a long-polling
client's upgrade, frames of every size, text as UTF-8, one frame per broadcast, no task kept per idle connection, pings
from a timer, and a client that stops reading is cut off."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import socketio
from engineio import packet as eio_packet

from server.transport import websocket
from server.transport.keys import HUB
from server.transport.sockets import DirectSocket
from server.transport.websocket import WebSocket
from tests.transport.conftest import ViewClient

ADJUST = {"team": "tam-ky", "points": 1, "reason": "sockets"}


def engine(live) -> Any:
    return live.app[HUB].sio.eio


async def raw_phone(http: aiohttp.ClientSession, live) -> aiohttp.ClientWebSocketResponse:
    """A phone on /audience speaking engine.io by hand, connected once the server says so."""
    ws = await http.ws_connect(f"{live.url}/socket.io/?EIO=4&transport=websocket")
    assert (await ws.receive_str()).startswith("0{")
    await ws.send_str("40/audience," + json.dumps({"device": f"sockets-test-phone-{id(ws)}"}))
    async with asyncio.timeout(5):
        while not (await ws.receive_str()).startswith("40/audience"):
            pass
    return ws


async def test_a_long_polling_client_upgrades_without_losing_the_order_of_its_patches(live) -> None:
    producer = await live.producer()
    await producer.call("start_show")
    overlay = ViewClient(live.url, "/overlay")
    overlay.sio = socketio.AsyncClient(reconnection=False)  # long-polling first, as browsers connect
    overlay.sio.on("snapshot", overlay._snapshot, namespace="/overlay")
    overlay.sio.on("patch", overlay._patch, namespace="/overlay")
    connecting = asyncio.ensure_future(overlay.sio.connect(live.url, namespaces=["/overlay"]))
    for _ in range(30):  # changes before, during and after the upgrade
        assert (await producer.call("adjust_score", ADJUST))["ok"]
    await connecting
    live.clients.append(overlay)
    async with asyncio.timeout(10):
        while not overlay.sio.transport() == "websocket":
            await asyncio.sleep(0.01)
    assert (await producer.call("adjust_score", ADJUST))["ok"]
    await overlay.wait_for(lambda: overlay.rev == live.service.revision)
    assert overlay.resyncs == 0  # every patch came after the one before it
    assert overlay.view == (await overlay.call("sync"))["view"]
    socket = engine(live).sockets[overlay.sio.eio.sid]
    assert isinstance(socket, DirectSocket) and socket.ws is not None


async def test_frames_of_every_size_arrive_whole(live) -> None:
    overlay = await live.overlay()
    sio = live.app[HUB].sio
    for size in (1, 125, 126, 127, 65_535, 65_536, 200_000):
        text = "é" * (size // 2) + "x" * (size % 2)  # two bytes a letter: a frame's length is in bytes
        await sio.emit("echo", text, namespace="/overlay")
        async with asyncio.timeout(5):
            while not any(event == "echo" and data == text for event, data in overlay.events):
                overlay.changed.clear()
                await asyncio.sleep(0.01)


async def test_frames_carry_text_as_utf8_and_a_lone_surrogate_escaped(live) -> None:
    title = live.service.config.contest.title
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{live.url}/socket.io/?EIO=4&transport=websocket")
        assert (await ws.receive_str()).startswith("0{")
        await ws.send_str("40/overlay,")
        async with asyncio.timeout(5):
            while not (frame := await ws.receive_str()).startswith('42/overlay,["snapshot"'):
                pass
        assert title in frame and "\\u" not in frame  # Vietnamese as it is, not as escapes
        await live.app[HUB].sio.emit("echo", "nửa \ud800 cặp", namespace="/overlay")  # no UTF-8 can carry it
        async with asyncio.timeout(5):
            while not (frame := await ws.receive_str()).startswith('42/overlay,["echo"'):
                pass
        assert json.loads(frame[len("42/overlay,") :]) == ["echo", "nửa \ud800 cặp"]
        await ws.close()


async def test_a_broadcast_writes_one_frame_to_every_recipient(live, monkeypatch) -> None:
    producer = await live.producer()
    await producer.call("start_show")
    overlays = [await live.overlay() for _ in range(5)]
    written: list[tuple[int, bytes]] = []
    original = WebSocket.write

    def write(self: WebSocket, data: bytes) -> None:
        written.append((id(data), data))
        original(self, data)

    monkeypatch.setattr(WebSocket, "write", write)
    assert (await producer.call("adjust_score", ADJUST))["ok"]
    for overlay in overlays:
        await overlay.wait_for(lambda o=overlay: o.rev == live.service.revision)
    patches = [(key, data) for key, data in written if b'"patch"' in data and b"/overlay" in data]
    assert len(patches) == 5
    assert len({key for key, _ in patches}) == 1  # the same bytes, built once


async def test_an_idle_phone_keeps_no_task_of_its_own(live) -> None:
    phones = 40
    async with aiohttp.ClientSession() as http:
        first = await raw_phone(http, live)  # the server's own background tasks have started
        before = len(asyncio.all_tasks())
        connected = [await raw_phone(http, live) for _ in range(phones)]
        grown = len(asyncio.all_tasks()) - before
        # None at all once their websockets are open (python-engineio's own websockets kept 4 each: a
        # writer, its wait on the queue, a reader's wait and a sleeping ping; aiohttp 2 more).
        assert grown <= 2, f"{grown} tasks for {phones} idle phones"
        for ws in [first, *connected]:
            await ws.close()


async def test_pings_come_from_a_timer_and_a_silent_client_is_dropped(live) -> None:
    eio = engine(live)
    eio.ping_interval, eio.ping_timeout = 0.2, 1.0  # a pong is due within the timeout of its ping
    async with aiohttp.ClientSession() as http:
        ws = await raw_phone(http, live)
        for _ in range(3):  # answered pings keep it
            async with asyncio.timeout(5):
                assert await ws.receive_str() == "2"
            await ws.send_str("3")
        async with asyncio.timeout(5):
            assert await ws.receive_str() == "2"
            # unanswered: the server closes it
            while (await ws.receive()).type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                pass


async def test_a_client_that_stops_reading_is_cut_off(live, monkeypatch) -> None:
    monkeypatch.setattr(websocket, "BACKLOG_MOST", 256 * 1024)
    eio = engine(live)
    reader, writer = await asyncio.open_connection("127.0.0.1", live.server.port)
    writer.write(
        b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await reader.readuntil(b"\r\n\r\n")
    head = await reader.readexactly(2)
    sid = json.loads((await reader.readexactly(head[1] & 0x7F)).decode()[1:])["sid"]
    assert sid in eio.sockets
    chunk = eio_packet.Packet(eio_packet.MESSAGE, "x" * 60_000)
    async with asyncio.timeout(20):  # the kernel's buffers fill, then the server's
        while sid in eio.sockets:
            await eio.send_packet(sid, chunk)
            await asyncio.sleep(0)
    writer.close()
