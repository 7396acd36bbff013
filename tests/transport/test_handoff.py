"""Connections handed from the owner to the phones process (server/transport/handoff.py): two real aiohttp
apps on loopback in one loop, the owner listening, the phones app fed over a SEQPACKET socketpair; every
test runs on asyncio's own loop and on uvloop (which ``run`` serves on)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import uvloop
from aiohttp import web

from server.transport.handoff import Handoff, take_connections

PREFIX = "/phones.io/"
PHONE = f"{PREFIX}?EIO=4&transport=websocket"
LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "asyncio": asyncio.new_event_loop,
    "uvloop": uvloop.new_event_loop,
}
INODES = web.AppKey("inodes", list)  # the server side's socket inode of each websocket an app served


@pytest.fixture(params=list(LOOPS))
def run(request: pytest.FixtureRequest) -> Iterator[Callable[[Coroutine[Any, Any, None]], None]]:
    """Runs a test's coroutine on a fresh loop of each kind (pytest-asyncio's loop choice needs a conftest hook)."""
    with asyncio.Runner(loop_factory=LOOPS[request.param]) as runner:
        yield runner.run


def _app(name: str) -> web.Application:
    """An app that says who served each request, and echoes on a websocket under the phones' prefix."""

    async def who(request: web.Request) -> web.Response:
        extra = " ".join(request.headers.get(h, "-") for h in ("X-One", "X-Two"))
        return web.Response(text=f"{name} {extra}")

    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        sock = request.transport.get_extra_info("socket") if request.transport else None
        if sock is not None:
            request.app[INODES].append(os.fstat(sock.fileno()).st_ino)
        await ws.send_str(name)
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                await ws.send_str(message.data)
            elif message.type == aiohttp.WSMsgType.BINARY:
                await ws.send_bytes(message.data)
        return ws

    app = web.Application()
    app[INODES] = []
    app.router.add_get(PREFIX, echo)
    app.router.add_get("/{tail:.*}", who)
    return app


@dataclass
class Rig:
    handoff: Handoff
    url: str
    port: int
    owner: web.AppRunner
    phones: web.AppRunner
    server: asyncio.Server
    channel: socket.socket  # the phones process's end
    taking: asyncio.Task[None]
    spies: list[Spy] = field(default_factory=list)
    then: list[Callable[[], None]] = field(default_factory=list)  # what the next spy runs after each read

    async def raw(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port)

    async def phones_dies(self) -> None:
        self.taking.cancel()
        await asyncio.gather(self.taking, return_exceptions=True)
        self.channel.close()


class Spy(asyncio.Protocol):
    """Sits before the handoff's protocol: counts the bytes the owner read while it was undecided, and
    runs ``then`` right after each read (in the same loop callback)."""

    def __init__(self, protocol: asyncio.Protocol, then: Callable[[], None] | None) -> None:
        self.protocol = protocol
        self.then = then
        self.read = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.protocol.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self.read += len(data)
        self.protocol.data_received(data)
        if self.then is not None:
            self.then()

    def eof_received(self) -> bool | None:
        return self.protocol.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.protocol.connection_lost(exc)


@contextlib.asynccontextmanager
async def rig(attach: bool = True, spy: bool = False, **options: Any) -> AsyncIterator[Rig]:
    loop = asyncio.get_running_loop()
    handoff = Handoff(PREFIX, **options)
    owner, phones = web.AppRunner(_app("owner")), web.AppRunner(_app("phones"))
    await owner.setup()
    await phones.setup()
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    if attach:
        handoff.attach(ours)
    else:
        ours.close()
    taking = asyncio.create_task(take_connections(theirs, phones.server))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    factory = handoff.factory(owner.server)

    def spied() -> asyncio.Protocol:
        r.spies.append(Spy(factory(), r.then.pop() if r.then else None))
        return r.spies[-1]

    server = await loop.create_server(spied if spy else factory, sock=listener)
    r = Rig(handoff, f"http://127.0.0.1:{port}", port, owner, phones, server, theirs, taking)
    try:
        yield r
    finally:
        server.close()
        await server.wait_closed()
        handoff.close()
        taking.cancel()
        await asyncio.gather(taking, return_exceptions=True)
        await owner.cleanup()
        await phones.cleanup()
        theirs.close()


async def until(predicate: Callable[[], bool], timeout: float = 2) -> None:
    """Wait for something the server does (a count, a read) with nothing to await but the condition."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.001)


async def echoes(ws: aiohttp.ClientWebSocketResponse, rounds: int = 40) -> None:
    for n in range(rounds):
        if n % 2:
            text = f"{n}:" + "é" * (n * 1777 if n % 10 == 1 else n)  # some over 64 KiB
            await ws.send_str(text)
            assert await ws.receive_str() == text
        else:
            blob = bytes([n]) * (70_000 + n if n % 8 == 0 else n + 1)
            await ws.send_bytes(blob)
            assert await ws.receive_bytes() == blob


def no_complaints(caplog: pytest.LogCaptureFixture) -> None:
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def response(reader: asyncio.StreamReader) -> str:
    """The body of a short HTTP/1.1 response with a Content-Length."""
    async with asyncio.timeout(2):
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line[15:]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
        return (await reader.readexactly(length)).decode()


def test_a_phone_websocket_is_served_by_the_phones_app(run, caplog) -> None:
    async def main() -> None:
        async with rig() as r, aiohttp.ClientSession() as http:
            async with http.ws_connect(f"{r.url}{PHONE}", max_msg_size=0) as ws:
                assert await ws.receive_str() == "phones"
                await echoes(ws)
            assert (r.handoff.handed, r.handoff.served) == (1, 0)
            phones = [await http.ws_connect(f"{r.url}{PHONE}") for _ in range(20)]
            assert [await ws.receive_str() for ws in phones] == ["phones"] * 20
            for ws in phones:
                await ws.close()
            assert (r.handoff.handed, r.handoff.served) == (21, 0)
            await until(lambda: r.handoff.waiting == 0)
        no_complaints(caplog)

    run(main())


def test_the_owner_keeps_other_paths_and_later_requests(run, caplog) -> None:
    async def main() -> None:
        async with rig() as r, aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as http:
            for path in ("/who", "/elsewhere", f"{PREFIX}who", "/phones.io", "/who"):  # one kept-alive connection
                async with http.get(f"{r.url}{path}") as reply:
                    assert await reply.text() == "owner - -"
            async with http.post(f"{r.url}{PREFIX}who") as reply:  # not a GET: the owner's (and its 405)
                assert reply.status == 405
            assert (r.handoff.handed, r.handoff.served) == (0, 1)
            async with http.get(f"{r.url}{PREFIX}who", headers={"Connection": "close"}) as reply:
                assert await reply.text() == "owner - -"  # a later request on a kept-alive connection
            async with http.get(f"{r.url}{PREFIX}who") as reply:  # a new connection: its first request
                assert await reply.text() == "phones - -"
            assert r.handoff.handed == 1
        no_complaints(caplog)

    run(main())


def test_a_request_line_in_pieces_is_routed_right(run, caplog) -> None:
    async def main() -> None:
        async with rig(spy=True) as r:
            tail = b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            cases = [
                ([b"G", b"E", b"T", b" ", b"/", b"p", b"h", b"o", b"nes.io/who" + tail], "phones"),
                ([b"GE", b"T /pho", b"nes.io/who" + tail], "phones"),
                ([b"GE", b"T /wh", b"o" + tail], "owner"),
                ([b"GET /phones.io", b"x/who" + tail], "owner"),
                ([b"GET /phones.io/", b"who" + tail], "phones"),
            ]
            for pieces, who in cases:
                reader, writer = await r.raw()
                sent = 0
                for piece in pieces[:-1]:  # each read alone by the owner, still undecided
                    writer.write(piece)
                    sent += len(piece)
                    await until(lambda sent=sent: bool(r.spies) and r.spies[-1].read == sent)
                writer.write(pieces[-1])
                body = await response(reader)
                assert body == f"{who} - -"
                writer.close()
                await writer.wait_closed()
            assert (r.handoff.handed, r.handoff.served) == (3, 2)
        no_complaints(caplog)

    run(main())


def test_headers_in_two_writes_arrive_whole(run, caplog) -> None:
    first = f"GET {PREFIX}who HTTP/1.1\r\nHost: x\r\nX-One: 1\r\n".encode()
    second = b"X-Two: 2\r\nConnection: close\r\n\r\n"

    async def main() -> None:
        async with rig(spy=True) as r:
            for right_after_the_handoff in (False, True):
                writers: list[asyncio.StreamWriter] = []
                if right_after_the_handoff:  # the second on the socket before the phones side even has it

                    def then(writers: list[asyncio.StreamWriter] = writers, before: int = r.handoff.handed) -> None:
                        if r.handoff.handed > before:
                            writers[0].write(second)

                    r.then.append(then)
                reader, writer = await r.raw()
                writers.append(writer)
                writer.write(first)
                if not right_after_the_handoff:
                    writer.write(second)
                assert await response(reader) == "phones 1 2"
                writer.close()
                await writer.wait_closed()
            assert r.handoff.handed == 2
        no_complaints(caplog)

    run(main())


def test_nothing_attached_the_owner_serves_the_phones(run, caplog) -> None:
    async def main() -> None:
        async with rig(attach=False) as r, aiohttp.ClientSession() as http:
            assert not r.handoff.attached
            async with http.ws_connect(f"{r.url}{PHONE}") as ws:
                assert await ws.receive_str() == "owner"
                await echoes(ws, rounds=4)
            assert (r.handoff.handed, r.handoff.served) == (0, 1)
        no_complaints(caplog)

    run(main())


def test_a_dead_phones_process_detaches_and_the_owner_serves(run, caplog) -> None:
    async def main() -> None:
        async with rig() as r, aiohttp.ClientSession() as http:
            await r.phones_dies()
            async with http.ws_connect(f"{r.url}{PHONE}") as ws:
                assert await ws.receive_str() == "owner"
                await echoes(ws, rounds=4)
            assert (r.handoff.handed, r.handoff.served, r.handoff.attached) == (0, 1, False)
            async with http.ws_connect(f"{r.url}{PHONE}") as ws:
                assert await ws.receive_str() == "owner"
        (warning,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert warning.startswith("the phones process's channel is gone (")

    run(main())


def test_a_phones_process_behind_leaves_the_owner_serving(run, caplog) -> None:
    async def main() -> None:
        async with rig() as r, aiohttp.ClientSession() as http:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
            r.handoff.attach(ours)
            with contextlib.suppress(BlockingIOError):
                while True:  # nobody reads theirs: the queue fills until send_fds would block
                    ours.send(b"x" * 512)
            async with http.ws_connect(f"{r.url}{PHONE}") as ws:
                assert await ws.receive_str() == "owner"
            assert (r.handoff.handed, r.handoff.served, r.handoff.attached) == (0, 1, True)
            theirs.close()
        no_complaints(caplog)

    run(main())


def test_a_datagram_too_big_leaves_the_owner_serving(run, caplog) -> None:
    async def main() -> None:
        async with rig() as r:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)  # datagrams of at most ~8 KiB
            r.handoff.attach(ours)
            reader, writer = await r.raw()
            big = "".join(f"X-Big-{n}: {'b' * 4000}\r\n" for n in range(3))
            writer.write(f"GET {PREFIX}who HTTP/1.1\r\nHost: x\r\n{big}Connection: close\r\n\r\n".encode())
            assert await response(reader) == "owner - -"
            writer.close()
            await writer.wait_closed()
            assert (r.handoff.handed, r.handoff.served, r.handoff.attached) == (0, 1, True)
            theirs.close()
        (warning,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert warning.startswith("could not hand a connection to the phones process ([Errno 90] Message too long)")

    run(main())


def test_the_phones_connection_outlives_the_owners_copy(run, caplog) -> None:
    async def main() -> None:
        async with rig() as r, aiohttp.ClientSession() as http:
            async with http.ws_connect(f"{r.url}{PHONE}", max_msg_size=0) as ws:
                assert await ws.receive_str() == "phones"
                await until(lambda: r.handoff.waiting == 0)  # the owner's transport is closed
                (inode,) = r.phones.app[INODES]
                assert _descriptors(inode) == 1  # the phones app's alone
                r.server.close()
                await r.server.wait_closed()
                await r.owner.cleanup()
                await r.phones_dies()  # the channel too: connections taken stay
                await echoes(ws)
            assert r.handoff.handed == 1
        no_complaints(caplog)

    run(main())


def test_silent_and_vanishing_clients_leave_nothing(run, caplog) -> None:
    async def main() -> None:
        async with rig(first_bytes_within=0.2) as r:
            reader, writer = await r.raw()  # says nothing, leaves
            await until(lambda: r.handoff.waiting == 1)
            writer.close()
            await writer.wait_closed()
            await until(lambda: r.handoff.waiting == 0)

            reader, writer = await r.raw()  # says nothing, resets
            await until(lambda: r.handoff.waiting == 1)
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            await until(lambda: r.handoff.waiting == 0)

            reader, writer = await r.raw()  # starts, then stops writing
            writer.write(b"GET /pho")
            writer.write_eof()
            assert await reader.read() == b""
            writer.close()
            await writer.wait_closed()

            reader, writer = await r.raw()  # says nothing in time: dropped
            assert await reader.read() == b""
            writer.close()
            await writer.wait_closed()
            await until(lambda: r.handoff.waiting == 0)
            assert (r.handoff.handed, r.handoff.served) == (0, 1)
        no_complaints(caplog)

    run(main())


def test_odd_datagrams_do_not_stop_the_phones_side(run, caplog) -> None:
    async def main() -> None:
        async with rig() as r, aiohttp.ClientSession() as http:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            taking = asyncio.create_task(take_connections(theirs, r.phones.server))
            spare = [socket.socket() for _ in range(3)]
            ours.send(b"no descriptor")
            socket.send_fds(ours, [b"two"], [spare[0].fileno(), spare[1].fileno()])
            socket.send_fds(ours, [b"three"], [s.fileno() for s in spare])
            r.handoff.attach(ours)
            async with http.ws_connect(f"{r.url}{PHONE}") as ws:
                assert await ws.receive_str() == "phones"
            r.handoff.detach()  # the owner closes its end: take_connections returns
            await asyncio.wait_for(taking, 2)
            theirs.close()
            for sock in spare:
                sock.close()
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1 and "0 descriptors" in warnings[0]

    run(main())


def test_attach_replaces_and_detach_closes() -> None:
    handoff = Handoff(PREFIX)
    first, first_peer = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    second, second_peer = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    handoff.attach(first)
    handoff.attach(second)
    assert first.fileno() == -1 and handoff.attached and not second.getblocking()
    handoff.detach()
    assert second.fileno() == -1 and not handoff.attached
    first_peer.close()
    second_peer.close()
    with pytest.raises(ValueError):
        Handoff("phones.io/")


def _descriptors(inode: int) -> int:
    """How many of this process's descriptors refer to the socket ``inode``."""
    count = 0
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{name}") == f"socket:[{inode}]"
    return count
