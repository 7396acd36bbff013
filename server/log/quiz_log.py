"""An online quiz stage's log in SQLite (WAL): its events, append-only, the truth its book is folded
from. A batch of events is one transaction, on disk (SQLite's ``synchronous=FULL``) before anyone
hears of it: thousands of entrants' answers cost a commit a batch, not one each."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import msgspec

from server.core.quiz.book import Event
from server.log.store import LogError

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS quiz_events (
    quiz_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (quiz_id, seq)
) WITHOUT ROWID;
"""

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Event)


class QuizLog:
    """A quiz database. Not thread-safe: one thread at a time uses it (its owner's writer)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._checkpointer: sqlite3.Connection | None = None
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            # The writer never checkpoints (its commits would wait behind the copy); ``checkpoint`` does, from
            # a connection of its own, beside the writes.
            self.db.execute("PRAGMA wal_autocheckpoint=0")
            self.db.executescript(_SCHEMA)
            row = self.db.execute("SELECT value FROM meta WHERE key='quiz_schema'").fetchone()
            if row is None:
                self.db.execute("INSERT INTO meta VALUES ('quiz_schema', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) != SCHEMA_VERSION:
                raise LogError(f"{self.path}: quiz schema {row[0]}, this program reads {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise LogError(f"{self.path}: not a usable quiz database ({exc})") from None

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

    def append(self, quiz_id: str, first_seq: int, events: Sequence[Event]) -> None:
        """Store ``events`` as seq ``first_seq`` onwards, in one transaction; returns once they are on disk."""
        rows = [(quiz_id, first_seq + n, e.at, type(e).__name__, _encoder.encode(e)) for n, e in enumerate(events)]
        self.db.execute("BEGIN")
        try:
            self.db.executemany("INSERT INTO quiz_events VALUES (?, ?, ?, ?, ?)", rows)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def events(self, quiz_id: str) -> Iterator[Event]:
        """Every event of a quiz, in order."""
        for (body,) in self.db.execute("SELECT body FROM quiz_events WHERE quiz_id=? ORDER BY seq", (quiz_id,)):
            yield _decoder.decode(body)

    def last_seq(self, quiz_id: str) -> int:
        row = self.db.execute("SELECT MAX(seq) FROM quiz_events WHERE quiz_id=?", (quiz_id,)).fetchone()
        return row[0] or 0

    def secret(self) -> bytes:
        """This database's key for signing entrants' sessions (made on first use, kept with the log)."""
        row = self.db.execute("SELECT value FROM meta WHERE key='session_secret'").fetchone()
        if row is None:
            value = secrets.token_hex(32)
            self.db.execute("INSERT INTO meta VALUES ('session_secret', ?)", (value,))
            return bytes.fromhex(value)
        return bytes.fromhex(row[0])

    def tokens(self, holders: Sequence[str]) -> dict[str, str]:
        """Token -> holder (``organizer``, ``judge:<id>``), each made on first use and kept with the log."""
        out = {}
        for holder in holders:
            key = f"token:{holder}"
            row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
            token = row[0] if row else secrets.token_urlsafe(18)
            if row is None:
                self.db.execute("INSERT INTO meta VALUES (?, ?)", (key, token))
            out[token] = holder
        return out
