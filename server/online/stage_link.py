"""An online stage on several processes (machines) sharing one Redis (``--redis URL``), as the live show's
audience does: one owner, the stage's only writer, with its SQLite log; any number of edges, each a whole
HTTP server for the pages and the API.

- The owner publishes every event once it is on disk to a Redis stream, the whole log first when it
  starts; each edge keeps its own copy of the book from that stream, and answers reads from it.
- An edge hands each change (a registration, an answer, a code to send or check) to the owner through a
  Redis list and answers once the owner has it on disk and its own book has caught up with it: an
  entrant reads what they just saved, whichever process answers next.
- The owner also keeps the stage's signing key and tokens in Redis, so a session opened on one process
  is good on every other.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from server.core.errors import ShowError
from server.log.store import LogError
from server.online.owner import Book, StageOwner

log = logging.getLogger(__name__)
B = TypeVar("B")
ASK_TIMEOUT = 10.0  # seconds an edge waits for the owner before it says the stage is unavailable
ANSWER_MARGIN = 0.5  # of those, the last seconds in which the owner no longer starts the edge's ask
PUBLISH_CHUNK = 1000  # events a pipeline carries when the owner publishes its whole log
POP_MOST = 256  # asks (or answers) taken from Redis at once after the first: a burst costs few round trips


class Refused(ShowError):
    """A refusal the owner made, said again by the edge that asked (the same code, key and parameters)."""

    def __init__(self, code: str, key: str, params: dict[str, Any]) -> None:
        super().__init__(key, **params)
        self.code = code


class Unavailable(ShowError):
    code = "storage"


class Keys:
    """The stage's keys in Redis."""

    def __init__(self, stage_id: str) -> None:
        base = f"showcaller:stage:{stage_id}:"
        self.events, self.asks, self.meta = base + "events", base + "asks", base + "meta"
        self.replies = base + "replies:"

    def reply(self, edge: str) -> str:
        return self.replies + edge


Op = Callable[..., Awaitable[Any]]


class OwnerLink:
    """The owner's side: every event on disk to the stream, every edge's ask answered by ``ops``."""

    def __init__(self, redis: aioredis.Redis, owner: StageOwner[Any], ops: dict[str, Op], meta: dict[str, str]) -> None:
        self.redis, self.owner, self.ops, self.meta = redis, owner, ops, meta
        self.keys = Keys(owner.stage_id)
        self._out: asyncio.Queue[list[tuple[int, bytes]]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._asks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Publish the whole log, then follow the owner's writes."""
        await self._publish_all()
        self.owner.written.append(self._written)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._publish_forever()), loop.create_task(self._answer_forever())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._written in self.owner.written:
            self.owner.written.remove(self._written)

    async def _publish_all(self) -> None:
        """The stream starts again from the whole log (at the start, and after Redis lost it); the key and
        tokens last, so an edge that finds them finds the log."""
        events = list(self.owner.log.events(self.owner.stage_id))
        await self.redis.delete(self.keys.events)
        for start in range(0, len(events), PUBLISH_CHUNK):
            chunk = events[start : start + PUBLISH_CHUNK]
            await self._publish([(start + n + 1, msgspec.json.encode(e)) for n, e in enumerate(chunk)])
        await self.redis.hset(self.keys.meta, mapping=dict(self.meta))  # type: ignore[arg-type]

    def _written(self, first: int, events: list[Any]) -> None:
        self._out.put_nowait([(first + n, msgspec.json.encode(e)) for n, e in enumerate(events)])

    async def _publish(self, entries: list[tuple[int, bytes]]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for seq, body in entries:
            pipe.xadd(self.keys.events, {"seq": seq, "body": body})
        await pipe.execute()

    async def _publish_forever(self) -> None:
        """Each batch on disk to the stream; a Redis that restarted empty (its key and tokens gone) gets
        the whole log again, checked at least every second."""
        entries: list[tuple[int, bytes]] = []
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1):
                    entries += await self._out.get()
            while not self._out.empty():
                entries += self._out.get_nowait()
            try:
                if not await self.redis.exists(self.keys.meta):
                    log.warning("Redis lost the stage's stream (restarted?): publishing the whole log again")
                    await self._publish_all()  # what was waiting is in it: it is on disk
                elif entries:
                    await self._publish(entries)
                entries = []
            except RedisError:
                log.warning("could not publish events to Redis; trying again", exc_info=True)
                await asyncio.sleep(0.5)

    async def _answer_forever(self) -> None:
        while True:
            try:
                asks = await _pop(self.redis, self.keys.asks)
            except RedisError:
                log.warning("could not read the edges' asks from Redis; trying again", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            for raw in asks:
                task = asyncio.get_running_loop().create_task(self._answer(raw))
                self._asks.add(task)
                task.add_done_callback(self._asks.discard)

    async def _answer(self, raw: bytes) -> None:
        ask = msgspec.json.decode(raw)
        if time.time() > ask["deadline"]:
            return  # the edge has told its client that nothing was done (the owner was away): nothing is
        try:
            op = self.ops.get(ask["op"])
            if op is None:
                raise Refused("bad_request", "wire.event_failed", {})
            result = await op(*ask["args"])
            answer = {"id": ask["id"], "ok": True, "result": result, "seq": self.owner.on_disk}
        except ShowError as exc:
            answer = {"id": ask["id"], "ok": False, "code": exc.code, "key": exc.key, "params": exc.params}
        except Exception:  # an edge gets an answer whatever happens
            log.exception("an edge's %s failed", ask.get("op"))
            answer = {"id": ask["id"], "ok": False, "code": "internal", "key": "wire.event_failed", "params": {}}
        with contextlib.suppress(RedisError):
            pipe = self.redis.pipeline(transaction=False)
            pipe.rpush(self.keys.reply(ask["edge"]), msgspec.json.encode(answer))
            pipe.expire(self.keys.reply(ask["edge"]), 60)
            await pipe.execute()


class EdgeService(Generic[B]):
    """What an edge's stage service is (``EdgeQuizService``, ``EdgeInitiativesService``): the stage's
    file, the owner's book as this edge holds it, and its asks."""

    def __init__(self, config: Any, link: EdgeLink, clock: Callable[[], int]) -> None:
        self.config, self.link, self.clock = config, link, clock

    @property
    def book(self) -> B:
        return self.link.book  # type: ignore[return-value]

    @property
    def on_disk(self) -> int:
        """The last event this edge's copy holds."""
        return self.link.seq


class EdgeLink:
    """An edge's side: its copy of the book, kept from the owner's stream, and its asks to the owner."""

    def __init__(self, redis: aioredis.Redis, stage_id: str, new_book: Callable[[], Book], events: Any) -> None:
        self.redis, self.keys = redis, Keys(stage_id)
        self.new_book = new_book
        self.decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(events)
        self.book = new_book()
        self.seq = 0  # the last event in this copy
        self.edge = f"{os.getpid()}-{os.urandom(4).hex()}"
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._caught_up = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._last_id = "0"

    async def start(self, file: str) -> dict[str, str]:
        """Wait for the owner's key and tokens, read the stream, and follow it; the stage's meta. ``file``:
        the digest of this edge's stage file, which must be the owner's (``LogError`` if not)."""
        while not (raw := await self.redis.hgetall(self.keys.meta)):
            await asyncio.sleep(0.1)
        meta = {_text(k): _text(v) for k, v in raw.items()}
        if meta.get("file") != file:
            raise LogError("this edge's stage file is not the owner's: give both the same file")
        await self._read(block=None)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._follow_forever()), loop.create_task(self._replies_forever())]
        return meta

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _read(self, block: int | None) -> None:
        while True:
            got: Any = await self.redis.xread({self.keys.events: self._last_id}, count=PUBLISH_CHUNK, block=block)
            entries = got[0][1] if got else []
            for entry_id, fields in entries:
                if not self._take(int(fields[b"seq"]), fields[b"body"]):
                    await asyncio.sleep(0.2)  # the owner is publishing the whole log again: read it from the top
                    return
                self._last_id = entry_id
            self._caught_up.set()
            self._caught_up.clear()
            if block is not None or len(entries) < PUBLISH_CHUNK:
                return

    def _take(self, seq: int, body: bytes) -> bool:
        """Apply the event ``seq`` (or skip one already held); False on a gap: the copy starts over."""
        if seq == 1 and self.seq:  # the owner published its log again (it restarted): start over from it
            self.book, self.seq = self.new_book(), 0
        if seq <= self.seq:
            return True
        if seq != self.seq + 1:
            log.warning("the stage's stream skipped from %s to %s; reading it again", self.seq, seq)
            self.book, self.seq, self._last_id = self.new_book(), 0, "0"
            return False
        self.book.replay([self.decoder.decode(body)])
        self.seq = seq
        return True

    async def _follow_forever(self) -> None:
        while True:
            try:
                await self._read(block=1000)
            except RedisError:
                log.warning("could not read the stage's stream from Redis; trying again", exc_info=True)
                await asyncio.sleep(0.5)
            except Exception:  # an event this copy cannot take: read the stream again from the top
                log.exception("could not follow the stage's stream; reading it again")
                self.book, self.seq, self._last_id = self.new_book(), 0, "0"
                await asyncio.sleep(1)

    async def _replies_forever(self) -> None:
        while True:
            try:
                answers = await _pop(self.redis, self.keys.reply(self.edge))
            except RedisError:
                await asyncio.sleep(0.5)
                continue
            for raw in answers:
                answer = msgspec.json.decode(raw)
                waiting = self._waiting.pop(answer["id"], None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(answer)

    async def ask(self, op: str, *args: Any) -> Any:
        """Have the owner do ``op``; its result once this copy of the book holds it (a refusal: raised)."""
        ask_id = next(self._ids)
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[ask_id] = answer
        try:
            async with asyncio.timeout(ASK_TIMEOUT):
                deadline = time.time() + ASK_TIMEOUT - ANSWER_MARGIN  # machines' clocks agree well within it
                body = {"id": ask_id, "edge": self.edge, "op": op, "args": args, "deadline": deadline}
                await self.redis.rpush(self.keys.asks, msgspec.json.encode(body))
                reply = await answer
                if not reply["ok"]:
                    raise Refused(reply["code"], reply["key"], reply["params"])
                while self.seq < reply["seq"]:
                    await self._caught_up.wait()
        except (TimeoutError, RedisError):
            raise Unavailable("quiz.owner_unavailable") from None
        finally:
            self._waiting.pop(ask_id, None)
        return reply["result"]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def _pop(redis: aioredis.Redis, key: str) -> list[bytes]:
    """What a list holds, waiting up to a second for its first item; then up to ``POP_MOST`` more at once."""
    first: Any = await redis.blpop([key], timeout=1)
    if first is None:
        return []
    more: Any = await redis.lpop(key, POP_MOST)
    return [first[1], *(more or ())]
