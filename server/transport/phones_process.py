"""The phones process's side of its line to the owner (``server/transport/phones_link.py``): the show as
the phones see it, and their votes.

``OwnerLine`` stands in for the show service (the audience's snapshot, its open poll, the clock) and is
the phones' ballot box (``Ballots``): a vote the line can refuse by itself (no poll open, no such
option) is refused here; the others go to the owner in batches, and each phone gets the owner's answer.
While the owner is away (restarting after a crash), the phones stay connected with the last view, votes
are answered "unavailable", and the line connects again; then every phone gets the new snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import socket
from collections.abc import Callable
from typing import Any

from server.core import commands as c
from server.core.config import ShowConfig
from server.transport import protocol as p
from server.transport.cluster import ANSWER_WITHIN, OwnersViews, screen
from server.transport.handoff import take_connections
from server.transport.hub import Hub
from server.transport.identity import Phones as PhoneIds
from server.transport.phones_link import (
    ASKS_MOST,
    Answers,
    Ask,
    Asks,
    Hello,
    Message,
    Packet,
    Phones,
    Snapshot,
    encode,
    read,
    same_user,
)

log = logging.getLogger(__name__)

AGAIN_EVERY = 0.1  # seconds between tries to reach an owner that is away
COUNT_EVERY = 0.25  # seconds between telling the owner how many phones are here (when it changed)
UNAVAILABLE = p.error("unavailable", "wire.votes_unavailable")


class OwnerLine(OwnersViews):
    """The owner as the phones process sees it: its snapshots in, votes and ballots out."""

    def __init__(self, config: ShowConfig, clock: Callable[[], int], name: str, per_address: int) -> None:
        """``name``: the owner's link (``PhonesLink.start``)."""
        super().__init__(config, clock)
        self.name = name
        self.phones = PhoneIds(self._secret, config.id, per_address)
        self.hub: Hub | None = None  # set by the app: where the owner's packets go
        self._hello: bytes | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._numbers = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._asks: list[Ask] = []
        self._flush_due = False
        self._told = -1
        self._again = False  # linked again after the owner went away
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._follow()), asyncio.create_task(self._count())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._writer is not None:
            self._writer.close()

    # -- the service's stand-in -------------------------------------------------------------------

    async def _secret(self) -> bytes | None:
        return self._hello

    @property
    def revision(self) -> int:
        return (self.views.get("audience") or {}).get("rev", -1)

    # -- the ballot box ---------------------------------------------------------------------------

    async def cast(self, vote: c.Vote) -> dict[str, Any]:
        if (refusal := screen(self.poll(), vote)) is not None:
            return refusal
        return await self._ask(vote=vote)

    async def ballot_of(self, device: str) -> dict[str, Any]:
        answer = await self._ask(mine=device)
        if not answer.get("ok"):
            raise p.ProtocolError("unavailable", "wire.votes_unavailable")
        return {k: v for k, v in answer.items() if k != "ok"}

    async def _ask(self, **fields: Any) -> dict[str, Any]:
        """The owner's answer to a vote or a ballot, sent with the others of this turn of the loop."""
        if self._writer is None:
            return UNAVAILABLE
        ask = Ask(next(self._numbers), **fields)
        answer = self._pending[ask.n] = asyncio.get_running_loop().create_future()
        self._asks.append(ask)
        if len(self._asks) >= ASKS_MOST:
            self._flush()
        elif not self._flush_due:
            self._flush_due = True
            asyncio.get_running_loop().call_soon(self._flush)
        try:
            # Not "ok" on a timeout: the owner may still count it, and then `mine` says so.
            return await asyncio.wait_for(answer, ANSWER_WITHIN)
        except TimeoutError:
            return UNAVAILABLE
        finally:
            self._pending.pop(ask.n, None)

    def _flush(self) -> None:
        self._flush_due = False
        asks, self._asks = self._asks, []
        if asks and self._writer is not None:
            self._writer.write(encode(Asks(asks)))

    # -- the line ---------------------------------------------------------------------------------

    async def _follow(self) -> None:
        """Connect to the owner, follow it, and connect again whenever it goes away."""
        while True:
            try:
                reader, writer = await asyncio.open_unix_connection(sock=await _connected(self.name + ".link"))
            except OSError:
                await asyncio.sleep(AGAIN_EVERY)
                continue
            self._writer, self._told = writer, -1
            log.info("linked to the show's owner")
            try:
                while True:
                    await self._take(await read(reader))
            except (EOFError, ConnectionError):
                log.warning("the show's owner went away; connecting again")
            except ValueError as exc:
                log.warning("the show's owner sent %s; connecting again", exc)
            finally:
                self._writer = None
                writer.close()
                self._asks.clear()  # answered "unavailable" below: never counted behind the phone's back
                for answer in self._pending.values():
                    if not answer.done():
                        answer.set_result(UNAVAILABLE)

    async def _take(self, message: Message) -> None:
        if isinstance(message, Packet):
            if self.hub is not None:
                await self.hub.deliver(message.encoded, message.room, message.namespace)
        elif isinstance(message, Answers):
            for n, ack in message.answers:
                answer = self._pending.get(n)
                if answer is not None and not answer.done():
                    answer.set_result(ack)
        elif isinstance(message, Snapshot):
            self.views["audience"] = message.snapshot
            if self._again and self.hub is not None:  # the owner is back: the phones' views may be behind
                self._again = False
                await self.hub.send(p.SNAPSHOT, self.snapshot("audience"), "audience", "/audience")
        elif isinstance(message, Hello):
            self._again = self._hello is not None
            self._hello = message.secret

    async def take_connections(self, factory: Callable[[], asyncio.BaseProtocol]) -> None:
        """Serve the phones' connections the owner hands over with ``factory`` (aiohttp's server), again
        after the owner went away; runs until cancelled."""
        while True:
            with contextlib.suppress(OSError):
                with await _connected(self.name + ".hand", socket.SOCK_SEQPACKET) as channel:
                    await take_connections(channel, factory)
            await asyncio.sleep(AGAIN_EVERY)

    async def _count(self) -> None:
        """Tell the owner how many phones are here, when that changed."""
        while True:
            await asyncio.sleep(COUNT_EVERY)
            connected = sum(1 for ns, _ in self.hub.sessions if ns == "audience") if self.hub is not None else 0
            if connected != self._told and self._writer is not None:
                self._told = connected
                self._writer.write(encode(Phones(connected)))


async def _connected(address: str, kind: int = socket.SOCK_STREAM) -> socket.socket:
    """A Unix socket connected to ``address`` (abstract: uvloop's own connect takes paths only)."""
    sock = socket.socket(socket.AF_UNIX, kind)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, address)
        if not same_user(sock):  # the name taken by another user's process while the owner was away
            raise PermissionError(f"{address[1:]} is another user's")
    except BaseException:
        sock.close()
        raise
    return sock
