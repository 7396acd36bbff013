"""Engine.IO's websockets, made cheap per phone: no permessage-deflate, no task per connection, written to
directly, and closed as the server stops.

python-engineio gives every websocket a queue and a writer task that waits on it (through
``asyncio.wait_for``, itself a task), and a reader that makes two more tasks per frame received: a
broadcast to 5,000 phones was 5,000 queue puts and over 10,000 task wake-ups before the last phone got
a byte, and each idle phone kept its tasks in memory, with aiohttp's request, websocket and writers.
Here the connection leaves aiohttp once the handshake is answered (``server/transport/websocket.py``),
and a socket whose websocket is open (``DirectSocket``) writes each packet at once, as a websocket
frame built once per packet and shared by every recipient of a broadcast (``frame``). What the client
sends is handed to engine.io in order by a task that lives only while there is something to hand; pings
come from a timer, and a ping not answered in time closes the connection. What was queued before the
websocket opened (long-polling, the upgrade) is written first, so order is kept. Long-polling clients
are python-engineio's own path, unchanged.

python-engineio's aiohttp driver also accepts the deflate extension every browser offers: about
120 KiB of zlib state per connection and about 30 % fewer messages a second. Our messages are small
JSON patches; thousands of phones matter more than a few bytes each.

This leans on python-engineio 4.x's socket internals (``_websocket_handler``, ``schedule_ping``, the
queue); tests/transport/test_sockets.py and every browser test hold it to the protocol.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

import socketio
from aiohttp import web
from engineio import exceptions
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as driver
from engineio.async_socket import AsyncSocket

from server.transport import websocket
from server.transport.limits import ADDRESS, network_address
from server.transport.websocket import (
    BINARY,
    CLOSE_WAIT,
    GOING_AWAY,
    TEXT,
    Gone,
    Refused,
    WebSocket,
    server_frame,
    take_over,
)

log = logging.getLogger(__name__)


def frame(pkt: eio_packet.Packet) -> bytes:
    """``pkt`` as one websocket frame from a server (unmasked, uncompressed), built once per packet: every
    recipient of a broadcast is written the same bytes."""
    cached: bytes | None = pkt.__dict__.get("ws_frame")
    if cached is None:
        encoded = pkt.encode()
        text = isinstance(encoded, str)
        cached = pkt.ws_frame = server_frame(TEXT if text else BINARY, encoded.encode() if text else bytes(encoded))
    return cached


class Upgrade(driver.WebSocket):
    """python-engineio's hook for a websocket: the handshake answered, then the connection is ours
    (``server/transport/websocket.py``), with no deflate."""

    sockets: set[WebSocket]  # the open ones (each server its own set: ``plain_websockets``)

    async def __call__(self, environ: dict[str, Any]) -> web.StreamResponse:
        request = environ["aiohttp.request"]
        environ[ADDRESS] = network_address(environ)  # the request is let go: what the namespaces ask of it
        try:
            ws = await take_over(request, self.server.max_http_buffer_size, self.sockets)
        except Refused as refused:
            return refused.response()
        for key in [key for key in environ if key not in KEPT]:
            del environ[key]  # python-socketio keeps it for the connection's life
        if ws is not None:
            await self.handler(ws)
            ws.start()
        return Gone()


# What a websocket's environ keeps of its handshake: what the namespaces read at their connect.
KEPT = frozenset({ADDRESS, "REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "HTTP_COOKIE", "HTTP_ORIGIN"})


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
    """An engine.io socket that, once its websocket is open, writes each packet straight to it, and hands
    what the client sends to engine.io from one task that lives only while there is something to hand."""

    ws: WebSocket | None = None  # the open websocket, once packets go through it
    _wire: WebSocket | None = None  # the websocket read, the upgrade's included
    _probed = False  # an upgrade's probe answered: its UPGRADE packet comes next
    _inbox: deque[eio_packet.Packet] | None = None
    _handing: asyncio.Task[None] | None = None

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
        self.last_ping = sent = time.time()
        if self.ws is not None:
            self.ws.write(PING)
            asyncio.get_running_loop().call_later(self.server.ping_timeout, self._pong_due, sent)
        else:
            self.server.start_background_task(self.send, eio_packet.Packet(eio_packet.PING))

    def _pong_due(self, sent: float) -> None:
        """A client that did not answer the ping in time is gone: its websocket is closed."""
        if self.last_ping == sent and self.ws is not None and not self.closed:
            asyncio.ensure_future(self.ws.close())

    async def _websocket_handler(self, ws: WebSocket) -> None:
        """Start reading ``ws``; a long-polling client's upgrade first, as engine.io's protocol has it."""
        self._wire = ws
        ws.on_message, ws.on_lost = self._heard, self._lost
        if self.connected:
            self.upgrading = True  # the long poll returns nothing more meanwhile
        else:
            self._open(ws)

    def _open(self, ws: WebSocket) -> None:
        self.connected = self.upgraded = True
        self.upgrading = False
        while not self.queue.empty():  # what was queued before the websocket opened leaves first
            pkt = self.queue.get_nowait()
            self.queue.task_done()
            if pkt is not None:
                ws.write(frame(pkt))
        self.ws, self.queue = ws, NO_QUEUE

    def _heard(self, data: str | bytes) -> None:
        """One message from the client: an engine.io packet, or the connection ends (as the library ends it)."""
        wire = self._wire
        assert wire is not None
        try:
            pkt = eio_packet.Packet(encoded_packet=data)
        except (ValueError, IndexError, TypeError):
            wire.fail(websocket.INVALID_DATA, "not an engine.io packet")
            return
        if self.ws is None:
            self._upgrade(wire, pkt)
            return
        inbox = self._inbox
        if inbox is None:
            inbox = self._inbox = deque()
        inbox.append(pkt)
        if len(inbox) >= INBOX_MOST:  # engine.io is behind: the client waits in the kernel's buffers
            wire.pause_reading()
        if self._handing is None:
            self._handing = asyncio.ensure_future(self._hand_over(inbox, wire))

    def _upgrade(self, wire: WebSocket, pkt: eio_packet.Packet) -> None:
        """The probe and the UPGRADE packet of a long-polling client moving to this websocket."""
        if not self._probed and pkt.packet_type == eio_packet.PING and pkt.data == "probe":
            self._probed = True
            wire.write(frame(eio_packet.Packet(eio_packet.PONG, data="probe")))
            self.queue.put_nowait(eio_packet.Packet(eio_packet.NOOP))  # ends the poll the client holds
        elif self._probed and pkt.packet_type == eio_packet.UPGRADE:
            self._open(wire)
        else:
            self.upgrading = False
            wire.fail(websocket.NORMAL, "a failed upgrade")

    async def receive(self, pkt: eio_packet.Packet) -> None:
        """A message goes straight to the server's handler (python-socketio's), as python-engineio's own
        ``receive`` hands it on when handlers are not run as tasks, without its log line and the wrapper it
        builds per message: a producer's command reaches the rules sooner. Every other packet: the library's."""
        inline = pkt.packet_type == eio_packet.MESSAGE and not self.server.async_handlers
        handler = self.server.handlers.get("message") if inline else None
        if handler is None:
            await super().receive(pkt)
            return
        try:
            await handler(self.sid, pkt.data)
        except Exception:  # as the library's wrapper: logged, and the connection carries on
            log.exception("%s: error handling a message", self.sid)

    async def _hand_over(self, inbox: deque[eio_packet.Packet], wire: WebSocket) -> None:
        """Hand each packet the client sent to engine.io, in order, then end."""
        try:
            while inbox:
                pkt = inbox.popleft()
                if len(inbox) == INBOX_MOST // 2:
                    wire.resume_reading()
                try:
                    await self.receive(pkt)
                except exceptions.UnknownPacketError:  # a packet type no client sends: ignored
                    pass
                except exceptions.SocketIsClosedError:
                    inbox.clear()
                    await wire.close()
                except Exception:  # a fault of ours: logged, and the connection carries on (as the library does)
                    log.exception("%s: error handling an engine.io packet", self.sid)
        finally:
            self._handing, self._inbox = None, None  # an empty deque is 624 bytes a phone
            if wire.transport is None:  # it was lost meanwhile: the socket ends after its last packet
                await self._end()

    def _lost(self) -> None:
        if self._handing is None:
            asyncio.ensure_future(self._end())

    async def _end(self) -> None:
        if self.upgrading:
            self.upgrading = False  # an upgrade that never finished: the client goes on long-polling
            return
        await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)
        if self.server.sockets.get(self.sid) is self:
            del self.server.sockets[self.sid]


INBOX_MOST = 64  # packets a connection may have waiting for engine.io before the server stops reading it


PING = frame(eio_packet.Packet(eio_packet.PING))


def written(socket: AsyncSocket, pkt: eio_packet.Packet) -> bool:
    """Write ``pkt`` to ``socket`` now, without a coroutine, if it is a websocket written to directly (a
    broadcast's loop stays tight: a phone costs its frame's write); False if it needs ``send_packet``."""
    if not isinstance(socket, DirectSocket) or socket.ws is None:
        return False
    if not socket.closed:  # a closed one's packets are dropped, as python-engineio drops them
        socket.ws.write(frame(pkt))
    return True


def plain_websockets(sio: socketio.AsyncServer) -> set[WebSocket]:
    """Make ``sio`` (this server only) answer websocket upgrades with ``Upgrade`` and serve its engine.io
    connections with ``DirectSocket``; the set of its open websockets, for ``hang_up``."""
    sockets: set[WebSocket] = set()
    plain = type("Upgrade", (Upgrade,), {"sockets": sockets})
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


async def hang_up(sio: socketio.AsyncServer, sockets: set[WebSocket]) -> None:
    """Close every connection as the server stops: aiohttp would wait up to a minute for clients to
    leave. Overlays, pads, controllers and phones see the close and reconnect once the server is back."""
    # Websockets just close, as when the network drops: every socket.io client reconnects after that
    # (python-socketio's client would not after engine.io's own goodbye). Long-polling clients get
    # the goodbye, which ends the poll they hold open.
    polling = [socket for socket in sio.eio.sockets.values() if not socket.upgraded]
    closing = [asyncio.ensure_future(ws.close(GOING_AWAY)) for ws in list(sockets)]
    closing += [asyncio.ensure_future(socket.close(wait=False)) for socket in polling]
    if closing:
        # A client that reads nothing (its buffers full) would hold a close forever: it is cut off.
        _, late = await asyncio.wait(closing, timeout=CLOSE_WAIT + 1)
        for task in late:
            task.cancel()
        await asyncio.gather(*closing, return_exceptions=True)
