"""A websocket that leaves aiohttp once it is open: the connection's transport is handed to a small protocol
of ours, and aiohttp's request, its protocol, its writers and the middlewares' frames are freed.

aiohttp answers the handshake (its headers, ours from ``on_response_prepare``); after the 101, a phone
costs this protocol, its transport and engine.io's socket. An idle phone keeps no task: frames arrive in
``data_received`` and are parsed there (RFC 6455: masked client frames, fragments, ping, pong, close, a
size limit), and whole messages go to ``on_message``. Server frames are written whole (``sockets.frame``).

The takeover leans on aiohttp 3.x's ``RequestHandler`` (``_message_tail``: bytes a client sent right
behind its upgrade request); tests/transport/test_websocket.py holds it to that.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
import struct
from collections.abc import Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, 1.3
CLOSE_WAIT = 2.0  # seconds a closing websocket waits for the client's goodbye
# Bytes a websocket may have waiting to be sent before it is cut off: a phone that stopped reading
# (out of range, asleep) must not grow the server's memory; it reconnects and gets a fresh snapshot.
BACKLOG_MOST = 1 << 20

NORMAL, GOING_AWAY, PROTOCOL_ERROR, INVALID_DATA, TOO_BIG = 1000, 1001, 1002, 1007, 1009
_CONTINUATION, TEXT, BINARY, _CLOSE, _PING, _PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class Refused(Exception):
    """An upgrade request that is not a websocket handshake we can answer, and why."""

    def __init__(self, status: int, why: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(why)
        self.status, self.headers = status, headers or {}

    def response(self) -> web.Response:
        return web.Response(status=self.status, text=f"{self}\n", headers=self.headers)


def accept_key(headers: Any) -> str:
    """``Sec-WebSocket-Accept`` for a handshake's request headers; Refused if it is not one (RFC 6455, 4.2.1)."""
    if "upgrade" not in {token.strip().lower() for token in headers.get("Connection", "").split(",")}:
        raise Refused(400, "a websocket handshake needs 'Connection: Upgrade'")
    if headers.get("Upgrade", "").strip().lower() != "websocket":
        raise Refused(400, "a websocket handshake needs 'Upgrade: websocket'")
    if headers.get("Sec-WebSocket-Version", "").strip() != "13":
        raise Refused(426, "only websocket version 13 is spoken here", {"Sec-WebSocket-Version": "13"})
    key = headers.get("Sec-WebSocket-Key", "").strip()
    try:
        nonce = base64.b64decode(key, validate=True)
    except binascii.Error:
        nonce = b""
    if len(nonce) != 16:
        raise Refused(400, "Sec-WebSocket-Key must be 16 bytes in base64")
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def server_frame(opcode: int, payload: bytes) -> bytes:
    """One whole, unmasked frame as a server sends it (RFC 6455, 5.2: the shortest length form)."""
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return head + payload


def close_frame(code: int) -> bytes:
    return server_frame(_CLOSE, code.to_bytes(2, "big"))


def _unmask(payload: bytes | bytearray, mask: bytes | bytearray) -> bytes:
    size = len(payload)
    if not size:
        return b""
    key = (bytes(mask) * (size // 4 + 1))[:size]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")).to_bytes(size, "little")


class WebSocket(asyncio.Protocol):
    """One open websocket, read and written straight on its transport."""

    __slots__ = ("transport", "max_size", "on_message", "on_lost", "_buffer", "_parts", "_sent_close", "_lost", "_open")

    def __init__(self, transport: asyncio.Transport, max_size: int, open_set: set[WebSocket]) -> None:
        self.transport: asyncio.Transport | None = transport
        self.max_size = max_size
        self.on_message: Callable[[str | bytes], None] = _ignore
        self.on_lost: Callable[[], None] = _nothing
        self._buffer = bytearray()
        self._parts: list[bytes] | None = None  # a fragmented message's frames so far, and its opcode first
        self._sent_close = False
        self._lost: asyncio.Future[None] | None = None  # made when someone waits for the close
        self._open = open_set
        open_set.add(self)

    def start(self) -> None:
        """Read what the client sent before the hooks were set (right behind its handshake)."""
        if self._buffer:
            self.data_received(b"")

    # -- writing

    def write(self, data: bytes) -> None:
        """Hand a whole frame to the connection now. A closing connection drops it; one that has stopped
        reading is cut off."""
        transport = self.transport
        if transport is None or transport.is_closing() or self._sent_close:
            return
        if transport.get_write_buffer_size() > BACKLOG_MOST:
            log.info("a websocket read nothing while %d bytes waited for it: cut off", BACKLOG_MOST)
            transport.abort()
            return
        transport.write(data)

    def _send_close(self, code: int) -> None:
        if not self._sent_close and self.transport is not None and not self.transport.is_closing():
            self.transport.write(close_frame(code))
        self._sent_close = True

    def fail(self, code: int, why: str) -> None:
        """Close at once for a client's fault (a frame the protocol forbids, too big, not UTF-8)."""
        log.info("websocket closed (%d): %s", code, why)
        self._send_close(code)
        if self.transport is not None:
            self.transport.close()

    async def close(self, code: int = NORMAL) -> None:
        """Say goodbye, wait a moment for the client's, then close; cut off if it never answers."""
        transport = self.transport
        if transport is None:
            return
        self._send_close(code)
        if self._lost is None:
            self._lost = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(asyncio.shield(self._lost), CLOSE_WAIT)
        except TimeoutError:
            transport.abort()
        finally:
            if self.transport is not None and not self.transport.is_closing():
                self.transport.close()

    def pause_reading(self) -> None:
        if self.transport is not None and self.transport.is_reading():
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.transport is not None and not self.transport.is_reading() and not self.transport.is_closing():
            self.transport.resume_reading()

    # -- asyncio's protocol

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._open.discard(self)
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)
        lost, self.on_lost, self.on_message = self.on_lost, _nothing, _ignore
        lost()

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        at, end = 0, len(buffer)
        while self.transport is not None and not self.transport.is_closing():
            if end - at < 2:
                break
            first, second = buffer[at], buffer[at + 1]
            size, head = second & 0x7F, 2
            if size == 126:
                if end - at < 4:
                    break
                size, head = int.from_bytes(buffer[at + 2 : at + 4], "big"), 4
            elif size == 127:
                if end - at < 10:
                    break
                size, head = int.from_bytes(buffer[at + 2 : at + 10], "big"), 10
            if not second & 0x80:
                return self.fail(PROTOCOL_ERROR, "a client's frame must be masked")
            if first & 0x70:
                return self.fail(PROTOCOL_ERROR, "no extension was agreed (a reserved bit is set)")
            held = sum(len(part) for part in self._parts[1:]) if self._parts else 0  # type: ignore[arg-type]
            if size + held > self.max_size:
                return self.fail(TOO_BIG, f"a message over {self.max_size} bytes")
            start = at + head + 4
            if end < start + size:
                break
            payload = _unmask(buffer[start : start + size], buffer[at + head : start])
            at = start + size
            self._frame(first & 0x80, first & 0x0F, payload)
        del buffer[:at]

    def _frame(self, fin: int, opcode: int, payload: bytes) -> None:
        if opcode >= _CLOSE:
            if not fin or len(payload) > 125:
                return self.fail(PROTOCOL_ERROR, "a control frame must be whole and at most 125 bytes")
            if opcode == _PING:
                self.write(server_frame(_PONG, payload))
            elif opcode == _CLOSE:  # the client's goodbye: ours in answer, then the connection ends
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else NORMAL
                self._send_close(code if 1000 <= code < 5000 and code not in (1004, 1005, 1006, 1015) else NORMAL)
                if self.transport is not None:
                    self.transport.close()
            elif opcode != _PONG:
                self.fail(PROTOCOL_ERROR, f"unknown opcode {opcode}")
            return
        if opcode == _CONTINUATION:
            if self._parts is None:
                return self.fail(PROTOCOL_ERROR, "a continuation frame with no message to continue")
            self._parts.append(payload)
            if not fin:
                return
            opcode, *parts = self._parts  # type: ignore[assignment]
            self._parts, payload = None, b"".join(parts)  # type: ignore[arg-type]
        elif opcode in (TEXT, BINARY):
            if self._parts is not None:
                return self.fail(PROTOCOL_ERROR, "a new message before the last one ended")
            if not fin:
                self._parts = [opcode, payload]  # type: ignore[list-item]
                return
        else:
            return self.fail(PROTOCOL_ERROR, f"unknown opcode {opcode}")
        if opcode == TEXT:
            try:
                text = payload.decode()
            except UnicodeDecodeError:
                return self.fail(INVALID_DATA, "a text message that is not UTF-8")
            self.on_message(text)
        else:
            self.on_message(payload)


def _ignore(message: str | bytes) -> None:
    return None


def _nothing() -> None:
    return None


class Gone(web.StreamResponse):
    """What the handler gives aiohttp back for a connection that is no longer its own: nothing to send."""

    def __init__(self) -> None:
        super().__init__(status=101)
        self.force_close()

    async def prepare(self, request: web.BaseRequest) -> None:  # type: ignore[override]
        return None

    async def write_eof(self, data: bytes = b"") -> None:
        return None


async def take_over(request: web.BaseRequest, max_size: int, open_set: set[WebSocket]) -> WebSocket | None:
    """Answer ``request``'s websocket handshake and take its connection from aiohttp; None if the client
    has already gone. Refused (nothing sent) if the handshake is not one. The caller sets the hooks, calls
    ``start`` before it next awaits, and its handler returns ``Gone()``."""
    accept = accept_key(request.headers)
    response = web.StreamResponse(
        status=101, headers={"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Accept": accept}
    )
    response.force_close()
    await response.prepare(request)
    protocol, transport = request.protocol, request.transport
    if transport is None or transport.is_closing():
        return None
    tail: bytes = getattr(protocol, "_message_tail", b"")
    protocol._message_tail = b""  # type: ignore[attr-defined]
    ws = WebSocket(transport, max_size, open_set)  # type: ignore[arg-type]
    transport.set_protocol(ws)
    protocol.transport = None  # aiohttp neither writes to nor closes it any more,
    protocol.connection_lost(None)  # and forgets the connection once the handler returns
    ws._buffer += tail  # read by ``start``, once the caller has set ``on_message``
    if not transport.is_reading():  # aiohttp pauses a connection whose upgrade tail grew
        transport.resume_reading()
    return ws
