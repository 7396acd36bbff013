"""Engine.IO's websockets, made cheap per phone: no permessage-deflate, written to directly, and closed
as the server stops.

python-engineio gives every websocket a queue and a writer task that waits on it (through
``asyncio.wait_for``, itself a task), and a reader that makes two more tasks per frame received: a
broadcast to 5,000 phones was 5,000 queue puts and over 10,000 task wake-ups before the last phone got
a byte, and each idle phone kept its tasks in memory. Here a socket whose websocket is open
(``DirectSocket``) writes each packet at once, as a websocket frame built once per packet and shared by
every recipient of a broadcast (``frame``); it reads with a plain timeout and pings on a timer. What
was queued before the websocket opened (long-polling, the upgrade) is written first, so order is kept.
Long-polling clients are python-engineio's own path, unchanged.

python-engineio's aiohttp driver also accepts the deflate extension every browser offers: about
120 KiB of zlib state per connection and about 30 % fewer messages a second. Our messages are small
JSON patches; thousands of phones matter more than a few bytes each.

This leans on python-engineio 4.x's socket internals (``_websocket_handler``, ``schedule_ping``, the
queue); tests/transport/test_sockets.py and every browser test hold it to the protocol.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from typing import Any

import socketio
from aiohttp import WSCloseCode, WSMsgType
from aiohttp.web import WebSocketResponse
from engineio import exceptions
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as driver
from engineio.async_socket import AsyncSocket

log = logging.getLogger(__name__)

CLOSE_WAIT = 2.0  # seconds a closing websocket waits for the client's goodbye
# Bytes a websocket may have waiting to be sent before it is cut off: a phone that stopped reading
# (out of range, asleep) must not grow the server's memory; it reconnects and gets a fresh snapshot.
BACKLOG_MOST = 1 << 20


def frame(pkt: eio_packet.Packet) -> bytes:
    """``pkt`` as one websocket frame from a server (unmasked, uncompressed), built once per packet: every
    recipient of a broadcast is written the same bytes."""
    cached: bytes | None = pkt.__dict__.get("ws_frame")
    if cached is None:
        encoded = pkt.encode()
        payload, opcode = (encoded.encode(), 0x1) if isinstance(encoded, str) else (bytes(encoded), 0x2)
        size = len(payload)
        if size < 126:
            head = struct.pack("!BB", 0x80 | opcode, size)
        elif size < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 126, size)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 127, size)
        cached = pkt.ws_frame = head + payload
    return cached


class PlainWebSocket(driver.WebSocket):
    """python-engineio's aiohttp websocket, without deflate, with a synchronous ``write`` of whole frames."""

    sockets: set[WebSocketResponse]  # the open ones (each server its own set: ``plain_websockets``)

    async def __call__(self, environ):
        request = environ["aiohttp.request"]
        self._sock = WebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=False, timeout=CLOSE_WAIT
        )
        await self._sock.prepare(request)
        self.transport = request.transport
        self.environ = environ
        self.sockets.add(self._sock)
        try:
            await self.handler(self)
        finally:
            self.sockets.discard(self._sock)
        return self._sock

    def write(self, data: bytes) -> None:
        """Hand a whole frame to the connection now. A closing connection drops it (its reader ends the
        socket); one that has stopped reading is cut off."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if transport.get_write_buffer_size() > BACKLOG_MOST:
            log.info("a websocket read nothing while %d bytes waited for it: cut off", BACKLOG_MOST)
            transport.abort()
            return
        transport.write(data)

    async def receive(self, timeout: float) -> str | bytes | None:
        """The next text or binary frame; None once the connection is closed or closing."""
        message = await self._sock.receive(timeout=timeout)
        if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
            return message.data
        return None


class _NoQueue:
    """Stands in for python-engineio's queue of a socket written to directly: nothing ever waits in it, and
    an asyncio.Queue's four empty deques were about 3 KiB a phone."""

    def empty(self) -> bool:
        return True

    def qsize(self) -> int:
        return 0

    async def join(self) -> None:
        return None


NO_QUEUE = _NoQueue()


class DirectSocket(AsyncSocket):
    """An engine.io socket that, once its websocket is open, writes each packet straight to it."""

    ws: PlainWebSocket | None = None

    async def send(self, pkt: eio_packet.Packet) -> None:
        ws = self.ws
        if ws is None:  # long-polling, or the websocket not open yet: python-engineio's queue
            await super().send(pkt)
        elif await self.check_ping_timeout():
            ws.write(frame(pkt))

    def schedule_ping(self) -> None:
        """Ping after the interval, from a timer: an idle phone keeps no sleeping task."""
        if self.last_ping:
            self.last_ping = None
            asyncio.get_running_loop().call_later(self.server.ping_interval, self._ping)

    def _ping(self) -> None:
        if self.closing or self.closed:
            return
        self.last_ping = time.time()
        if self.ws is not None:
            self.ws.write(PING)
        else:
            self.server.start_background_task(self.send, eio_packet.Packet(eio_packet.PING))

    async def _websocket_handler(self, ws: PlainWebSocket) -> None:
        if self.connected:  # it was long-polling: engine.io's upgrade
            if not await self._upgraded(ws):
                return
        self.connected = self.upgraded = True
        while not self.queue.empty():  # what was queued before the websocket opened leaves first
            pkt = self.queue.get_nowait()
            self.queue.task_done()
            if pkt is not None:
                ws.write(frame(pkt))
        self.ws, self.queue = ws, NO_QUEUE
        await self._read(ws)
        await ws.close()
        await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)

    async def _upgraded(self, ws: PlainWebSocket) -> bool:
        """The probe and the UPGRADE packet of a long-polling client moving to this websocket."""
        self.upgrading = True  # the long poll returns nothing more meanwhile
        try:
            probe = await self._next(ws)
            if probe is None or probe.packet_type != eio_packet.PING or probe.data != "probe":
                return False
            ws.write(frame(eio_packet.Packet(eio_packet.PONG, data="probe")))
            await self.queue.put(eio_packet.Packet(eio_packet.NOOP))  # ends the poll the client holds
            upgrade = await self._next(ws)
            return upgrade is not None and upgrade.packet_type == eio_packet.UPGRADE
        finally:
            self.upgrading = False

    async def _read(self, ws: PlainWebSocket) -> None:
        """Hand each packet the client sends to engine.io until it leaves, falls silent or sends garbage."""
        while (pkt := await self._next(ws)) is not None:
            try:
                await self.receive(pkt)
            except exceptions.UnknownPacketError:  # a packet type no client sends: ignored
                pass
            except exceptions.SocketIsClosedError:
                return
            except Exception:  # a fault of ours: logged, and the connection carries on (as the library does)
                log.exception("%s: error handling an engine.io packet", self.sid)

    async def _next(self, ws: PlainWebSocket) -> eio_packet.Packet | None:
        """The client's next engine.io packet; None once it left, fell silent past the ping timeout,
        or sent something too big or not engine.io at all (the socket is then dropped, as the library
        drops it). aiohttp cancels the handler when the connection is lost: that ends the socket too,
        as the library's reader does, so it does not linger until its ping times out."""
        try:
            data = await ws.receive(self.server.ping_interval + self.server.ping_timeout)
            if data is None or len(data) > self.server.max_http_buffer_size:
                return None
            return eio_packet.Packet(encoded_packet=data)
        except (TimeoutError, OSError, ValueError, IndexError, TypeError, asyncio.CancelledError):
            return None


PING = frame(eio_packet.Packet(eio_packet.PING))


def written(socket: AsyncSocket, pkt: eio_packet.Packet) -> bool:
    """Write ``pkt`` to ``socket`` now, without a coroutine, if it is a websocket written to directly (a
    broadcast's loop stays tight: a phone costs its frame's write); False if it needs ``send_packet``."""
    if not isinstance(socket, DirectSocket) or socket.ws is None:
        return False
    if not socket.closed:  # a closed one's packets are dropped, as python-engineio drops them
        socket.ws.write(frame(pkt))
    return True


def plain_websockets(sio: socketio.AsyncServer) -> set[WebSocketResponse]:
    """Make ``sio`` (this server only) answer websocket upgrades with ``PlainWebSocket`` and serve its
    engine.io connections with ``DirectSocket``; the set of its open websockets, for ``hang_up``."""
    sockets: set[WebSocketResponse] = set()
    plain = type("PlainWebSocket", (PlainWebSocket,), {"sockets": sockets})
    sio.eio._async = {**sio.eio._async, "websocket": plain}
    connected = sio.eio.handlers["connect"]

    async def on_connect(eio_sid: str, environ: dict[str, Any]) -> Any:
        # python-engineio makes its own socket class; this one differs only in how it sends and reads.
        socket = sio.eio.sockets.get(eio_sid)
        if type(socket) is AsyncSocket:
            socket.__class__ = DirectSocket
        return await connected(eio_sid, environ)

    sio.eio.on("connect", on_connect)
    return sockets


async def end(socket: AsyncSocket) -> None:
    """Close a socket's connection even if its client ignores the goodbyes already sent."""
    if isinstance(socket, DirectSocket) and socket.ws is not None:
        await socket.ws.close()
    else:
        await socket.queue.put(None)  # python-engineio's writer closes the websocket as it stops


async def hang_up(sio: socketio.AsyncServer, sockets: set[WebSocketResponse]) -> None:
    """Close every connection as the server stops: aiohttp would wait up to a minute for clients to
    leave. Overlays, pads, controllers and phones see the close and reconnect once the server is back."""
    # Websockets just close, as when the network drops: every socket.io client reconnects after that
    # (python-socketio's client would not after engine.io's own goodbye). Long-polling clients get
    # the goodbye, which ends the poll they hold open.
    polling = [socket for socket in sio.eio.sockets.values() if not socket.upgraded]
    closing = [asyncio.ensure_future(ws.close(code=WSCloseCode.GOING_AWAY)) for ws in list(sockets)]
    closing += [asyncio.ensure_future(socket.close(wait=False)) for socket in polling]
    if closing:
        # A client that reads nothing (its buffers full) would hold a close forever: it is cut off.
        _, late = await asyncio.wait(closing, timeout=CLOSE_WAIT + 1)
        for task in late:
            task.cancel()
        await asyncio.gather(*closing, return_exceptions=True)
