"""The online quiz's one owner: it stamps every event with the server's time, runs it through the book
(``server.core.quiz.book``), and answers once it is on disk. Events arriving while a batch is being
written wait for the next one (one commit for all of them), so thousands of entrants saving answers
cost a few commits a second. It also ends every attempt at its deadline, whether or not the entrant's
page is still open."""

from __future__ import annotations

import asyncio
import heapq
import logging
import secrets
from collections.abc import Callable
from decimal import Decimal

from server.core.quiz.attempt import Attempt, QuizError
from server.core.quiz.book import (
    Answered,
    Entrant,
    EssayWritten,
    Event,
    Finished,
    Marked,
    QuizBook,
    Registered,
    Started,
)
from server.core.quiz.config import QuizConfig
from server.log.quiz_log import QuizLog
from server.log.store import LogError
from server.show.service import StorageError, now_ms

log = logging.getLogger(__name__)
RETRY_MS = 1000  # after the disk refused to end an attempt, try again this much later
CHECKPOINT_EVERY = 1.0  # seconds between two copies of the WAL into the database, while answers come in


class QuizService:
    """The quiz stage's state owner; every change goes through ``record``."""

    def __init__(self, config: QuizConfig, quiz_log: QuizLog, clock: Callable[[], int] = now_ms) -> None:
        self.config = config
        self.log = quiz_log
        self.clock = clock
        self.book = self._replay()
        self.on_disk = quiz_log.last_seq(config.id)  # the last seq written
        self.changed = asyncio.Event()  # set at every change on disk, for the pages that wait for one
        self._waiting: list[tuple[Event, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._deadlines: list[tuple[int, str]] = [(t.deadline, e) for e, t in self.book.attempts.items() if t.open]
        heapq.heapify(self._deadlines)
        self._timer: asyncio.TimerHandle | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self._checkpoints: asyncio.Task[None] | None = None

    def _replay(self) -> QuizBook:
        book = QuizBook(self.config)
        events = list(self.log.events(self.config.id))
        try:
            book.replay(events)
        except QuizError as exc:
            seq = book.version + 1
            raise LogError(f"{self.log.path}: event {seq} no longer fits this quiz file: {exc.message}") from None
        return book

    # -- what entrants and judges do ------------------------------------------------------------

    async def register(self, name: str, unit: str, contact: str) -> Entrant:
        entrant = f"e{len(self.book.entrants) + 1:05d}"
        await self.record(Registered(at=self.clock(), entrant=entrant, name=name, unit=unit, contact=contact))
        return self.book.entrants[entrant]

    async def begin(self, entrant: str) -> Attempt:
        """Start ``entrant``'s attempt now: their paper drawn, its deadline set."""
        await self.record(Started(at=self.clock(), entrant=entrant, seed=secrets.randbits(32)))
        attempt = self.book.attempts[entrant]
        heapq.heappush(self._deadlines, (attempt.deadline, entrant))
        self._arm()
        return attempt

    async def answer(self, entrant: str, item: int, shown: int | None) -> None:
        await self.record(Answered(at=self.clock(), entrant=entrant, item=item, shown=shown))

    async def write_essay(self, entrant: str, text: str) -> None:
        await self.record(EssayWritten(at=self.clock(), entrant=entrant, text=text))

    async def finish(self, entrant: str) -> Attempt:
        await self.record(Finished(at=self.clock(), entrant=entrant))
        return self.book.attempts[entrant]

    async def mark(self, judge: str, entrant: str, marks: dict[str, Decimal]) -> None:
        await self.record(Marked(at=self.clock(), entrant=entrant, judge=judge, marks=marks))

    async def record(self, event: Event) -> None:
        """Run ``event`` (``QuizError``: refused, nothing changed) and return once it is on disk
        (``StorageError``: the disk refused; the book is as the log says, without it)."""
        self.book.run(event)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((event, done))
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write())
        await asyncio.shield(done)  # an entrant who leaves does not take their event out of the batch

    async def _write(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    await asyncio.to_thread(self.log.append, self.config.id, self.on_disk + 1, [e for e, _ in batch])
                except Exception as exc:
                    log.exception("could not write the quiz's log")
                    failed, self._waiting = batch + self._waiting, []
                    self.book = self._replay()  # as the log says: nothing of what failed happened
                    for _, done in failed:
                        if not done.done():
                            done.set_exception(StorageError("store.write_refused", exc=exc))
                    continue
                self.on_disk += len(batch)
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
                self.changed.set()
                self.changed.clear()
        finally:
            self._writer = None

    # -- the clock ----------------------------------------------------------------------------------

    def start(self) -> None:
        """End the attempts whose time ran out while the server was down, and every other one at its
        deadline; keep the database's WAL short (``QuizLog.checkpoint``)."""
        self._arm()
        self._checkpoints = asyncio.get_running_loop().create_task(self._checkpoint_forever())

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._checkpoints is not None:
            self._checkpoints.cancel()
            self._checkpoints = None

    async def _checkpoint_forever(self) -> None:
        done = self.on_disk
        while True:
            await asyncio.sleep(CHECKPOINT_EVERY)
            if self.on_disk != done:
                done = self.on_disk
                try:
                    await asyncio.to_thread(self.log.checkpoint)
                except Exception:  # the next one tries again; the log itself is whole
                    log.exception("could not checkpoint the quiz's log")

    async def drain(self) -> None:
        """Wait until every event recorded so far is on disk (or refused)."""
        while self._writer is not None:
            await asyncio.shield(self._writer)

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if not self._deadlines:
            self._timer = None
            return
        delay = max(0.0, (self._deadlines[0][0] - self.clock()) / 1000)
        self._timer = asyncio.get_running_loop().call_later(delay, self._expire)

    def _expire(self) -> None:
        self._timer = None
        now = self.clock()
        while self._deadlines and self._deadlines[0][0] <= now:
            _, entrant = heapq.heappop(self._deadlines)
            attempt = self.book.attempts.get(entrant)  # None: its start was refused by the disk
            if attempt is not None and attempt.open:
                task = asyncio.get_running_loop().create_task(self._time_up(entrant, now))
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)
        self._arm()

    async def _time_up(self, entrant: str, now: int) -> None:
        try:
            await self.record(Finished(at=now, entrant=entrant))
        except QuizError:
            pass  # handed in meanwhile
        except StorageError:
            heapq.heappush(self._deadlines, (now + RETRY_MS, entrant))  # the clock tries again
            self._arm()
