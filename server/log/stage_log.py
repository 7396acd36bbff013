"""The online stages' log in SQLite (WAL): each stage's events (the quiz's, the initiatives'), append-only,
the truth its book is folded from. A batch of events is one transaction, on disk (SQLite's
``synchronous=FULL``) before anyone hears of it: thousands of entrants' answers cost a commit a batch,
not one each. One database may hold several stages, each by its id."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import msgspec

from server.log.store import LogError

E = TypeVar("E")

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stage_events (
    stage_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (stage_id, seq)
) WITHOUT ROWID;
"""

_encoder = msgspec.json.Encoder()


class StageLog(Generic[E]):
    """A stage database, read as ``events`` (a union of tagged structs). Not thread-safe: one thread at a
    time writes (its owner's writer); ``checkpoint`` has a connection of its own."""

    def __init__(self, path: str | Path, events: Any) -> None:
        self.path = Path(path)
        self._decoder: msgspec.json.Decoder[E] = msgspec.json.Decoder(events)
        self._checkpointer: sqlite3.Connection | None = None
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            # The writer never checkpoints (its commits would wait behind the copy); ``checkpoint`` does, from
            # a connection of its own, beside the writes.
            self.db.execute("PRAGMA wal_autocheckpoint=0")
            self.db.executescript(_SCHEMA)
            row = self.db.execute("SELECT value FROM meta WHERE key='stage_schema'").fetchone()
            if row is None:
                self.db.execute("INSERT INTO meta VALUES ('stage_schema', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) != SCHEMA_VERSION:
                raise LogError(f"{self.path}: stage schema {row[0]}, this program reads {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise LogError(f"{self.path}: not a usable stage database ({exc})") from None

    def close(self) -> None:
        self.db.close()
        if self._checkpointer is not None:
            self._checkpointer.close()

    def checkpoint(self) -> None:
        """Copy what the WAL holds into the database, without holding up the writer (SQLite's PASSIVE
        checkpoint: the pages a commit is writing meanwhile wait for the next one)."""
        if self._checkpointer is None:
            self._checkpointer = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._checkpointer.execute("PRAGMA synchronous=FULL")
        self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def append(self, stage_id: str, first_seq: int, events: Sequence[E]) -> None:
        """Store ``events`` as seq ``first_seq`` onwards, in one transaction; returns once they are on disk."""
        rows = [
            (stage_id, first_seq + n, e.at, type(e).__name__, _encoder.encode(e))  # type: ignore[attr-defined]
            for n, e in enumerate(events)
        ]
        self.db.execute("BEGIN")
        try:
            self.db.executemany("INSERT INTO stage_events VALUES (?, ?, ?, ?, ?)", rows)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def events(self, stage_id: str) -> Iterator[E]:
        """Every event of a stage, in order."""
        query = "SELECT body FROM stage_events WHERE stage_id=? ORDER BY seq"
        for (body,) in self.db.execute(query, (stage_id,)):
            yield self._decoder.decode(body)

    def last_seq(self, stage_id: str) -> int:
        row = self.db.execute("SELECT MAX(seq) FROM stage_events WHERE stage_id=?", (stage_id,)).fetchone()
        return row[0] or 0

    def secret(self) -> bytes:
        """This database's key for signing entrants' sessions (made on first use, kept with the log)."""
        row = self.db.execute("SELECT value FROM meta WHERE key='session_secret'").fetchone()
        if row is None:
            value = secrets.token_hex(32)
            self.db.execute("INSERT INTO meta VALUES ('session_secret', ?)", (value,))
            return bytes.fromhex(value)
        return bytes.fromhex(row[0])

    def tokens(self, stage_id: str, holders: Sequence[str]) -> dict[str, str]:
        """A stage's token -> holder (``organizer``, ``judge:<id>``), each made on first use and kept."""
        out = {}
        for holder in holders:
            key = f"token:{stage_id}:{holder}"
            row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
            token = row[0] if row else secrets.token_urlsafe(18)
            if row is None:
                self.db.execute("INSERT INTO meta VALUES (?, ?)", (key, token))
            out[token] = holder
        return out
