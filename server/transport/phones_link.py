"""The owner's line to one machine's phones process, and what the two say to each other.

On one machine, ``run`` forks the owner (the show, its log, the desk, the overlays) and a phones process
(the audience's websockets), so that thousands of phones voting never hold up the producer's click and
both cores work. The owner accepts every connection and hands a phone's websocket (``PHONES_PATH``) to
the phones process (``server/transport/handoff.py``). Over a Unix socket, the owner sends the phones
process the audience's view (a snapshot before each change, then the change's socket.io packet, encoded
once here) and answers its votes; the phones process sends the votes it screened, in batches, and how
many phones it holds. Every vote is still counted by the owner alone, from its log: a phone hears "ok"
only for a vote the log holds. Across machines, Redis does this instead (``server/transport/cluster.py``).

Each message is a 4-byte length and a msgpack body.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
from typing import Any

import msgspec
from msgspec import Struct

from server.core import commands as c
from server.show.ballot_box import count
from server.show.service import ShowService
from server.transport import protocol as p
from server.transport.ballots import ack_of
from server.transport.handoff import Handoff
from server.transport.hub import Hub

log = logging.getLogger(__name__)

PHONES_NAMESPACE = "/audience"  # the one namespace the phones process serves
PHONES_PATH = "/phones.io/"  # the phones' socket.io path (the audience page's); the owner serves it too
FRAME_MOST = 64 << 20  # bytes in one message at most
BACKLOG_MOST = 64 << 20  # bytes waiting for a phones process that stopped reading, before it is dropped
ASKS_MOST = 256  # votes in one batch: the owner counts a batch in one go, the desk waits for no more


class Hello(Struct, tag=True):
    """The owner's first word: the secret the phones' identities are signed with."""

    secret: bytes


class Snapshot(Struct, tag=True):
    """The audience's view as of now, sent before the packets of the change that led to it."""

    snapshot: dict[str, Any]


class Packet(Struct, tag=True):
    """A socket.io packet for a room of the phones' namespace, encoded once by the owner."""

    namespace: str
    room: str
    encoded: str


class Ask(Struct, tag=True):
    """A vote to count, or a phone's ballot to tell; the answer comes back under ``n``."""

    n: int
    vote: c.Vote | None = None
    mine: str | None = None


class Asks(Struct, tag=True):
    asks: list[Ask]


class Answers(Struct, tag=True):
    answers: list[tuple[int, dict[str, Any]]]


class Phones(Struct, tag=True):
    """How many phones the phones process holds (the controllers' devices panel)."""

    connected: int


Message = Hello | Snapshot | Packet | Asks | Answers | Phones
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Message)


def encode(message: Message) -> bytes:
    body = _encoder.encode(message)
    return len(body).to_bytes(4, "big") + body


async def read(reader: asyncio.StreamReader) -> Message:
    """The next message; raises ValueError for one that is too big or not a message, EOFError at the end."""
    try:
        size = int.from_bytes(await reader.readexactly(4), "big")
        if size > FRAME_MOST:
            raise ValueError(f"a message of {size} bytes (at most {FRAME_MOST})")
        body = await reader.readexactly(size)
    except asyncio.IncompleteReadError:
        raise EOFError from None
    try:
        return _decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise ValueError(f"not a message: {exc}") from None


def same_user(sock: socket.socket) -> bool:
    """Whether the process at the other end of a Unix socket runs as this one's user: an abstract socket has
    no file permissions, and another user's process must never see the phones' secret or cast votes."""
    _, uid, _ = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return uid == os.getuid()


def listener(address: str, kind: int) -> socket.socket:
    """A listening Unix socket; ``address`` starts with NUL (abstract, Linux): no file to leave behind."""
    sock = socket.socket(socket.AF_UNIX, kind)
    try:
        sock.bind(address)
        sock.listen(16)
    except OSError:
        sock.close()
        raise
    return sock


class PhonesLink:
    """The owner's side: one phones process at a time, on two Unix sockets of its own (``start``)."""

    def __init__(self, service: ShowService, hub: Hub, secret: bytes, handoff: Handoff) -> None:
        self.service, self.hub, self.secret, self.handoff = service, hub, secret, handoff
        self._writer: asyncio.StreamWriter | None = None
        self._held: list[Message] = []  # this turn's packets, sent once the desk's work is done (``relay``)
        self._servers: list[asyncio.AbstractServer] = []
        self._hands: asyncio.Task | None = None

    async def start(self, name: str) -> None:
        """Listen for the phones process: its link at ``name``.link, its connections' channel at ``name``.hand."""
        link = listener(name + ".link", socket.SOCK_STREAM)
        self._servers.append(await asyncio.start_unix_server(self._serve, sock=link))
        self._hands = asyncio.create_task(self._take_hands(listener(name + ".hand", socket.SOCK_SEQPACKET)))
        self.hub.relay = self.relay

    async def stop(self) -> None:
        self.hub.relay = None
        self.handoff.close()
        if self._hands is not None:
            self._hands.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._hands
        for server in self._servers:
            server.close()
        self._servers.clear()
        if self._writer is not None:
            self._writer.close()

    async def _take_hands(self, hand: socket.socket) -> None:
        with hand:  # closed when ``stop`` cancels this
            hand.setblocking(False)
            loop = asyncio.get_running_loop()
            while True:
                channel, _ = await loop.sock_accept(hand)
                if not same_user(channel):
                    log.warning("a process of another user knocked on the phones' channel: refused")
                    channel.close()
                    continue
                self.handoff.attach(channel)  # the phones process's new channel replaces its last one
                log.info("the phones process's channel is attached")

    def _send(self, message: Message) -> None:
        writer = self._writer
        if writer is None:
            return
        if writer.transport.get_write_buffer_size() > BACKLOG_MOST:
            log.warning("the phones process stopped reading: dropping its link (it reconnects)")
            self._drop(writer)
            return
        writer.write(encode(message))

    def _drop(self, writer: asyncio.StreamWriter) -> None:
        if self._writer is writer:
            self._writer = None
            self.handoff.detach()
            self.hub.far_audience = 0
            self.hub.presence_changed()
        writer.transport.abort()

    def relay(self, namespace: str, room: str, encoded: str) -> None:
        """A packet for the phones' namespace, to the phones process too (the hub's ``relay``), after the
        audience's snapshot as of now, for the phones that join meanwhile.

        Both leave at the event loop's next turn: a producer's command syncs the log and sends its ACK
        first, and only then does the phones process wake to write thousands of frames, on the core the
        desk's own clients would otherwise wait for (the overlays' patch is already out)."""
        if self._writer is not None and namespace == PHONES_NAMESPACE:
            if not self._held:
                asyncio.get_running_loop().call_soon(self._release)
            self._held += (Snapshot(self.service.snapshot("audience")), Packet(namespace, room, encoded))

    def _release(self) -> None:
        held, self._held = self._held, []
        for message in held:
            self._send(message)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not same_user(writer.get_extra_info("socket")):
            log.warning("a process of another user knocked on the phones' link: refused")
            writer.transport.abort()
            return
        if self._writer is not None:
            self._drop(self._writer)
        self._writer = writer
        self._send(Hello(self.secret))
        self._send(Snapshot(self.service.snapshot("audience")))
        log.info("the phones process is linked")
        try:
            while True:
                message = await read(reader)
                if isinstance(message, Asks):
                    self._answer(message.asks[:ASKS_MOST])
                elif isinstance(message, Phones):
                    self.hub.far_audience = message.connected
                    self.hub.presence_changed()
                await asyncio.sleep(0)  # a batch at a time: the desk's next click goes between two
        except (EOFError, ConnectionError):
            log.warning("the phones process's link closed")
        except ValueError as exc:
            log.warning("the phones process sent %s: dropping its link", exc)
        finally:
            self._drop(writer)

    def _answer(self, asks: list[Ask]) -> None:
        """Count a batch's votes as one command and answer each ask, the ballots after the votes."""
        votes = [ask for ask in asks if ask.vote is not None]
        counted = count(self.service, [ask.vote for ask in votes if ask.vote is not None]) if votes else []
        answers = [(ask.n, ack_of(answer)) for ask, answer in zip(votes, counted, strict=True)]
        answers += [(ask.n, p.ok(**self.service.ballot_of(ask.mine))) for ask in asks if ask.mine is not None]
        self._send(Answers(answers))
