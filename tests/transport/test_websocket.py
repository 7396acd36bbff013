"""Websockets taken from aiohttp after the handshake (server/transport/websocket.py), spoken to byte by byte
over real TCP on loopback: the handshake and its refusals, frames split and pipelined, fragments, control
frames, every way a client breaks the protocol (each closed with its code), both goodbyes, and aiohttp
letting go of the connection. Every test runs on asyncio's loop and on uvloop (which ``run`` serves on)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import os
import struct
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvloop
from aiohttp import web

from server.transport import websocket
from server.transport.websocket import Gone, Refused, WebSocket, server_frame, take_over

LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "asyncio": asyncio.new_event_loop,
    "uvloop": uvloop.new_event_loop,
}
MAX_SIZE = 70_000
KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455's own example, and its answer
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@pytest.fixture(params=list(LOOPS))
def run(request: pytest.FixtureRequest) -> Iterator[Callable[[Coroutine[Any, Any, None]], None]]:
    with asyncio.Runner(loop_factory=LOOPS[request.param]) as runner:
        yield runner.run


@dataclass
class Echo:
    """A server whose websockets echo each message as a server frame, and what it saw."""

    port: int
    runner: web.AppRunner
    open: set[WebSocket] = field(default_factory=set)
    lost: list[WebSocket] = field(default_factory=list)
    requests: list[weakref.ref[web.BaseRequest]] = field(default_factory=list)


def client_frame(opcode: int, payload: bytes, fin: bool = True, masked: bool = True, reserved: int = 0) -> bytes:
    """A frame as a client sends it: masked, with any length form."""
    first = (0x80 if fin else 0) | reserved | opcode
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", first, size | (0x80 if masked else 0))
    elif size < 1 << 16:
        head = struct.pack("!BBH", first, 126 | (0x80 if masked else 0), size)
    else:
        head = struct.pack("!BBQ", first, 127 | (0x80 if masked else 0), size)
    if not masked:
        return head + payload
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def text(message: str, **kwargs: Any) -> bytes:
    return client_frame(0x1, message.encode(), **kwargs)


def close(code: int) -> bytes:
    return client_frame(0x8, struct.pack("!H", code))


def upgrade(key: str = KEY, version: str = "13") -> bytes:
    return (
        f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: {version}\r\n\r\n"
    ).encode()


@asynccontextmanager
async def echo_server() -> AsyncIterator[Echo]:
    echo: Echo

    async def handler(request: web.Request) -> web.StreamResponse:
        echo.requests.append(weakref.ref(request))
        try:
            ws = await take_over(request, MAX_SIZE, echo.open)
        except Refused as refused:
            return refused.response()
        assert ws is not None
        opcode = {str: 0x1, bytes: 0x2}
        ws.on_message = lambda message: ws.write(
            server_frame(opcode[type(message)], message.encode() if isinstance(message, str) else message)
        )
        ws.on_lost = lambda: echo.lost.append(ws)
        ws.start()
        return Gone()

    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    echo = Echo(port, runner)
    try:
        yield echo
    finally:
        await runner.cleanup()


@asynccontextmanager
async def connected(echo: Echo, first: bytes = b"") -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """A raw client past the handshake (``first``: bytes sent in the same write as the request)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", echo.port)
    writer.write(upgrade() + first)
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    assert head.startswith("HTTP/1.1 101"), head
    assert f"Sec-WebSocket-Accept: {ACCEPT}" in head
    try:
        yield reader, writer
    finally:
        writer.close()


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    async with asyncio.timeout(5):
        first, second = await reader.readexactly(2)
        size = second & 0x7F
        if size == 126:
            size = int.from_bytes(await reader.readexactly(2), "big")
        elif size == 127:
            size = int.from_bytes(await reader.readexactly(8), "big")
        return first & 0x0F, await reader.readexactly(size)


async def closed_with(reader: asyncio.StreamReader) -> int:
    """The code of the server's close frame; the connection must end right after it (reset, when the server
    closed with the rest of a client's flood unread)."""
    opcode, payload = await read_frame(reader)
    assert opcode == 0x8
    async with asyncio.timeout(5):
        with contextlib.suppress(ConnectionResetError):
            assert await reader.read() == b""
    return int.from_bytes(payload[:2], "big")


def test_the_handshake_is_answered_and_a_wrong_one_refused_saying_why(run) -> None:
    async def main() -> None:
        async with echo_server() as echo:
            async with connected(echo) as (reader, writer):
                writer.write(text("hello"))
                assert await read_frame(reader) == (0x1, b"hello")
            for request, status, why in [
                (upgrade(version="8"), "426", "version 13"),
                (upgrade(key="short"), "400", "16 bytes"),
                (upgrade(key=base64.b64encode(b"x" * 15).decode()), "400", "16 bytes"),
                (upgrade().replace(b"Upgrade: websocket", b"Upgrade: h2c"), "400", "Upgrade: websocket"),
            ]:
                reader, writer = await asyncio.open_connection("127.0.0.1", echo.port)
                writer.write(request)
                async with asyncio.timeout(5):
                    answer = (await reader.read(4096)).decode()
                writer.close()
                assert answer.startswith(f"HTTP/1.1 {status}") and why in answer, answer
                if status == "426":
                    assert "Sec-WebSocket-Version: 13" in answer
            assert not echo.open

    run(main())


def test_frames_split_pipelined_and_of_every_length_arrive_whole(run) -> None:
    async def main() -> None:
        async with echo_server() as echo:
            async with connected(echo, first=text("right behind the handshake")) as (reader, writer):
                assert await read_frame(reader) == (0x1, b"right behind the handshake")
                for byte in text("one byte at a time") + text("and the next"):
                    writer.write(bytes([byte]))
                    await writer.drain()
                assert await read_frame(reader) == (0x1, b"one byte at a time")
                assert await read_frame(reader) == (0x1, b"and the next")
                for size in (0, 1, 125, 126, 127, 65_535, 65_536, MAX_SIZE):
                    message = "é" * (size // 2) + "x" * (size % 2)
                    writer.write(text(message))
                    assert await read_frame(reader) == (0x1, message.encode())
                writer.write(client_frame(0x2, b"\x00\xff binary"))
                assert await read_frame(reader) == (0x2, b"\x00\xff binary")

    run(main())


def test_fragments_make_one_message_and_pings_between_them_are_answered(run) -> None:
    async def main() -> None:
        async with echo_server() as echo, connected(echo) as (reader, writer):
            writer.write(client_frame(0x1, b"in ", fin=False))
            writer.write(client_frame(0x9, b"still there?"))
            writer.write(client_frame(0x0, b"three ", fin=False))
            writer.write(client_frame(0xA, b"an unasked pong"))
            writer.write(client_frame(0x0, "phầns".encode()))
            assert await read_frame(reader) == (0xA, b"still there?")
            assert await read_frame(reader) == (0x1, "in three phầns".encode())

    run(main())


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        (text("not masked", masked=False), websocket.PROTOCOL_ERROR),
        (text("a reserved bit", reserved=0x40), websocket.PROTOCOL_ERROR),
        (client_frame(0x0, b"continuing nothing"), websocket.PROTOCOL_ERROR),
        (client_frame(0x1, b"a", fin=False) + text("b"), websocket.PROTOCOL_ERROR),
        (client_frame(0x9, b"x" * 126), websocket.PROTOCOL_ERROR),
        (client_frame(0x9, b"x", fin=False), websocket.PROTOCOL_ERROR),
        (client_frame(0x3, b"opcode 3"), websocket.PROTOCOL_ERROR),
        (text("x" * (MAX_SIZE + 1)), websocket.TOO_BIG),
        (client_frame(0x1, b"x" * 40_000, fin=False) + client_frame(0x0, b"x" * 40_000), websocket.TOO_BIG),
        (client_frame(0x1, b"\xc3\x28 not UTF-8"), websocket.INVALID_DATA),
    ],
)
def test_a_client_that_breaks_the_protocol_is_closed_with_the_code_that_says_how(run, sent: bytes, code: int) -> None:
    async def main() -> None:
        async with echo_server() as echo, connected(echo) as (reader, writer):
            writer.write(sent + text("never read"))
            assert await closed_with(reader) == code
            async with asyncio.timeout(5):
                while not echo.lost:
                    await asyncio.sleep(0.01)
            assert not echo.open

    run(main())


def test_a_clients_goodbye_is_answered_and_the_connection_ends(run) -> None:
    async def main() -> None:
        async with echo_server() as echo:
            for sent, answered in [(1000, 1000), (4321, 4321), (1005, 1000)]:  # 1005 may not be sent: answered 1000
                async with connected(echo) as (reader, writer):
                    writer.write(close(sent))
                    assert await closed_with(reader) == answered
            async with connected(echo) as (reader, writer):
                writer.write(client_frame(0x8, b""))  # no code at all
                assert await closed_with(reader) == 1000

    run(main())


def test_the_servers_goodbye_waits_for_the_clients_and_cuts_off_one_that_never_answers(run, monkeypatch) -> None:
    async def main() -> None:
        async with echo_server() as echo:
            monkeypatch.setattr(websocket, "CLOSE_WAIT", 30.0)  # it waits for the client's goodbye
            async with connected(echo) as (reader, writer):
                (ws,) = echo.open
                closing = asyncio.ensure_future(ws.close(websocket.GOING_AWAY))
                opcode, payload = await read_frame(reader)
                assert (opcode, payload) == (0x8, struct.pack("!H", websocket.GOING_AWAY))
                assert not closing.done()
                writer.write(close(1000))
                async with asyncio.timeout(5):
                    await closing
                    assert await reader.read() == b""
            monkeypatch.setattr(websocket, "CLOSE_WAIT", 0.3)
            async with connected(echo) as (reader, writer):
                (ws,) = echo.open
                async with asyncio.timeout(5):
                    await ws.close()  # the client says nothing: cut off after CLOSE_WAIT
                    assert await closed_with(reader) == websocket.NORMAL
                ws.write(server_frame(0x1, b"after the end"))  # dropped, no error
            assert len(echo.lost) == 2 and not echo.open

    run(main())


def test_aiohttp_lets_go_of_a_connection_it_handed_over(run) -> None:
    async def main() -> None:
        async with echo_server() as echo, connected(echo) as (reader, writer):
            writer.write(text("still served"))
            assert await read_frame(reader) == (0x1, b"still served")
            gc.collect()
            assert echo.runner.server is not None and not echo.runner.server.connections
            assert [ref() for ref in echo.requests] == [None]  # the request, its protocol and writers are freed
            (ws,) = echo.open
            assert not hasattr(ws, "__dict__")

    run(main())
