"""The show service: the single owner of a live show's state.

It stamps each command with the server time, has the engine commit it to the log, then
works out what each kind of client must be told (a revisioned patch of its view) and hands
that to the transports. Timer expiry is scheduled here, from the state, so that it also
resumes correctly after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from msgspec import Struct

from server.core.audit import AuditEntry, record, who_words, words_of
from server.core.commands import SYSTEM, CastVotes, Command, Expire, RevealAnswer
from server.core.config import ShowConfig
from server.core.errors import ShowError
from server.core.events import Action
from server.core.possible import judges_can
from server.core.state import ShowState
from server.core.words import Words, both
from server.log.store import EventLog
from server.show.ballot_box import VoteQueue
from server.show.engine import Engine
from server.show.patch import diff
from server.show.views import audience_view, judge_view, producer_view, public_view, team_view

log = logging.getLogger(__name__)
RECENT = 200
AUDIT = 50  # actions in the producer's audit panel
SNAPSHOT_AFTER = 0.5  # seconds after a command before a snapshot that fell due is saved
TALLY_EVERY = 0.25  # seconds: votes alone change the views at most this often (a few times a second)


DESK_ONLY = ("next", "conflicts")  # season keys only the producer's view has
ON_AIR = ("public", "audience")  # the views whose patches go out first; the pads' and the desk's follow


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class StorageError(ShowError):
    code = "storage"


class Update(Struct, frozen=True):
    """A change of one audience's view: apply ``patch`` on top of revision ``base``."""

    audience: str  # producer | public | audience | judge:<id>
    rev: int
    base: int
    patch: dict[str, Any]


class ShowService:
    def __init__(self, config: ShowConfig, log_store: EventLog, clock: Callable[[], int] = now_ms) -> None:
        self.config = config
        self.engine = Engine(config, log_store)
        self.clock = clock
        self.audit: dict[int, AuditEntry] = {}
        self.audit_words: dict[int, Words] = {}  # seq -> the audit entry's line as a catalogue key
        self._lines: dict[int, tuple[AuditEntry, dict[str, Any]]] = {}  # the audit panel's, as last built
        for action in log_store.actions(config.id, after=max(0, self.engine.state.seq - RECENT)):
            self._remember(action)
        self.season: dict[str, Any] | None = None
        self._views: dict[str, tuple[int, dict[str, Any]]] = {}
        # The desk's views a publish left for later: the state, the time and the public view they are of.
        self._desk_due: tuple[ShowState, int, dict[str, Any]] | None = None
        rev, state, at = self.engine.state.seq, self.engine.state, self.clock()
        on_air = self._render_on_air(state)
        for audience, view in {**on_air, **self._render_desk(state, at, on_air["public"])}.items():
            self._views[audience] = (rev, view)
        self.listeners: list[Callable[[list[Update]], None]] = []
        self._expiry: asyncio.TimerHandle | None = None
        self.votes = VoteQueue(self)
        self.last: Action | None = None  # the last action committed by this service
        # Entered around every command by whoever submits it (transports, the timer): a cluster's
        # owner stops the other processes taking votes meanwhile (server/transport/cluster.py).
        self.gate: Callable[[], contextlib.AbstractAsyncContextManager[None]] = contextlib.nullcontext
        self._tally_due: asyncio.TimerHandle | None = None
        self._snapshot_due: asyncio.TimerHandle | None = None

    @property
    def state(self):
        return self.engine.state

    @property
    def revision(self) -> int:
        return self.engine.state.seq

    @property
    def views(self) -> dict[str, tuple[int, dict[str, Any]]]:
        """Every audience's ``(revision, view)``, the desk's brought up to date first."""
        self.flush()
        return self._views

    def view(self, audience: str) -> tuple[int, dict[str, Any]]:
        """One audience's ``(revision, view)``. An on-air one is always current: reading it does not
        build the desk's views ahead of the on-air patches."""
        if audience not in ON_AIR:
            self.flush()
        return self._views[audience]

    def snapshot(self, audience: str) -> dict[str, Any]:
        """The full view of one audience with its revision and the server time."""
        rev, view = self.view(audience)
        return {"rev": rev, "view": view, "server_time": self.clock()}

    def subscribe(self, listener: Callable[[list[Update]], None]) -> None:
        """``listener`` gets every batch of updates, in order; it must not block."""
        self.listeners.append(listener)

    def submit(self, command: Command, sync: bool = True) -> Action:
        """Run a command stamped now; raises ``ShowError`` (and nothing changes) or returns the action.

        The service supplies what the core may not invent: the time, and a seed for draws.
        ``sync=False``: the action is in the log but reaches the disk at the caller's ``sync``, which it
        owes before it answers (the on-air patches go out meanwhile).
        """
        self.votes.flush()  # votes received before this command count before it
        fields = {**_fields(command), "at": self.clock()}
        if isinstance(command, RevealAnswer) and command.seed is None:
            fields["seed"] = secrets.randbits(32)
        if sync:
            return self._run(command.__class__(**fields))
        with self.engine.log.later():
            return self._run(command.__class__(**fields))

    def sync(self) -> None:
        """Every action so far on disk (those submitted with ``sync=False`` too); raises ``StorageError``."""
        try:
            self.engine.log.sync()
        except OSError as exc:
            log.exception("could not sync the log to disk")
            raise StorageError("store.write_refused", exc=exc) from None

    def run_votes(self, command: CastVotes) -> Action:
        """A batch of audience votes (from ``VoteQueue``): committed now, shown with the next tally."""
        action = self._run(command, publish=False)
        if self._tally_due is None:
            self._tally_due = asyncio.get_running_loop().call_later(TALLY_EVERY, self._publish)
        return action

    def _run(self, command: Command, publish: bool = True) -> Action:
        try:
            action = self.engine.run(command, snapshot=False)
        except sqlite3.Error as exc:
            log.exception("could not write the log")
            raise StorageError("store.write_refused", exc=exc) from None
        # Committed: from here on nothing may turn this into an error for the sender.
        self.last = action
        try:
            if publish:
                self._publish()
        except Exception:
            log.exception("could not publish action %s; clients will resync", action.seq)
        try:  # the audit panel's line: the desk's, built after the on-air views (``flush``)
            self._remember(action)
        except Exception:
            log.exception("could not note action %s for the audit panel", action.seq)
        self._schedule_expiry()
        self._schedule_snapshot()
        return action

    def _remember(self, action: Action) -> None:
        if isinstance(action.command, CastVotes):
            return  # ballots are in the log and the tallies; the audit panel is for what people did
        record(self.audit, action)
        self.audit_words[action.seq] = words_of(action)
        while len(self.audit) > RECENT:
            del self.audit[next(iter(self.audit))]
        while len(self.audit_words) > RECENT:
            del self.audit_words[next(iter(self.audit_words))]

    def ballot_of(self, device: str) -> dict[str, Any]:
        """A phone's vote in the poll the audience sees now (after a reconnect the phone shows it again)."""
        poll = (self.view("audience")[1].get("poll") or {}).get("id")
        ballot = self.state.ballots.get(poll, {}).get(device) if poll else None
        vote = None if ballot is None else {"option": ballot.option, "nickname": ballot.nickname, "at": ballot.at}
        return {"poll": poll, "vote": vote}

    def set_season(self, season: dict[str, Any] | None) -> None:
        """The season's standings and bracket (``docs/protocol.md``) for the overlays and the controller."""
        self.season = season
        self._publish()

    # -- views ----------------------------------------------------------------------------

    def _render_on_air(self, state: ShowState) -> dict[str, dict[str, Any]]:
        """The overlays' and the phones' views."""
        public = public_view(self.config, state)
        # What comes next and what contradicts the rules is for the desk, not for the screen.
        public["season"] = self.season and {k: v for k, v in self.season.items() if k not in DESK_ONLY}
        return {"public": public, "audience": audience_view(self.config, state)}

    def _render_desk(self, state: ShowState, at: int, public: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The team pads', the producer's and the judges' views (what each role ``can`` do, asked as of ``at``),
        of the same state and time as the on-air ``public``."""
        config = self.config
        producer = producer_view(config, state, at, season=self.season is not None)
        producer["season"] = self.season
        producer["audit"] = self._audit_lines()
        views = {"team": team_view(config, state, public, at), "producer": producer}
        for judge, can in judges_can(config, state, at).items():
            views[f"judge:{judge}"] = judge_view(config, state, judge, public, at, can)
        return views

    def _audit_lines(self) -> dict[str, dict[str, Any]]:
        """The producer's audit panel. A line is built once and again only when its entry changes (an
        undo marks it): every command renders the panel, and building 50 lines of words each time cost
        a tenth of a command's CPU."""
        lines: dict[int, tuple[AuditEntry, dict[str, Any]]] = {}
        for e in list(self.audit.values())[-AUDIT:]:
            built = self._lines.get(e.seq)
            if built is None or built[0] is not e:
                what = self.audit_words.get(e.seq, both(e.what)).wire()
                who = who_words(self.config, e.by).wire()
                built = (e, {"at": e.at, "by": e.by, "who": who, "what": what, "undone": e.undone})
            lines[e.seq] = built
        self._lines = lines
        return {str(seq): line for seq, (_, line) in lines.items()}

    def _publish(self) -> None:
        """Hand the listeners the on-air views' patches. The pads' and the desk's views wait for ``flush``,
        which the hub calls once those patches are on their way: an overlay's change does not wait for the
        pads', the producer's and the judges' ``can`` (every command they might send, tried against the rules)."""
        if self._tally_due is not None:
            self._tally_due.cancel()
            self._tally_due = None
        state, at = self.engine.state, self.clock()
        on_air = self._render_on_air(state)
        self._desk_due = (state, at, on_air["public"])
        self._hand_out(state.seq, on_air)

    @property
    def desk_due(self) -> bool:
        """Whether the desk's views wait for a ``flush``."""
        return self._desk_due is not None

    def flush(self) -> None:
        """Build the desk's views a publish left for later (of the state it published) and hand out their
        patches. A later publish replaces an earlier one's: the desk gets the newest state at once."""
        if self._desk_due is None:
            return
        state, at, public = self._desk_due
        self._desk_due = None
        self._hand_out(state.seq, self._render_desk(state, at, public))

    def _hand_out(self, rev: int, views: dict[str, dict[str, Any]]) -> None:
        updates = []
        for audience, view in views.items():
            base, old = self._views[audience]
            patch = diff(old, view)
            if patch:
                self._views[audience] = (rev, view)
                updates.append(Update(audience, rev, base, patch))
        for listener in self.listeners:
            try:
                listener(updates)
            except Exception:  # a broken listener must not stop the show
                log.exception("update listener failed")

    # -- the clock ------------------------------------------------------------------------

    def start(self) -> None:
        """Begin scheduling timer expiry (call once the event loop runs)."""
        self._schedule_expiry()

    def stop(self) -> None:
        self.votes.flush()
        if self._tally_due is not None:
            self._publish()
        self.flush()
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        if self._snapshot_due is not None:
            self._snapshot_due.cancel()
            self._snapshot()

    def _schedule_snapshot(self) -> None:
        """Snapshots wait a moment, so the patches of the command that made one due leave first."""
        if self._snapshot_due is not None:
            return
        try:
            self._snapshot_due = asyncio.get_running_loop().call_later(SNAPSHOT_AFTER, self._snapshot)
        except RuntimeError:
            self._snapshot()

    def _snapshot(self) -> None:
        self._snapshot_due = None
        try:
            self.engine.snapshot_if_due()
        except sqlite3.Error:  # only a cache: the log has everything
            log.exception("could not save a snapshot")

    def _schedule_expiry(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        deadline = self.engine.state.board.timer.deadline
        if deadline is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        delay = max(0.0, (deadline - self.clock()) / 1000)
        self._expiry = loop.call_later(delay, self._expire)

    def _expire(self) -> None:
        self._expiry = None
        deadline = self.engine.state.board.timer.deadline
        if deadline is None:
            return
        at = self.clock()
        if at < deadline:  # woke a little early
            self._schedule_expiry()
            return
        asyncio.get_running_loop().create_task(self._expire_at(at))

    async def _expire_at(self, at: int) -> None:
        async with self.gate():
            self.votes.flush()  # votes received before the deadline count
            try:
                self._run(Expire(at=at, by=SYSTEM))
            except ShowError as exc:
                log.warning("timer expiry refused: %s", exc.message)


def _fields(command: Command) -> dict[str, Any]:
    return {name: getattr(command, name) for name in command.__struct_fields__}
