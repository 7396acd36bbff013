"""Several server processes behind a load balancer, sharing one Redis (``--redis URL``).

Exactly one process, the owner (``--owner``), holds the show: its log, its state, the producer's,
judges' and teams' connections. The others, edges, serve the audience's phones and overlays. They
share emits through python-socketio's Redis manager (a patch the owner sends to the "audience" room
reaches every phone on every process), snapshots through Redis keys the owner writes after every
change, and votes through Redis: whichever process a phone is on queues its vote there, the owner
drains the queue into its log every few milliseconds and sends each process its phones' answers back
(a list per process). So a phone hears "ok" only for a vote the owner's log holds, and "already
voted" or its ballot (``mine``) from the owner's state, whether Redis restarted empty or not.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import secrets
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from server.core import commands as c
from server.core.config import ShowConfig
from server.core.errors import ShowError
from server.core.votes import NOT_OPEN, choice, unknown_option
from server.show.ballot_box import count
from server.transport import protocol as p
from server.transport.ballots import ack_of
from server.transport.identity import Phones

log = logging.getLogger(__name__)

EDGE_AUDIENCES = ("public", "audience")  # the views edges serve (overlays, phones)
DRAIN_EVERY = 0.01  # seconds between the owner's looks at an empty vote queue (each vote's ACK waits for it)
DRAIN_MOST = 5000
LOOK_EVERY = 0.5  # seconds between the owner's checks that Redis still holds what it wrote
PIPELINE_EVERY = 0.005  # seconds a vote waits to share a round trip to Redis
ANSWER_WITHIN = 4.0  # seconds a phone waits for the owner's answer (the page gives up after 5)
ANSWERS_KEPT = 60  # seconds an answer list outlives its process

# One vote: refused while the owner runs a command (the gate names no poll or another); else queued
# for the owner, who alone decides (one per phone per poll) and answers.
_VOTE = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
redis.call('RPUSH', KEYS[1], ARGV[2])
return 1
"""


class Ask(msgspec.Struct, frozen=True):
    """What a process asks the owner through the queue: count a vote, or tell a phone's ballot; the
    answer goes to the asking process's list (``to``) under the number ``n``."""

    to: str
    n: int
    vote: c.Vote | None = None
    mine: str | None = None


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
        self.phones = f"{self.prefix}:phones-key"  # the secret phones' identities are signed with

    def view(self, audience: str) -> str:
        return f"{self.prefix}:view:{audience}"

    def answers(self, process: str) -> str:
        return f"{self.prefix}:answers:{process}"  # list of [[n, ACK], ...] batches for one process


class RedisBallots:
    """Votes queued in Redis by any process, answered by the owner from its log (one per phone per poll
    across all of them). ``local``: the owner's own service, which tells ``mine`` without a round trip."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        clock: Callable[[], int],
        poll: Callable[[], dict | None],
        phones: Phones,
        local: Any = None,
    ) -> None:
        self.redis, self.keys, self.clock, self.poll = redis, keys, clock, poll
        self.phones, self.local = phones, local
        self._vote = redis.register_script(_VOTE)
        self.outage = Outage("cluster votes")
        self._waiting: list[tuple[list[str], list[str], asyncio.Future]] = []
        self._due: asyncio.TimerHandle | None = None
        self.process = secrets.token_hex(8)
        self._numbers = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._listener: asyncio.Task | None = None

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        await finish(self._listener)

    async def _listen(self) -> None:
        """The owner's answers for this process's phones (an outage logged once, with the votes')."""
        outage = self.outage
        key = self.keys.answers(self.process)
        while True:
            try:
                popped = await self.redis.blpop([key], timeout=1)
                outage.ok()
            except asyncio.CancelledError:
                raise
            except RedisError as exc:
                outage.failed(exc)
                await asyncio.sleep(0.5)
                continue
            if popped is None:
                continue
            for n, ack in json.loads(popped[1]):
                answer = self._pending.pop(n, None)
                if answer is not None and not answer.done():
                    answer.set_result(ack)

    async def _ask(self, ask: Ask, answer: asyncio.Future[dict[str, Any]]) -> dict[str, Any]:
        """Wait for the owner's answer to what was just queued (a vote counted or refused, a ballot)."""
        try:
            return await asyncio.wait_for(answer, ANSWER_WITHIN)
        except TimeoutError:
            # Not "ok": the owner may still count it, and then `mine` says so; never the other way round.
            return p.error("unavailable", "wire.votes_unavailable")
        finally:
            self._pending.pop(ask.n, None)

    def _new_ask(self, **fields: Any) -> tuple[Ask, asyncio.Future[dict[str, Any]]]:
        """What to queue, and the future its answer resolves (waiting before it is queued: answers are quick)."""
        ask = Ask(self.process, next(self._numbers), **fields)
        answer = self._pending[ask.n] = asyncio.get_running_loop().create_future()
        return ask, answer

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
        if (refusal := screen(poll, vote)) is not None:
            return refusal
        assert poll is not None  # screen refuses a vote without one
        ask, answer = self._new_ask(vote=vote)
        try:
            taken = await self._take([self.keys.votes, self.keys.gate], [poll["id"], _encode(ask)])
        except RedisError as exc:
            self._pending.pop(ask.n, None)
            self.outage.failed(exc)
            return p.error("unavailable", "wire.votes_unavailable")
        self.outage.ok()
        if taken == -1:
            self._pending.pop(ask.n, None)
            return p.error("busy", "wire.votes_busy")
        return await self._ask(ask, answer)

    async def ballot_of(self, device: str) -> dict[str, Any]:
        if self.local is not None:
            return self.local.ballot_of(device)
        ask, waiting = self._new_ask(mine=device)
        try:
            await self.redis.rpush(self.keys.votes, _encode(ask))
        except RedisError as exc:
            self._pending.pop(ask.n, None)
            self.outage.failed(exc)
            raise p.ProtocolError("unavailable", "wire.votes_unavailable") from None
        answer = await self._ask(ask, waiting)
        if not answer.get("ok"):
            raise p.ProtocolError("unavailable", "wire.votes_unavailable")
        return {k: v for k, v in answer.items() if k != "ok"}


def screen(poll: dict | None, vote: c.Vote) -> dict[str, Any] | None:
    """The refusal of a vote that can't count in the poll the audience sees (none open, no such option),
    told by a process that is not the owner without asking it; None if only the owner can tell."""
    if poll is None or not poll.get("open"):
        return p.error("rule", NOT_OPEN.key)
    options = poll.get("options") or {}
    if choice(vote.option, options) not in options:  # the core's rule (server/core/votes.py); the owner screens again
        reason = unknown_option(vote.option, options)
        return p.error("rule", reason.key, **reason.params)
    return None


async def finish(task: asyncio.Task | None) -> None:
    """Cancel one of the loops below and wait until it has ended. Not one cancel: redis-py can take a
    cancel that meets its own timeout for a Redis error, which a loop rides out as an outage, and a
    server stopping would wait for that loop forever."""
    while task is not None and not task.done():
        task.cancel()
        await asyncio.wait([task], timeout=0.1)
    if task is not None and not task.cancelled() and task.exception() is not None:
        log.warning("cluster: a loop ended with %r", task.exception())


def _encode(ask: Ask) -> str:
    return msgspec.json.encode(ask).decode()


class Owner:
    """The owner's side: snapshots out to Redis after every change, queued votes into the log."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, service, phones_secret: bytes) -> None:
        self.redis, self.keys, self.service, self.phones_secret = redis, keys, service, phones_secret
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
        joins an edge meanwhile gets the older snapshot and then the patch, or the newer and a resync.
        The desk's patches (the producer's, the judges', a batch of their own) change no edge's view."""
        if self.outage.since is not None:
            return
        if updates and not any(update.audience in EDGE_AUDIENCES for update in updates):
            return
        try:
            await self._write()
        except RedisError as exc:
            self.outage.failed(exc)

    async def stop(self) -> None:
        await finish(self._task)
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
        poll = self.service.view("audience")[1].get("poll")
        return poll["id"] if poll and poll.get("open") else ""

    async def _run(self) -> None:
        looked = time.monotonic()
        while True:
            try:
                async with self._lock:  # never between a command's drain and the command
                    drained = await self.drain()
                    # A restarted Redis is empty (seen as an outage, or, restarted between two looks,
                    # as the phones' secret gone): snapshots, the secret and the gate again.
                    restarted = False
                    if time.monotonic() - looked > LOOK_EVERY:
                        looked = time.monotonic()
                        restarted = not await self.redis.exists(self.keys.phones)
                    if self.outage.since is not None or restarted:
                        await self._write()
                        await self.redis.set(self.keys.gate, self._open_poll())
                        self.outage.ok()
                # Votes waiting for their ACK: look again at once (a yield, so commands get the lock).
                await asyncio.sleep(0 if drained else DRAIN_EVERY)
            except asyncio.CancelledError:
                raise
            except RedisError as exc:  # keep trying; nothing is lost while the votes wait in Redis
                self.outage.failed(exc)
                await asyncio.sleep(1)
            except Exception:
                log.exception("cluster: the owner's round failed; retrying")
                await asyncio.sleep(1)

    async def drain(self) -> int:
        """Commit the votes queued in Redis (one command per batch) and answer every asking process;
        how many items it took."""
        raw = await self.redis.lpop(self.keys.votes, DRAIN_MOST)
        if not raw:
            return 0
        asks: list[Ask] = []
        for item in raw:
            try:
                asks.append(msgspec.json.decode(item, type=Ask))
            except msgspec.DecodeError:
                log.warning("cluster: a queued item that is not a vote was dropped: %.80r", item)
        votes = [ask for ask in asks if ask.vote is not None]
        answers: dict[str, list] = defaultdict(list)
        counted = count(self.service, [ask.vote for ask in votes if ask.vote is not None]) if votes else []
        for ask, answer in zip(votes, counted, strict=True):
            answers[ask.to].append([ask.n, ack_of(answer)])
        for ask in asks:  # after this batch's votes: a ballot asked for just after voting shows it
            if ask.mine is not None:
                answers[ask.to].append([ask.n, p.ok(**self.service.ballot_of(ask.mine))])
        pipe = self.redis.pipeline(transaction=False)
        for process, batch in answers.items():
            pipe.rpush(self.keys.answers(process), json.dumps(batch, ensure_ascii=False))
            pipe.expire(self.keys.answers(process), ANSWERS_KEPT)
        try:
            await pipe.execute()
        except RedisError:  # counted in the log all the same: the phones' `mine` will tell them
            log.warning("cluster: %d answers lost with Redis; the votes are in the log", len(asks))
            raise
        return len(raw)

    async def _write(self) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(self.keys.phones, self.phones_secret)  # again after a Redis that restarted empty
        for audience in EDGE_AUDIENCES:
            pipe.set(self.keys.view(audience), json.dumps(self.service.snapshot(audience), ensure_ascii=False))
        pipe.publish(self.keys.changed, "1")
        await pipe.execute()


class OwnersViews:
    """A stand-in for the show service in a process that is not the owner: the owner's latest snapshots."""

    def __init__(self, config: ShowConfig, clock: Callable[[], int]) -> None:
        self.config, self.clock = config, clock
        self.views: dict[str, dict[str, Any]] = {}

    def snapshot(self, audience: str) -> dict[str, Any]:
        snap = self.views.get(audience)
        if snap is None:
            raise ShowError("wire.owner_not_started")
        return {**snap, "server_time": self.clock()}

    def poll(self) -> dict | None:
        return (self.views.get("audience") or {}).get("view", {}).get("poll")


class EdgeShow(OwnersViews):
    """An edge's stand-in for the show service: the owner's latest snapshots, kept fresh from Redis."""

    def __init__(self, config: ShowConfig, redis: aioredis.Redis, keys: Keys, clock: Callable[[], int]) -> None:
        super().__init__(config, clock)
        self.redis, self.keys = redis, keys
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self.pubsub = self.redis.pubsub()
        await self.pubsub.subscribe(self.keys.changed)
        await self.refresh()
        self._task = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        await finish(self._task)
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
