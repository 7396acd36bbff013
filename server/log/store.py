"""The append-only event log in SQLite (WAL): the truth a show's state is folded from.

One database holds several shows and the seasons they belong to (each season's own log of
events). Each accepted show command is one row (the action with its
events), on disk before anyone hears of it. Snapshots of the folded state let a long log load fast;
they are a cache, never the truth.

On disk: SQLite commits with ``synchronous=NORMAL`` (its WAL written, not yet synced) and the log itself
then syncs the WAL (``fdatasync``), which is what SQLite's ``FULL`` does at each commit. Done here, a
caller may let the sync wait (``later``) until what it shows first is out: the producer's click reaches
the overlays while the disk syncs, and the producer's ACK still comes only once it is on disk.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import msgspec

from server.core.config import ShowConfig
from server.core.events import Action
from server.core.season.events import SeasonEvent
from server.core.show import replay
from server.core.state import ShowState
from server.log import snapshot

SCHEMA_VERSION = 1
# Bump when ShowState's shape changes: older snapshots are then ignored and the log replayed.
SNAPSHOT_FORMAT = 3  # 2: ShowState.tallies; 3: each award once (server/log/snapshot.py), reachable ballots

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shows (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    config_json BLOB NOT NULL,
    config_text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS actions (
    show_id TEXT NOT NULL REFERENCES shows(id),
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (show_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tokens (
    show_id TEXT NOT NULL,
    role TEXT NOT NULL,
    subject TEXT NOT NULL,
    token TEXT NOT NULL,
    PRIMARY KEY (show_id, role, subject)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seasons (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    config_text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS season_events (
    season_id TEXT NOT NULL REFERENCES seasons(id),
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (season_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
    show_id TEXT NOT NULL REFERENCES shows(id),
    seq INTEGER NOT NULL,
    format INTEGER NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (show_id, seq)
) WITHOUT ROWID;
"""

_action_encoder = msgspec.json.Encoder()
_action_decoder = msgspec.json.Decoder(Action)
_config_decoder = msgspec.json.Decoder(ShowConfig)
_season_decoder = msgspec.json.Decoder(SeasonEvent)


class LogError(Exception):
    """The database can't be used as a show log."""


class EventLog:
    """A show database. Not thread-safe: one owner uses it."""

    def __init__(self, path: str | Path, synchronous: str = "FULL") -> None:
        """``synchronous``: FULL, every write on disk before it returns (or at ``sync``, inside ``later``);
        NORMAL or OFF, SQLite's own (for benches and tools)."""
        self.path = Path(path)
        self.own_sync = synchronous.upper() == "FULL"
        self.unsynced = False  # written since the last sync
        self._later = 0
        self._wal: int | None = None  # the WAL file, to sync it
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(f"PRAGMA synchronous={'NORMAL' if self.own_sync else synchronous}")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.executescript(_SCHEMA)
            self._check_version()
        except sqlite3.DatabaseError as exc:
            raise LogError(f"{self.path}: not a usable show database ({exc})") from None

    def _check_version(self) -> None:
        row = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None:
            self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) != SCHEMA_VERSION:
            raise LogError(f"{self.path}: database schema {row[0]}, this program reads {SCHEMA_VERSION}")

    def close(self) -> None:
        self.db.close()
        if self._wal is not None:
            os.close(self._wal)
            self._wal = None

    # -- on disk --------------------------------------------------------------------------

    @contextlib.contextmanager
    def later(self) -> Iterator[None]:
        """Writes inside reach the disk at the next ``sync``, which the caller owes before it tells anyone."""
        self._later += 1
        try:
            yield
        finally:
            self._later -= 1

    def sync(self) -> None:
        """Everything written so far on disk; raises OSError if the disk refuses."""
        if not self.unsynced:
            return
        wal = self._wal_file()
        if wal is not None:
            os.fdatasync(wal)
        self.unsynced = False

    def _wal_file(self) -> int | None:
        """The WAL's descriptor, opened again if SQLite made a new file (None: no WAL, all checkpointed)."""
        name = f"{self.path}-wal"
        try:
            inode = os.stat(name).st_ino
        except FileNotFoundError:
            return None
        if self._wal is not None and os.fstat(self._wal).st_ino != inode:
            os.close(self._wal)
            self._wal = None
        if self._wal is None:
            self._wal = os.open(name, os.O_RDONLY | os.O_CLOEXEC)
        return self._wal

    def _wrote(self) -> None:
        """After each write: on disk now, or at the caller's ``sync`` (``later``)."""
        if not self.own_sync:
            return
        self.unsynced = True
        if not self._later:
            try:
                self.sync()
            except OSError as exc:  # as SQLite's own FULL would have failed the commit
                raise sqlite3.OperationalError(f"{self.path}: could not sync to disk ({exc})") from exc

    # -- shows ----------------------------------------------------------------------------

    def add_show(self, config: ShowConfig, config_text: str, now_ms: int) -> None:
        """Register a show, or store its edited config.

        Editing a config mid-show (a typo in a question) is allowed: ``apply`` never reads the
        config, so the log still folds to the same state.
        """
        self.db.execute(
            "INSERT INTO shows VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "title=excluded.title, config_json=excluded.config_json, config_text=excluded.config_text",
            (config.id, config.contest.title, now_ms, msgspec.json.encode(config), config_text),
        )
        self._wrote()

    def shows(self) -> list[tuple[str, str, int]]:
        """(id, title, number of actions) of every show in the database."""
        return self.db.execute(
            "SELECT s.id, s.title, (SELECT count(*) FROM actions a WHERE a.show_id=s.id) "
            "FROM shows s ORDER BY created_at"
        ).fetchall()

    def config(self, show_id: str) -> ShowConfig:
        row = self.db.execute("SELECT config_json FROM shows WHERE id=?", (show_id,)).fetchone()
        if row is None:
            raise LogError(f"no show '{show_id}' in {self.path}")
        return _config_decoder.decode(row[0])

    # -- access tokens --------------------------------------------------------------------

    def tokens(self, show_id: str) -> dict[tuple[str, str], str]:
        """(role, subject) -> token, for the show's producer, judges and teams."""
        rows = self.db.execute("SELECT role, subject, token FROM tokens WHERE show_id=?", (show_id,))
        return {(role, subject): token for role, subject, token in rows}

    def save_token(self, show_id: str, role: str, subject: str, token: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?)", (show_id, role, subject, token))
        self._wrote()

    # -- actions --------------------------------------------------------------------------

    def append(self, show_id: str, action: Action) -> None:
        """Store one action durably; returns only once it is on disk (inside ``later``: at ``sync``)."""
        command = action.command
        self.db.execute(
            "INSERT INTO actions VALUES (?, ?, ?, ?, ?, ?)",
            (show_id, action.seq, command.at, str(command.by), type(command).__name__, _action_encoder.encode(action)),
        )
        self._wrote()

    def actions(self, show_id: str, after: int = 0) -> Iterator[Action]:
        rows = self.db.execute("SELECT body FROM actions WHERE show_id=? AND seq>? ORDER BY seq", (show_id, after))
        for (body,) in rows:
            yield _action_decoder.decode(body)

    def last_seq(self, show_id: str) -> int:
        row = self.db.execute("SELECT max(seq) FROM actions WHERE show_id=?", (show_id,)).fetchone()
        return row[0] or 0

    # -- seasons --------------------------------------------------------------------------

    def add_season(self, season_id: str, title: str, config_text: str, now_ms: int) -> None:
        """Register a season, or store its edited file (its events keep their meaning)."""
        self.db.execute(
            "INSERT INTO seasons VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "title=excluded.title, config_text=excluded.config_text",
            (season_id, title, now_ms, config_text),
        )
        self._wrote()

    def season_events(self, season_id: str, after: int = 0) -> Iterator[SeasonEvent]:
        rows = self.db.execute(
            "SELECT body FROM season_events WHERE season_id=? AND seq>? ORDER BY seq", (season_id, after)
        )
        for (body,) in rows:
            yield _season_decoder.decode(body)

    def append_season_event(self, season_id: str, seq: int, event: SeasonEvent) -> None:
        """Store the season's event number ``seq`` durably; ``sqlite3.IntegrityError`` if another
        process wrote that number first (reload and decide again)."""
        self.db.execute(
            "INSERT INTO season_events VALUES (?, ?, ?, ?, ?, ?)",
            (season_id, seq, event.at, event.by, type(event).__name__, _action_encoder.encode(event)),
        )
        self._wrote()

    # -- snapshots ------------------------------------------------------------------------

    def save_snapshot(self, show_id: str, state: ShowState) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?)",
            (show_id, state.seq, SNAPSHOT_FORMAT, snapshot.encode(state)),
        )
        # Keep the two newest: one to fall back on should the newest be unreadable.
        self.db.execute(
            "DELETE FROM snapshots WHERE show_id=? AND seq NOT IN "
            "(SELECT seq FROM snapshots WHERE show_id=? ORDER BY seq DESC LIMIT 2)",
            (show_id, show_id),
        )
        self._wrote()

    def load(self, show_id: str, use_snapshots: bool = True) -> ShowState:
        """Rebuild the show's state: the newest usable snapshot plus the actions after it."""
        state = ShowState()
        if use_snapshots:
            rows = self.db.execute(
                "SELECT body FROM snapshots WHERE show_id=? AND format=? ORDER BY seq DESC", (show_id, SNAPSHOT_FORMAT)
            )
            for (body,) in rows:
                try:
                    state = snapshot.decode(body)
                    break
                except msgspec.DecodeError:
                    continue
        return replay(self.actions(show_id, after=state.seq), state)
