"""What every online stage's owner does: stamp each event with the server's time, run it through the
stage's book (checked, then applied; or refused and nothing changes), and answer once it is on disk.
Events arriving while a batch is being written wait for the next one: one commit for all of them, in a
thread, so thousands of entrants cost a few commits a second and the server keeps answering meanwhile."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any, Generic, Protocol, TypeVar

from server.core.errors import ShowError
from server.log.stage_log import StageLog
from server.log.store import LogError
from server.show.service import StorageError, now_ms

log = logging.getLogger(__name__)
CHECKPOINT_EVERY = 1.0  # seconds between two copies of the WAL into the database, while events come in


class Book(Protocol):
    version: int

    def run(self, event: Any) -> None: ...

    def replay(self, events: Iterable[Any]) -> None: ...


B = TypeVar("B", bound=Book)


class StageOwner(Generic[B]):
    """A stage's one owner: every change goes through ``record``."""

    def __init__(
        self, stage_id: str, stage_log: StageLog[Any], new_book: Callable[[], B], clock: Callable[[], int] = now_ms
    ) -> None:
        self.stage_id = stage_id
        self.log = stage_log
        self.clock = clock
        self._new_book = new_book
        self.book = self._replay()
        self.on_disk = stage_log.last_seq(stage_id)  # the last seq written
        self.changed = asyncio.Event()  # set at every batch on disk, for whoever waits for a change
        self.written: list[Callable[[int, list[Any]], None]] = []  # told each batch on disk: its first seq, events
        self._waiting: list[tuple[Any, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._checkpoints: asyncio.Task[None] | None = None

    def _replay(self) -> B:
        book = self._new_book()
        try:
            book.replay(self.log.events(self.stage_id))
        except ShowError as exc:
            seq = book.version + 1
            raise LogError(f"{self.log.path}: event {seq} no longer fits this stage's file: {exc.message}") from None
        return book

    async def record(self, event: Any) -> None:
        """Run ``event`` (a ``ShowError``: refused, nothing changed) and return once it is on disk
        (``StorageError``: the disk refused; the book is as the log says, without it)."""
        self.book.run(event)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((event, done))
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write())
        await asyncio.shield(done)  # a client who leaves does not take their event out of the batch

    async def _write(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    await asyncio.to_thread(self.log.append, self.stage_id, self.on_disk + 1, [e for e, _ in batch])
                except Exception as exc:
                    log.exception("could not write the log of %s", self.stage_id)
                    failed, self._waiting = batch + self._waiting, []
                    self.book = self._replay()  # as the log says: nothing of what failed happened
                    for _, done in failed:
                        if not done.done():
                            done.set_exception(StorageError("store.write_refused", exc=exc))
                    continue
                first, self.on_disk = self.on_disk + 1, self.on_disk + len(batch)
                for listener in self.written:
                    listener(first, [e for e, _ in batch])
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
                self.changed.set()
                self.changed.clear()
        finally:
            self._writer = None

    async def drain(self) -> None:
        """Wait until every event recorded so far is on disk (or refused)."""
        while self._writer is not None:
            await asyncio.shield(self._writer)

    def start(self) -> None:
        """Keep the database's WAL short (``StageLog.checkpoint``) while events come in."""
        self._checkpoints = asyncio.get_running_loop().create_task(self._checkpoint_forever())

    def stop(self) -> None:
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
                    log.exception("could not checkpoint the log of %s", self.stage_id)
