"""Several server processes behind a load balancer, sharing one Redis (``--redis URL``).

Exactly one process, the owner (``--owner``), holds the show: its log, its state, the producer's,
judges' and teams' connections. The others, edges, serve the audience's phones and overlays. They
share emits through python-socketio's Redis manager (a patch the owner sends to the "audience" room
reaches every phone on every process), snapshots through Redis keys the owner writes after every
change, and votes through Redis: each vote is taken atomically there (one per device per poll, a
tally per option) by whichever process the phone is on, and the owner drains them into its log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from server.core import commands as c
from server.core.config import ShowConfig
from server.core.errors import ShowError
from server.core.votes import ALREADY_VOTED, NOT_OPEN, choice, unknown_option
from server.transport import protocol as p

log = logging.getLogger(__name__)

EDGE_AUDIENCES = ("public", "audience")  # the views edges serve (overlays, phones)
DRAIN_EVERY = 0.02  # seconds between the owner's looks at the vote queue
DRAIN_MOST = 5000
PIPELINE_EVERY = 0.005  # seconds a vote waits to share a round trip to Redis

# One vote, atomically: refused while the owner runs a command (the gate names no poll or another),
# or if this device already voted in this poll; else kept, counted, queued.
_VOTE = """
if redis.call('GET', KEYS[4]) ~= ARGV[4] then return -1 end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[3]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
redis.call('RPUSH', KEYS[3], ARGV[3])
return 1
"""


class Outage:
    """Logs Redis going away once, and coming back once, not once per failed call (at thousands of
    votes a second, or a retry a second, that would bury the log on air)."""

    def __init__(self, who: str) -> None:
        self.who = who
        self.since: float | None = None

    def failed(self, exc: Exception) -> None:
        if self.since is None:
            self.since = time.monotonic()
            log.warning("%s: Redis away (%s); retrying until it is back", self.who, exc)

    def ok(self) -> bool:
        """Record a success; True if it ends an outage."""
        if self.since is None:
            return False
        log.warning("%s: Redis back after %.1f s", self.who, time.monotonic() - self.since)
        self.since = None
        return True


class Keys:
    def __init__(self, show_id: str) -> None:
        self.prefix = f"showcaller:{show_id}"
        self.votes = f"{self.prefix}:votes"  # list of vote JSON, drained by the owner
        self.changed = f"{self.prefix}:changed"  # pub/sub: the owner wrote new snapshots
        self.gate = f"{self.prefix}:gate"  # the poll taking votes now; "" while the owner runs a command

    def view(self, audience: str) -> str:
        return f"{self.prefix}:view:{audience}"

    def ballots(self, poll: str) -> str:
        return f"{self.prefix}:poll:{poll}:ballots"  # device -> vote JSON

    def tally(self, poll: str) -> str:
        return f"{self.prefix}:poll:{poll}:tally"  # option -> count


class RedisBallots:
    """Votes taken in Redis by any process (the one-per-device rule holds across all of them)."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, clock: Callable[[], int], poll: Callable[[], dict | None]):
        self.redis, self.keys, self.clock, self.poll = redis, keys, clock, poll
        self._vote = redis.register_script(_VOTE)
        self.outage = Outage("cluster votes")
        self._waiting: list[tuple[list[str], list[str], asyncio.Future]] = []
        self._due: asyncio.TimerHandle | None = None

    async def _take(self, keys: list[str], args: list[str]) -> int:
        """Run the vote script, in a pipeline with the other votes of the next few milliseconds (one
        round trip to Redis for a batch, not one per vote; each vote is still atomic on its own)."""
        loop = asyncio.get_running_loop()
        answer = loop.create_future()
        self._waiting.append((keys, args, answer))
        if self._due is None:
            self._due = loop.call_later(PIPELINE_EVERY, lambda: asyncio.ensure_future(self._send()))
        return await answer

    async def _send(self) -> None:
        self._due = None
        batch, self._waiting = self._waiting, []
        pipe = self.redis.pipeline(transaction=False)
        for keys, args, _ in batch:
            await self._vote(keys=keys, args=args, client=pipe)
        try:
            results = await pipe.execute()
        except RedisError as exc:
            for _, _, answer in batch:
                answer.set_exception(exc)
            return
        for (_, _, answer), result in zip(batch, results, strict=True):
            answer.set_result(result)

    async def cast(self, vote: c.Vote) -> dict[str, Any]:
        poll = self.poll()
        if poll is None or not poll.get("open"):
            return p.error("rule", NOT_OPEN.key)
        options = poll.get("options") or {}
        option = choice(vote.option, options)
        if option not in options:  # the core's rule (server/core/votes.py); the owner screens again
            reason = unknown_option(vote.option, options)
            return p.error("rule", reason.key, **reason.params)
        body = msgspec.json.encode(msgspec.structs.replace(vote, option=option)).decode()
        key = poll["id"]
        keys = [self.keys.ballots(key), self.keys.tally(key), self.keys.votes, self.keys.gate]
        try:
            taken = await self._take(keys, [vote.device, option, body, key])
        except RedisError as exc:
            self.outage.failed(exc)
            return p.error("unavailable", "wire.votes_unavailable")
        self.outage.ok()
        if taken == -1:
            return p.error("busy", "wire.votes_busy")
        if not taken:
            return p.error("rule", ALREADY_VOTED.key)
        return p.ok(poll=key, option=option)

    async def ballot_of(self, device: str) -> dict[str, Any]:
        poll = self.poll()
        key = poll["id"] if poll else None
        raw = await self.redis.hget(self.keys.ballots(key), device) if key else None
        if raw is None:
            return {"poll": key, "vote": None}
        vote = json.loads(raw)
        return {"poll": key, "vote": {"option": vote["option"], "nickname": vote.get("nickname", ""), "at": vote["at"]}}


class Owner:
    """The owner's side: snapshots out to Redis after every change, queued votes into the log."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, service) -> None:
        self.redis, self.keys, self.service = redis, keys, service
        self._task: asyncio.Task | None = None
        self._lock = asyncio.Lock()
        # While Redis is away the owner's commands and patches don't wait for it: ``_run`` tries it
        # every second and, once it is back, writes the snapshots and the gate again.
        self.outage = Outage("cluster owner")

    async def start(self) -> None:
        await self._write()
        await self.redis.set(self.keys.gate, self._open_poll())
        self.service.gate = self.quiet
        self._task = asyncio.create_task(self._run())

    async def before_emit(self, updates: list) -> None:
        """Before patches go out: the snapshots they lead to, for the edges' new clients. A phone that
        joins an edge meanwhile gets the older snapshot and then the patch, or the newer and a resync."""
        if self.outage.since is not None:
            return
        try:
            await self._write()
        except RedisError as exc:
            self.outage.failed(exc)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:  # the last votes and the final picture, if Redis is still there
            await self.drain()
            await self._write()
        except RedisError:
            log.warning("cluster: Redis away at shutdown; queued votes stay in Redis for the next start")

    @contextlib.asynccontextmanager
    async def quiet(self) -> AsyncIterator[None]:
        """Around each command: no process takes votes, the votes taken so far go into the log first,
        and afterwards the gate names the poll open then. So a vote answered "accepted" is never
        refused later by a close it raced with. Redis away: the show goes on without the gate."""
        async with self._lock:
            gated = self.outage.since is None
            if gated:
                try:
                    await self.redis.set(self.keys.gate, "")
                    await self.drain()
                except RedisError as exc:
                    self.outage.failed(exc)
                    gated = False
            try:
                yield
            finally:
                if gated:
                    try:
                        await self.redis.set(self.keys.gate, self._open_poll())
                    except RedisError as exc:
                        self.outage.failed(exc)

    def _open_poll(self) -> str:
        poll = self.service.views["audience"][1].get("poll")
        return poll["id"] if poll and poll.get("open") else ""

    async def _run(self) -> None:
        while True:
            try:
                async with self._lock:  # never between a command's drain and the command
                    await self.drain()
                    if self.outage.since is not None:  # a restarted Redis is empty: snapshots and gate again
                        await self._write()
                        await self.redis.set(self.keys.gate, self._open_poll())
                        self.outage.ok()
                await asyncio.sleep(DRAIN_EVERY)
            except asyncio.CancelledError:
                raise
            except RedisError as exc:  # keep trying; nothing is lost while the votes wait in Redis
                self.outage.failed(exc)
                await asyncio.sleep(1)
            except Exception:
                log.exception("cluster: the owner's round failed; retrying")
                await asyncio.sleep(1)

    async def drain(self) -> None:
        """Commit the votes queued in Redis (one command per batch)."""
        raw = await self.redis.lpop(self.keys.votes, DRAIN_MOST)
        if not raw:
            return
        votes = tuple(msgspec.json.decode(item, type=c.Vote) for item in raw)
        try:
            self.service.run_votes(c.CastVotes(at=self.service.clock(), by=c.AUDIENCE, votes=votes))
        except ShowError as exc:
            log.warning("cluster: %d queued votes refused: %s", len(votes), exc.message)

    async def _write(self) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for audience in EDGE_AUDIENCES:
            pipe.set(self.keys.view(audience), json.dumps(self.service.snapshot(audience), ensure_ascii=False))
        pipe.publish(self.keys.changed, "1")
        await pipe.execute()


class EdgeShow:
    """An edge's stand-in for the show service: the owner's latest snapshots, kept fresh from Redis."""

    def __init__(self, config: ShowConfig, redis: aioredis.Redis, keys: Keys, clock: Callable[[], int]) -> None:
        self.config, self.redis, self.keys, self.clock = config, redis, keys, clock
        self.views: dict[str, dict[str, Any]] = {}
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self.pubsub = self.redis.pubsub()
        await self.pubsub.subscribe(self.keys.changed)
        await self.refresh()
        self._task = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self.pubsub.aclose()

    async def _follow(self) -> None:
        outage = Outage("edge")
        while True:
            try:
                message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if outage.ok() or message is not None:  # after an outage: what changed meanwhile
                    await self.refresh()
            except asyncio.CancelledError:
                raise
            except RedisError as exc:
                outage.failed(exc)
                await asyncio.sleep(1)
            except Exception:
                log.exception("edge: lost the owner's snapshots; retrying")
                await asyncio.sleep(1)

    async def refresh(self) -> None:
        values = await self.redis.mget([self.keys.view(a) for a in EDGE_AUDIENCES])
        for audience, raw in zip(EDGE_AUDIENCES, values, strict=True):
            if raw is not None:
                self.views[audience] = json.loads(raw)

    @property
    def revision(self) -> int:
        return (self.views.get("public") or {}).get("rev", -1)

    def snapshot(self, audience: str) -> dict[str, Any]:
        snap = self.views.get(audience)
        if snap is None:
            raise ShowError("wire.owner_not_started")
        return {**snap, "server_time": self.clock()}

    def poll(self) -> dict | None:
        return (self.views.get("audience") or {}).get("view", {}).get("poll")
