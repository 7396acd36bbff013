"""The online quiz's one owner (``server.online.owner``): entrants register, start, answer and hand in;
the judges mark. It also ends every attempt at its deadline, whether or not the entrant's page is still
open (after a restart too)."""

from __future__ import annotations

import asyncio
import heapq
import secrets
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

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
from server.log.stage_log import StageLog
from server.online.owner import StageOwner
from server.online.stage_link import EdgeService
from server.show.service import StorageError, now_ms

RETRY_MS = 1000  # after the disk refused to end an attempt, try again this much later


def quiz_log(path: str | Path) -> StageLog[Event]:
    """A stage database read as the quiz's events."""
    return StageLog(path, Event)


class QuizService(StageOwner[QuizBook]):
    """The quiz stage's state owner; every change goes through ``record``."""

    def __init__(self, config: QuizConfig, stage_log: StageLog[Any], clock: Callable[[], int] = now_ms) -> None:
        self.config = config
        super().__init__(config.id, stage_log, lambda: QuizBook(config), clock)
        self._deadlines: list[tuple[int, str]] = [(t.deadline, e) for e, t in self.book.attempts.items() if t.open]
        heapq.heapify(self._deadlines)
        self._timer: asyncio.TimerHandle | None = None
        self._closing: set[asyncio.Task[None]] = set()

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

    # -- the clock ----------------------------------------------------------------------------------

    def start(self) -> None:
        """End the attempts whose time ran out while the server was down, and every other one at its deadline."""
        super().start()
        self._arm()

    def stop(self) -> None:
        super().stop()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

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


class EdgeQuizService(EdgeService[QuizBook]):
    """The quiz as an edge of a cluster serves it (``server.online.stage_link``): its copy of the book,
    every change done by the owner. The same calls as ``QuizService``."""

    async def register(self, name: str, unit: str, contact: str) -> Entrant:
        return self.book.entrants[await self.link.ask("register", name, unit, contact)]

    async def begin(self, entrant: str) -> Attempt:
        await self.link.ask("begin", entrant)
        return self.book.attempts[entrant]

    async def answer(self, entrant: str, item: int, shown: int | None) -> None:
        await self.link.ask("answer", entrant, item, shown)

    async def write_essay(self, entrant: str, text: str) -> None:
        await self.link.ask("write_essay", entrant, text)

    async def finish(self, entrant: str) -> Attempt:
        await self.link.ask("finish", entrant)
        return self.book.attempts[entrant]

    async def mark(self, judge: str, entrant: str, marks: dict[str, Decimal]) -> None:
        await self.link.ask("mark", judge, entrant, {k: str(v) for k, v in marks.items()})


def quiz_ops(service: QuizService) -> dict[str, Callable[..., Awaitable[Any]]]:
    """What a cluster's owner does for its edges (``EdgeQuizService``), with the answers' JSON."""

    async def register(name: str, unit: str, contact: str) -> str:
        return (await service.register(name, unit, contact)).id

    async def begin(entrant: str) -> None:
        await service.begin(entrant)

    async def finish(entrant: str) -> None:
        await service.finish(entrant)

    async def mark(judge: str, entrant: str, marks: dict[str, str]) -> None:
        await service.mark(judge, entrant, {k: Decimal(v) for k, v in marks.items()})

    return {
        "register": register,
        "begin": begin,
        "answer": service.answer,
        "write_essay": service.write_essay,
        "finish": finish,
        "mark": mark,
    }
