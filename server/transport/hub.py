"""The Hub: what the namespaces share. Who is connected (and the presence the controllers see), the
service they talk to, and the sending of view patches to the rooms that watch them."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import engineio
import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet
from socketio.async_pubsub_manager import AsyncPubSubManager

from server.core import commands as c
from server.obs.link import ObsLink
from server.season.live import SeasonDesk
from server.show.service import ShowService, Update
from server.transport import protocol as p
from server.transport.access import Access
from server.transport.ballots import Ballots
from server.transport.heap import JoinWaves
from server.transport.limits import TokenBucket
from server.transport.sockets import written

PRESENCE_EVERY = 0.25  # seconds; thousands of phones joining must not flood the controllers
MONITOR = "monitor"  # an /overlay connection that is a controller's program monitor
EDGE_ROLES = ("overlay", "audience")  # the namespaces a cluster's edges serve too; the others, its owner alone
SEND_CHUNK = 500  # connections a broadcast queues on before it lets the event loop run other work


class Session:
    """One connection: who it is, which view it gets, its rate limit and its device."""

    __slots__ = ("actor", "audience", "bucket", "device")

    def __init__(self, actor: c.Actor, audience: str, bucket: TokenBucket, device: str = "") -> None:
        self.actor, self.audience, self.bucket, self.device = actor, audience, bucket, device


class Hub:
    """What the namespaces share: the service, the tokens, who is connected."""

    def __init__(self, sio: socketio.AsyncServer, service: ShowService, access: Access, ballots: Ballots) -> None:
        self.sio = sio
        self.service = service
        self.access = access
        self.ballots = ballots
        self.sessions: dict[tuple[str, str], Session] = {}
        self.team_pads: dict[str, str] = {}  # team -> sid of its pad
        self.pending: deque[list[Update]] = deque()  # view updates not yet sent, oldest first
        self._pending = asyncio.Event()
        self._emitting = asyncio.Lock()
        self._presence_due: asyncio.TimerHandle | None = None
        self._presence_task: asyncio.Task | None = None
        self.obs: ObsLink | None = None
        self.season: SeasonDesk | None = None  # a season's show: its standings, bracket, next line-ups
        # A cluster's owner first writes the snapshots the other processes serve (server/transport/cluster.py).
        self.before_emit: Callable[[list[Update]], Awaitable[None]] | None = None
        self._waves = JoinWaves()
        # One machine's phones process (server/transport/phones_link.py): every packet sent, for it to take
        # those of its rooms.
        self.relay: Callable[[str, str, str], None] | None = None
        self.far_audience = 0  # phones connected to that process

    def updated(self, updates: list[Update]) -> None:
        """The service's listener: queue a batch of view updates for ``publish_forever``."""
        self.pending.append(updates)
        self._pending.set()

    async def publish_forever(self) -> None:
        """Send the updates that commands did not send themselves (timer expiry, vote tallies)."""
        while True:
            await self._pending.wait()
            self._pending.clear()
            await self.publish()

    async def publish(self) -> None:
        """Send every queued batch of view updates to the rooms that watch them, in order.

        A command's handler calls this before its reply, so its patches leave in the same turn of
        the event loop instead of waiting for ``publish_forever`` behind the audience's traffic. The
        on-air patches leave first: the team pads', the producer's and the judges' views are built only
        once the overlays' are on the wire (``ShowService.flush``), and their patches follow."""
        async with self._emitting:
            while True:
                while self.pending:
                    updates = self.pending.popleft()
                    if self.before_emit is not None:
                        await self.before_emit(updates)
                    for update in updates:
                        message = {"rev": update.rev, "base": update.base, "patch": update.patch}
                        for namespace, room in _rooms(update.audience):
                            await self.send(p.PATCH, message, room, namespace)
                if not self.service.desk_due:
                    return
                self.service.flush()  # the on-air patches are on the wire (server/transport/sockets.py)

    async def send(self, event: str, data: Any, room: str, namespace: str) -> None:
        """Emit ``event`` to a room. A cluster's emits go through Redis to every process (python-socketio's
        emit); the desk's and the pads' rooms are on the owner alone. Otherwise the packet is encoded
        once and written to each connection's websocket right now (``sockets.written``): python-socketio's
        emit gives every recipient a task of its own and waits for them all, turns of the event loop behind
        thousands of phones' votes before an overlay's first byte leaves. A big room yields between chunks,
        so a question pushed to every phone does not hold up the desk's own traffic."""
        if isinstance(self.sio.manager, AsyncPubSubManager) and namespace[1:] in EDGE_ROLES:
            await self.sio.emit(event, data, to=room, namespace=namespace)
            return
        # Views are JSON: no binary parts to look for (python-socketio walks the whole patch otherwise).
        encoded = self.sio.packet_class(
            sio_packet.EVENT, namespace=namespace, data=[event, data], binary=False
        ).encode()
        if self.relay is not None:  # one machine's phones process: its rooms too
            self.relay(namespace, room, encoded)
        await self.deliver(encoded, room, namespace)

    async def deliver(self, encoded: str, room: str, namespace: str) -> None:
        """Write an encoded socket.io packet to every connection of a room in this process."""
        frame = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        sockets = self.sio.eio.sockets
        for n, (_, eio_sid) in enumerate(list(self.sio.manager.get_participants(namespace, room))):
            if n and n % SEND_CHUNK == 0:
                await asyncio.sleep(0)
            socket = sockets.get(eio_sid)
            if socket is None or written(socket, frame):  # it left meanwhile, or a websocket: sent
                continue
            with contextlib.suppress(engineio.exceptions.EngineIOError):  # long-polling: its queue
                await self.sio.eio.send_packet(eio_sid, frame)

    def joined(self) -> None:
        """A connection joined (the heap is frozen after a wave of them: server/transport/heap.py)."""
        self._waves.joined()

    def presence(self) -> dict[str, Any]:
        """Who is connected, by role, and how OBS is: the controllers' devices panel."""
        counts: dict[str, int] = {}
        judges: set[str] = set()
        for (ns, _), session in self.sessions.items():
            ns = "monitor" if session.device == MONITOR and ns == "overlay" else ns
            counts[ns] = counts.get(ns, 0) + 1
            if ns == "judge":
                judges.add(session.actor.id)
        return {
            "teams": sorted(self.team_pads),
            "judges": sorted(judges),
            "overlays": counts.get("overlay", 0),
            "monitors": counts.get("monitor", 0),
            "audience": counts.get("audience", 0) + self.far_audience,
            "controllers": counts.get("control", 0),
            "obs": self.obs.status() if self.obs is not None else {"configured": False},
        }

    def presence_changed(self) -> None:
        """Tell the controllers who is connected (and how OBS is), at most every PRESENCE_EVERY seconds."""
        if self._presence_due is None:
            self._presence_due = asyncio.get_running_loop().call_later(PRESENCE_EVERY, self._send_presence)

    def _send_presence(self) -> None:
        self._presence_due = None
        self._presence_task = asyncio.get_running_loop().create_task(
            self.sio.emit(p.PRESENCE, self.presence(), to="producer", namespace="/control", ignore_queue=True)
        )


def _rooms(audience: str) -> list[tuple[str, str]]:
    """(namespace, room) pairs that see a view."""
    if audience == "public":
        return [("/overlay", "public")]
    if audience == "team":
        return [("/team", "team")]
    if audience == "producer":
        return [("/control", "producer"), ("/host", "producer")]
    if audience == "audience":
        return [("/audience", "audience")]
    return [("/judge", audience)]
