"""A socket.io client (Engine.IO 4 over a websocket) as a bare asyncio protocol: thousands of them in one
bench process, each costing a few microseconds a message, so that what a fanout bench times is the
server, not its phones.

One ``Phone`` is one connection to one namespace. It answers the server's pings, sends events (with
an ACK id when it wants the reply), and watches for one event: the first time that event arrives with
a revision at or above the one it is armed with, it notes the arrival time (``time.perf_counter``,
CLOCK_MONOTONIC on Linux, which every process on the machine shares). Frames are read as bytes and
only the revision is picked out of a watched event: nothing else is decoded.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import time
from collections.abc import Callable
from typing import Any

TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA  # websocket opcodes


class Flavour:
    """How one server's phones speak: namespace, connect payload, the watched event and its revision field."""

    def __init__(
        self,
        namespace: str,
        auth: dict[str, Any],
        event: str,
        field: str,
        chat: tuple[str, Any],
        path: str = "/socket.io/",
    ) -> None:
        self.prefix = "" if namespace == "/" else namespace + ","  # "/audience," or nothing for "/"
        self.auth, self.event, self.field = auth, event, field
        self.chat = chat  # (event, payload): the cheap ACKed request a chatting phone sends
        self.path = path  # the socket.io path (showcaller's phones have their own)

    def spec(self) -> dict[str, Any]:
        """What a phone process needs, as JSON."""
        return {
            "prefix": self.prefix,
            "auth": self.auth,
            "event": self.event,
            "field": self.field,
            "chat": self.chat,
            "path": self.path,
        }


def _mask(data: bytes, key: bytes) -> bytes:
    """A client frame's payload, masked with ``key`` (RFC 6455 5.3), in one big-integer XOR."""
    n = len(data)
    keys = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(keys, "big")).to_bytes(n, "big")


class Phone(asyncio.Protocol):
    """One socket.io connection. ``connected`` resolves once the namespace accepted it (or fails)."""

    def __init__(self, host: str, port: int, flavour: dict[str, Any], on_seen: Callable[[Phone, int, float], None]):
        self.host, self.port, self.flavour = host, port, flavour
        self.prefix: bytes = flavour["prefix"].encode()
        self.watch = b"42" + self.prefix + b'["' + flavour["event"].encode() + b'",'  # packets are compact JSON
        self.field = re.compile(rb'"' + re.escape(flavour["field"].encode()) + rb'":(\d+)')
        self.on_seen = on_seen
        self.armed = -1  # the revision a watched event must reach to count; -1: not watching
        self.slot = 0  # where its owner keeps it
        self.transport: asyncio.Transport | None = None
        self.connected: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = False
        self.acks: dict[int, tuple[float, asyncio.Future[Any] | None]] = {}  # ack id -> (sent, future)
        self.ack_ms: list[float] = []  # round trips of the ACKed events sent without a future (chat)
        self._ids = 0
        self._key = os.urandom(4)
        self._buffer = bytearray()
        self._upgraded = False

    # -- the connection -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is a Transport, not its subclass
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                f"GET {self.flavour['path']}?EIO=4&transport=websocket HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.connected.done():
            self.connected.set_exception(ConnectionError(f"closed before connecting: {exc}"))
        for _, future in self.acks.values():
            if future is not None and not future.done():
                future.set_exception(ConnectionError("closed"))

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.close()

    # -- reading ------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()  # one clock reading per read: every frame in it arrived by now
        buffer = self._buffer
        buffer += data
        if not self._upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buffer.startswith(b"HTTP/1.1 101"):
                self.connected.set_exception(ConnectionError(bytes(buffer[:end]).decode(errors="replace")))
                self.close()
                return
            del buffer[: end + 4]
            self._upgraded = True
        pos, end = 0, len(buffer)
        while end - pos >= 2:
            length, start = buffer[pos + 1] & 0x7F, pos + 2
            if length == 126:
                if end - pos < 4:
                    break
                length, start = int.from_bytes(buffer[pos + 2 : pos + 4], "big"), pos + 4
            elif length == 127:
                if end - pos < 10:
                    break
                length, start = int.from_bytes(buffer[pos + 2 : pos + 10], "big"), pos + 10
            if end < start + length:
                break
            opcode, payload = buffer[pos] & 0x0F, bytes(buffer[start : start + length])
            pos = start + length
            if opcode == TEXT:  # servers send each message in one frame; no continuations to join
                self._message(payload, now)
            elif opcode == PING:
                self._frame(PONG, payload)
            elif opcode == CLOSE:
                self.close()
                break
        del buffer[:pos]

    def _message(self, data: bytes, now: float) -> None:
        if data == b"2":  # Engine.IO ping
            self.send(b"3")
        elif data.startswith(self.watch):
            if self.armed >= 0:
                found = self.field.search(data)
                if found is not None and int(found.group(1)) >= self.armed:
                    self.armed = -1
                    self.on_seen(self, int(found.group(1)), now)
        elif data.startswith(b"43"):
            self._ack(data, now)
        elif data.startswith(b"40"):
            if not self.connected.done():
                self.connected.set_result(None)
        elif data.startswith(b"44"):
            if not self.connected.done():
                self.connected.set_exception(ConnectionRefusedError(data.decode(errors="replace")))
        elif data.startswith(b"0"):  # Engine.IO open: join the namespace
            self.send(b"40" + self.prefix + json.dumps(self.flavour["auth"]).encode())

    def _ack(self, data: bytes, now: float) -> None:
        body = data[2 + len(self.prefix) :]
        bracket = body.find(b"[")
        entry = self.acks.pop(int(body[:bracket]), None) if bracket > 0 else None
        if entry is None:
            return
        sent, future = entry
        if future is None:
            self.ack_ms.append((now - sent) * 1000)
        elif not future.done():
            future.set_result(json.loads(body[bracket:]))

    # -- writing ------------------------------------------------------------------------------

    def _frame(self, opcode: int, payload: bytes) -> None:
        if self.transport is None or self.closed:
            return
        n = len(payload)
        if n < 126:
            head = bytes((0x80 | opcode, 0x80 | n))
        elif n < 65536:
            head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
        else:
            head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
        self.transport.write(head + self._key + _mask(payload, self._key))

    def send(self, message: bytes) -> None:
        self._frame(TEXT, message)

    def emit(self, event: str, data: Any, *, ack: bool = False, future: bool = False) -> asyncio.Future[Any] | None:
        """Send ``event``; with ``ack``, ask for a reply: its round trip goes to ``ack_ms``, or with ``future``
        the reply's arguments come back on the returned future."""
        packet = json.dumps([event, data]).encode()
        if not ack:
            self.send(b"42" + self.prefix + packet)
            return None
        self._ids += 1
        waiting = asyncio.get_running_loop().create_future() if future else None
        self.acks[self._ids] = (time.perf_counter(), waiting)
        self.send(b"42" + self.prefix + str(self._ids).encode() + packet)
        return waiting


async def connect(
    host: str, port: int, flavour: dict[str, Any], on_seen: Callable[[Phone, int, float], None], source: str
) -> Phone:
    """A phone connected to its namespace, from loopback address ``source``."""
    loop = asyncio.get_running_loop()
    _, phone = await loop.create_connection(
        lambda: Phone(host, port, flavour, on_seen), host, port, local_addr=(source, 0)
    )
    try:
        await asyncio.wait_for(asyncio.shield(phone.connected), 30)
    except BaseException:
        phone.close()
        raise
    return phone


class Peer:
    """A producer's or a graphic's connection for the benches: the calls of ``socketio.AsyncClient`` they use
    (``on``, ``connect``, ``call``, ``emit``, ``disconnect``) on one namespace, over a ``Phone``'s wire.

    A browser's socket.io client hands an event to its page in microseconds; python-socketio's own client
    costs a queue and a writer task per message sent and a task per message received (0.2-0.5 ms a round
    trip here, docs/performance.md), which a bench would time as the server's. Here an event is decoded
    when its frame is read and its handler runs at once, so a graphic's receipt is timed once it has its
    data (and, for a graphic that keeps its view, once the view has it). ``namespace`` is taken for the
    library's signatures: a ``Peer`` speaks on the one namespace it connected to."""

    def __init__(self) -> None:
        self.handlers: dict[str, Callable[..., Any]] = {}
        self.wire: Phone | None = None

    def on(self, event: str, handler: Callable[..., Any], namespace: str = "/") -> None:
        self.handlers[event] = handler

    async def connect(
        self, url: str, namespaces: list[str] | None = None, auth: dict[str, Any] | None = None, **_: Any
    ) -> None:
        host, _, port = url.removeprefix("http://").partition(":")
        flavour = Flavour((namespaces or ["/"])[0], auth or {}, "", "", ("", None)).spec()
        loop = asyncio.get_running_loop()
        _, self.wire = await loop.create_connection(lambda: _PeerWire(self, flavour), host, int(port))
        await asyncio.wait_for(asyncio.shield(self.wire.connected), 30)

    async def call(self, event: str, data: Any = None, namespace: str = "/", timeout: float = 60) -> Any:
        """``event`` with an ACK: its first argument (or its arguments, if more)."""
        assert self.wire is not None, "not connected"
        waiting = self.wire.emit(event, data, ack=True, future=True)
        assert waiting is not None
        reply = await asyncio.wait_for(waiting, timeout)
        return reply[0] if len(reply) == 1 else tuple(reply)

    async def emit(
        self, event: str, data: Any = None, namespace: str = "/", callback: Callable[..., Any] | None = None
    ) -> None:
        assert self.wire is not None, "not connected"
        if callback is None:
            self.wire.emit(event, data)
            return
        waiting = self.wire.emit(event, data, ack=True, future=True)
        assert waiting is not None
        waiting.add_done_callback(lambda done: done.cancelled() or done.exception() or callback(*done.result()))

    async def disconnect(self) -> None:
        if self.wire is not None:
            self.wire.close()


class _PeerWire(Phone):
    def __init__(self, peer: Peer, flavour: dict[str, Any]) -> None:
        super().__init__("127.0.0.1", 0, flavour, lambda *_: None)
        self.peer = peer
        self.event_head = b"42" + self.prefix

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        host, port = transport.get_extra_info("peername")[:2]
        self.host, self.port = host, port
        super().connection_made(transport)

    def _message(self, data: bytes, now: float) -> None:
        if data.startswith(self.event_head) and data[len(self.event_head) : len(self.event_head) + 1] == b"[":
            event, *args = json.loads(data[len(self.event_head) :])
            handler = self.peer.handlers.get(event)
            if handler is not None:
                handler(*args)
        else:
            super()._message(data, now)
