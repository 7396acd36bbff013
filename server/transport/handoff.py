"""Connections handed from the owner process to the phones process over a Unix socket (``SCM_RIGHTS``).

The owner alone listens on the show's TCP port. A connection whose first request is ``GET <prefix>…`` (a
phone's websocket) leaves it right after its first bytes: its file descriptor and the bytes read so far go
to the phones process in one ``SOCK_SEQPACKET`` datagram, and the phones process's aiohttp serves it as if
it had accepted it. Whatever stops the handover (nothing attached, the phones process behind or dead, a
datagram too big) leaves the owner serving the connection itself, with every byte it read.

Closing the owner's copy only closes its descriptor: neither asyncio's transports nor uvloop's shut the
socket down on ``close()`` (only ``write_eof()`` does), and the kernel keeps the connection open while the
phones process (or the datagram on its way there) holds a reference to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
from collections.abc import Callable
from typing import cast

log = logging.getLogger(__name__)

HANDED_MOST = 64 * 1024  # bytes read that one datagram carries with its connection; more, the owner serves it
FIRST_BYTES_WITHIN = 75.0  # seconds a silent connection is kept (aiohttp's own keep-alive timeout)
_CLOEXEC = getattr(socket, "MSG_CMSG_CLOEXEC", 0)  # the descriptors received are not inherited by children
_GONE = {errno.EBADF, errno.ENOTCONN}  # the channel is closed or unconnected: as dead as EPIPE


class Handoff:
    """Hands connections whose first request is ``GET <prefix>...`` (or ``POST``) to the phones process.

    ``attach`` gives it the owner's end of a connected ``AF_UNIX``/``SOCK_SEQPACKET`` socket to the phones
    process, which it owns from then on (``detach``, a replacing ``attach`` and a dead channel close it).
    ``handed`` and ``served`` count the connections it handed over and the ones the owner kept.
    """

    def __init__(self, prefix: str, *, first_bytes_within: float = FIRST_BYTES_WITHIN) -> None:
        if not prefix.startswith("/") or len(prefix) > 1024:
            raise ValueError(f"a handoff prefix is a path of at most 1024 characters, not {prefix!r}")
        # A websocket's GET, and long-polling's GET and POST: each request of a polling phone is a
        # connection of its own there (the phones process closes each after its answer).
        self.markers = tuple(method + prefix.encode("ascii") for method in (b"GET ", b"POST "))
        self.first_bytes_within = first_bytes_within
        self.handed = 0
        self.served = 0
        self._channel: socket.socket | None = None
        self._waiting: set[_FirstBytes] = set()

    def attach(self, channel: socket.socket) -> None:
        """Hand connections over ``channel`` from now on (closing a channel attached before)."""
        channel.setblocking(False)
        previous, self._channel = self._channel, channel
        if previous is not None and previous is not channel:
            previous.close()

    def detach(self) -> None:
        """Serve every connection in the owner from now on; the channel is closed."""
        channel, self._channel = self._channel, None
        if channel is not None:
            channel.close()

    @property
    def attached(self) -> bool:
        return self._channel is not None

    @property
    def waiting(self) -> int:
        """Connections the owner holds that are not decided yet, or handed and not yet closed here."""
        return len(self._waiting)

    def close(self) -> None:
        """Detach, and drop the connections still waiting for their first bytes (the server is closing)."""
        self.detach()
        for waiting in list(self._waiting):
            waiting.abort()

    def factory(self, inner: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        """A protocol factory for ``loop.create_server``: ``inner`` (aiohttp's ``runner.server``) gets the
        connections the owner serves."""
        return lambda: _FirstBytes(self, inner)

    def _send(self, data: bytes, fd: int) -> bool:
        """Whether ``data`` and the connection ``fd`` are on their way to the phones process."""
        channel = self._channel
        if channel is None:
            return False
        try:
            socket.send_fds(channel, [data], [fd])
        except BlockingIOError:  # the phones process is behind: this one stays here, no need to shout
            return False
        except OSError as exc:
            if isinstance(exc, ConnectionError) or exc.errno in _GONE:
                log.warning("the phones process's channel is gone (%s): the owner serves the phones now", exc)
                if self._channel is channel:
                    self.detach()
            else:
                log.warning("could not hand a connection to the phones process (%s): the owner serves it", exc)
            return False
        return True


class _FirstBytes(asyncio.Protocol):
    """A connection until its first bytes tell where it goes: handed over, or given to the owner's protocol."""

    def __init__(self, handoff: Handoff, inner: Callable[[], asyncio.Protocol]) -> None:
        self._handoff = handoff
        self._inner = inner
        self._transport: asyncio.Transport | None = None
        self._data = b""
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not asyncio's subclass
        self._handoff._waiting.add(self)
        self._timer = asyncio.get_running_loop().call_later(self._handoff.first_bytes_within, self.abort)

    def data_received(self, data: bytes) -> None:
        if self._transport is None:  # decided already (a loop that reads on after close would land here)
            return
        self._data += data
        markers = self._handoff.markers
        if self._data.startswith(markers):
            if not self._hand():
                self._serve()
        elif not any(marker.startswith(self._data) for marker in markers):
            self._serve()

    def eof_received(self) -> bool | None:
        if not self._data or self._transport is None:
            return None  # nothing said: the transport closes, and connection_lost lets go
        return self._serve().eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._let_go()

    def abort(self) -> None:
        """Drop the connection (it said nothing in time, or the server is closing)."""
        if self._transport is not None:
            self._transport.abort()
        self._let_go()

    def _hand(self) -> bool:
        transport = self._transport
        assert transport is not None
        sock = transport.get_extra_info("socket")
        if sock is None or len(self._data) > HANDED_MOST or not self._handoff._send(self._data, sock.fileno()):
            return False
        self._handoff.handed += 1
        self._stop_timer()
        # Only this process's descriptor closes: no FIN, no RST while the phones process holds the socket.
        transport.close()
        return True

    def _serve(self) -> asyncio.Protocol:
        """Give the connection, and the bytes read so far, to the owner's own protocol."""
        transport, data = self._transport, self._data
        assert transport is not None
        self._let_go()
        self._handoff.served += 1
        protocol = self._inner()
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        protocol.data_received(data)
        return protocol

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _let_go(self) -> None:
        self._stop_timer()
        self._handoff._waiting.discard(self)
        self._transport = None
        self._data = b""


async def take_connections(channel: socket.socket, factory: Callable[[], asyncio.Protocol]) -> None:
    """Serve every connection the owner hands over on `channel` with a protocol from `factory` (aiohttp's
    `runner.server` in the phones process), fed first with the bytes the owner already read; returns when
    the owner closes the channel.

    The channel stays the caller's to close. Connections already taken outlive this coroutine, whether it
    returns or is cancelled.
    """
    loop = asyncio.get_running_loop()
    channel.setblocking(False)
    taker = _Taker(loop, channel, factory)
    loop.add_reader(channel.fileno(), taker.read)
    try:
        await taker.ended
    finally:
        loop.remove_reader(channel.fileno())


class _Taker:
    """Reads the owner's datagrams; each one's connection gets a transport on this loop."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, channel: socket.socket, factory: Callable[[], asyncio.Protocol]
    ) -> None:
        self.loop, self.channel, self.factory = loop, channel, factory
        self.ended: asyncio.Future[None] = loop.create_future()
        self.warned = False
        self.taking: set[asyncio.Task[None]] = set()

    def read(self) -> None:
        while not self.ended.done():
            try:
                data, fds, flags, _ = socket.recv_fds(self.channel, HANDED_MOST, 2, _CLOEXEC)
            except BlockingIOError:
                return
            except OSError as exc:
                log.warning("the owner's channel failed (%s): no more connections are taken", exc)
                self.ended.set_result(None)
                return
            if not data and not fds:  # the owner closed its end
                self.ended.set_result(None)
                return
            if len(fds) != 1 or flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
                self._refuse(fds, len(data), flags)
                continue
            self._take(fds[0], data)

    def _refuse(self, fds: list[int], size: int, flags: int) -> None:
        for fd in fds:
            os.close(fd)
        if not self.warned:  # once: a confused owner would say it thousands of times
            self.warned = True
            log.warning(
                "the owner sent a datagram with %d descriptors and %d bytes (flags %#x), not one connection: "
                "dropped, and any like it from now on",
                len(fds),
                size,
                flags,
            )

    def _take(self, fd: int, data: bytes) -> None:
        try:
            sock = socket.socket(fileno=fd)
        except OSError:
            os.close(fd)
            self._refuse([], len(data), 0)
            return
        task = self.loop.create_task(self._serve(sock, data))
        self.taking.add(task)
        task.add_done_callback(self.taking.discard)

    async def _serve(self, sock: socket.socket, data: bytes) -> None:
        try:
            await self.loop.connect_accepted_socket(lambda: _Fed(self.factory(), data), sock)
        except Exception:
            log.exception("could not serve a connection the owner handed over")
            with contextlib.suppress(OSError):
                sock.close()


class _Fed(asyncio.Protocol):
    """Stands in for ``inner`` until the transport is made, to feed it the owner's bytes first.

    Both asyncio and uvloop call ``connection_made`` before they start reading the socket (asyncio queues
    its reader after it; uvloop starts reading when it returns), so these bytes come before any read here;
    after ``await connect_accepted_socket`` it would be too late: the loop may have read the socket by then.
    """

    def __init__(self, inner: asyncio.Protocol, first: bytes) -> None:
        self._inner = inner
        self._first = first

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        inner, first = self._inner, self._first
        transport.set_protocol(inner)
        inner.connection_made(transport)
        if first and not transport.is_closing():
            inner.data_received(first)
