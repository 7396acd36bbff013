"""The SQLite event log: durable appends, exact reloads, snapshots as a cache only."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
from msgspec.structs import replace

from server.core import commands as c
from server.core.errors import RuleError
from server.core.show import replay
from server.core.state import ShowState
from server.log import snapshot
from server.log.store import EventLog, LogError
from server.show.engine import Engine
from server.show.sim import Simulator
from tests.core.play import make_config

ROOT = Path(__file__).resolve().parents[2]
CONFIG = make_config("judged", "turns", "speed", "buzzer", "packages", "audience", judged="audience_share: 0.2")


def played(db: Path, snapshot_every: int = 500, seed: int = 1) -> Engine:
    log = EventLog(db)
    log.add_show(CONFIG, "# test config", 0)
    engine = Engine(CONFIG, log, snapshot_every=snapshot_every)
    Simulator(engine, seed=seed, audience=30).play()
    return engine


def test_reload_gives_the_exact_state(tmp_path: Path) -> None:
    engine = played(tmp_path / "show.db")
    live, actions = engine.state, list(engine.log.actions(CONFIG.id))
    engine.log.close()
    assert replay(actions) == live
    reopened = EventLog(tmp_path / "show.db")
    assert reopened.load(CONFIG.id) == live
    assert reopened.last_seq(CONFIG.id) == live.seq == len(actions)


def test_snapshots_are_only_a_cache(tmp_path: Path) -> None:
    engine = played(tmp_path / "show.db", snapshot_every=25)
    log = engine.log
    snapshots = log.db.execute("SELECT seq FROM snapshots ORDER BY seq").fetchall()
    assert len(snapshots) == 2 and snapshots[1][0] - snapshots[0][0] >= 25
    assert log.load(CONFIG.id) == log.load(CONFIG.id, use_snapshots=False) == engine.state
    # A damaged newest snapshot falls back to the older one; a foreign format is ignored.
    log.db.execute("UPDATE snapshots SET body=x'00ff' WHERE seq=(SELECT max(seq) FROM snapshots)")
    assert log.load(CONFIG.id) == engine.state
    log.db.execute("UPDATE snapshots SET format=format+1")
    assert log.load(CONFIG.id) == engine.state


def test_a_snapshot_holds_each_award_once(tmp_path: Path) -> None:
    """The undo history's boards repeat the show's awards; the snapshot writes each once and reading it
    shares them between the boards again, as in the running server."""
    engine = played(tmp_path / "show.db")
    state = engine.state
    assert len(state.undo) > 10 and len(state.board.awards) > 10
    body = snapshot.encode(state)
    loaded = snapshot.decode(body)
    assert loaded == state
    assert loaded.undo[-1].board.awards[0] is loaded.board.awards[0]
    first = msgspec.msgpack.encode(state.board.awards[0])
    assert msgspec.msgpack.encode(state).count(first) > 10 and body.count(first) == 1
    # Equal awards that are not the same object, in any order: still each board's own.
    shuffled = replace(
        state, undo=tuple(replace(e, board=replace(e.board, awards=e.board.awards[::-1])) for e in state.undo)
    )
    assert (
        snapshot.decode(snapshot.encode(msgspec.msgpack.decode(msgspec.msgpack.encode(shuffled), type=ShowState)))
        == shuffled
    )


def test_no_snapshot_while_the_audience_votes(tmp_path: Path) -> None:
    """A snapshot holds every ballot; hundreds of vote batches a second must not each wait behind one."""
    config = make_config("audience")
    log = EventLog(tmp_path / "show.db")
    log.add_show(config, "", 0)
    engine = Engine(config, log, snapshot_every=2)
    snapshots = lambda: [seq for (seq,) in log.db.execute("SELECT seq FROM snapshots ORDER BY seq")]  # noqa: E731
    for command in (c.StartShow(at=1), c.ShowQuestion(at=3)):
        engine.run(command)
    assert snapshots() == [2]
    engine.run(c.OpenAnswers(at=4))
    for n in range(5):
        engine.run(c.CastVotes(at=5 + n, by=c.AUDIENCE, votes=(c.Vote(f"phone-{n}", "A", 5 + n),)))
    assert snapshots() == [2]  # due since seq 4, held while the question takes votes
    engine.run(c.CloseAnswers(at=20))
    assert snapshots() == [2, 9]
    assert log.load(config.id) == log.load(config.id, use_snapshots=False) == engine.state


def test_engine_continues_after_restart(tmp_path: Path) -> None:
    engine = played(tmp_path / "show.db")
    engine.log.close()
    log = EventLog(tmp_path / "show.db")
    again = Engine(CONFIG, log)
    assert again.state.board.phase.value == "ended"
    action = again.run(c.AdjustScore(at=10**13, team="a", points=c.Decimal(5), reason="phúc khảo được chấp nhận"))
    assert action.seq == engine.state.seq + 1
    assert log.load(CONFIG.id) == again.state


def test_a_refused_command_writes_nothing(tmp_path: Path) -> None:
    engine = played(tmp_path / "show.db")
    before = engine.log.last_seq(CONFIG.id)
    with pytest.raises(RuleError, match="can't open answers while"):
        engine.run(c.OpenAnswers(at=10**13))
    assert engine.log.last_seq(CONFIG.id) == before


def test_state_changes_only_after_the_commit(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "show.db")
    log.add_show(CONFIG, "", 0)
    engine = Engine(CONFIG, log)
    engine.run(c.StartShow(at=1))
    before = engine.state
    log.db.execute("PRAGMA query_only=ON")  # the disk refuses the write
    with pytest.raises(sqlite3.OperationalError):
        engine.run(c.AdjustScore(at=2, team="a", points=c.Decimal(1), reason="x"))
    assert engine.state == before


def test_durable_settings(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "show.db")
    assert log.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # NORMAL: SQLite writes its WAL at each commit, and the log syncs it itself (as FULL would).
    assert log.db.execute("PRAGMA synchronous").fetchone()[0] == 1


class Syncs:
    """os.fdatasync, counted (still syncing), or failing as a dying disk does."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail: bool = False) -> None:
        self.files: list[int] = []  # the inodes synced
        real = os.fdatasync

        def fdatasync(fd: int) -> None:
            if fail:
                raise OSError(errno.EIO, "Input/output error")
            self.files.append(os.fstat(fd).st_ino)
            real(fd)

        monkeypatch.setattr(os, "fdatasync", fdatasync)


def wal(log: EventLog) -> int:
    return os.stat(f"{log.path}-wal").st_ino


def test_every_write_is_synced_to_disk_before_it_returns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = EventLog(tmp_path / "show.db")
    syncs = Syncs(monkeypatch)
    log.add_show(CONFIG, "# test config", 0)
    engine = Engine(CONFIG, log)
    engine.run(c.StartShow(at=1))
    assert syncs.files == [wal(log)] * 2 and not log.unsynced
    log.sync()  # nothing new: no sync
    assert len(syncs.files) == 2


def test_a_write_inside_later_is_synced_at_sync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = EventLog(tmp_path / "show.db")
    log.add_show(CONFIG, "# test config", 0)
    engine = Engine(CONFIG, log)
    syncs = Syncs(monkeypatch)
    with log.later():
        engine.run(c.StartShow(at=1))
        engine.run(c.AdjustScore(at=2, team="a", points=c.Decimal(1), reason="x"))
    assert syncs.files == [] and log.unsynced
    log.sync()
    assert syncs.files == [wal(log)] and not log.unsynced
    # SQLite made a new WAL file (here: journal mode DELETE, then WAL again): the log syncs the new one.
    log.db.execute("PRAGMA journal_mode=DELETE")
    log.db.execute("PRAGMA journal_mode=WAL")
    engine.run(c.AdjustScore(at=3, team="a", points=c.Decimal(1), reason="y"))
    assert syncs.files[-1] == wal(log)


def test_a_disk_that_refuses_to_sync_fails_the_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engines = []
    for name in ("now.db", "later.db"):
        log = EventLog(tmp_path / name)
        log.add_show(CONFIG, "# test config", 0)
        engines.append(Engine(CONFIG, log))
    Syncs(monkeypatch, fail=True)
    with pytest.raises(sqlite3.OperationalError, match="could not sync to disk"):
        engines[0].run(c.StartShow(at=1))
    assert engines[0].state.seq == 0  # as when SQLite's own commit fails
    log = engines[1].log
    with log.later():
        engines[1].run(c.StartShow(at=1))  # written; its sync is the caller's
    with pytest.raises(OSError):
        log.sync()
    assert log.unsynced  # still owed


def test_several_shows_in_one_database(tmp_path: Path) -> None:
    db = tmp_path / "season.db"
    first = played(db, seed=1)
    other = CONFIG.__class__(**{**{f: getattr(CONFIG, f) for f in CONFIG.__struct_fields__}, "id": "second"})
    first.log.add_show(other, "", 0)
    second = Engine(other, first.log)
    Simulator(second, seed=2, audience=10).play()
    assert [row[0] for row in first.log.shows()] == [CONFIG.id, "second"]
    assert first.log.load(CONFIG.id) == first.state
    assert first.log.load("second") == second.state
    assert first.log.config("second").id == "second"


def test_not_a_database(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(LogError, match="not a usable show database"):
        EventLog(junk)


def test_replay_command(tmp_path: Path) -> None:
    engine = played(tmp_path / "show.db")
    engine.log.close()
    run = subprocess.run(
        [sys.executable, "-m", "server", "replay", str(tmp_path / "show.db")], capture_output=True, text=True, cwd=ROOT
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "after Chào hỏi:" in out and "after Về đích:" in out and "final result:" in out
    for team in CONFIG.teams:
        assert team.name in out
    winner = max(engine.state.board.scores.items(), key=lambda item: item[1])
    assert f"1. {CONFIG.team(winner[0]).name}" in out
    audited = subprocess.run(
        [sys.executable, "-m", "server", "replay", str(tmp_path / "show.db"), "--audit"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert "audit trail:" in audited.stdout and "judge:j1" in audited.stdout and "team:a" in audited.stdout
    unknown = subprocess.run(
        [sys.executable, "-m", "server", "replay", str(tmp_path / "show.db"), "--show", "nope"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert unknown.returncode == 1 and "no show 'nope'" in unknown.stderr and "Traceback" not in unknown.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "server", "replay", str(tmp_path / "none.db")], capture_output=True, text=True, cwd=ROOT
    )
    assert missing.returncode == 1 and "no such database" in missing.stderr


def test_demo_command(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "server", "demo", "--db", str(tmp_path / "demo.db")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    assert "Đội Thành phố Tam Kỳ" in run.stdout and "final result:" in run.stdout
