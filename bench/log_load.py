"""How fast a show database loads: 100,000 events, with and without snapshots, and how fast a server
killed on air is healthy again on that log.

Run: python bench/log_load.py [--events 100000] [--restarts 30] [--keeper-restarts 100]
The log mixes what a long show writes: judges revising scores, timer work, score
adjustments, undo and redo, and audience polls of 5,000 phones voting in batches.
Appends use synchronous=OFF here to build the log quickly; the load path is the same as on air.

Restarts: ``python -m server run`` on the log, SIGKILLed once healthy; SIGKILL -> /healthz answers 200.
Two ways: the server alone (``--keeper-restarts`` times: its keeper, server/transport/keeper.py, forks another on
the same sockets), and keeper and server together, then ``run`` started again (``--restarts`` times: a
power cut to the process, systemd restarting it). Each warm (the log and Python in the page cache); the
log cold (``posix_fadvise(DONTNEED)`` on its files before each start: a show's database not read since
the machine started, Python in memory); and, as root, everything cold (``echo 3 >
/proc/sys/vm/drop_caches``: Python and its libraries read from the disk too, as after a reboot; for a
server the keeper forks, whose Python is already in the keeper's memory, that leaves the log cold).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.configs.parse import parse_show  # noqa: E402
from server.core import commands as c  # noqa: E402
from server.core.errors import RuleError  # noqa: E402
from server.log.store import EventLog  # noqa: E402
from server.show.engine import Engine  # noqa: E402
from tests.core.play import config_text  # noqa: E402
from tests.processes import free_port, kill_all, server_pid, until_healthy  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = ("judged", "audience")
EXTRA = {"judged": "audience_share: 0.2"}
CONFIG = parse_show(config_text(*ROUNDS, **EXTRA), Path("/tmp/bench.yaml"))
DROP_CACHES = Path("/proc/sys/vm/drop_caches")
PHONES_PER_POLL = 5000
VOTE_BATCH = 50


class Builder:
    """Writes a long, plausible show: most of it routine, with audience polls of 5,000 phones."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.rng = random.Random(1)
        self.now = 1_700_000_000_000
        self.events = 0
        self.phones = 0  # phones that voted in the poll open now

    def run(self, command: c.Command) -> bool:
        try:
            self.events += len(self.engine.run(command).events)
            return True
        except RuleError:
            return False

    def step(self, judged: bool) -> None:
        rng = self.rng
        self.now += rng.randint(50, 900)
        at = self.now
        pick = rng.random()
        if pick < 0.02 and self.phones < PHONES_PER_POLL:
            votes = tuple(
                c.Vote(f"phone-{self.phones + i}", rng.choice("abc" if judged else "AB"), at) for i in range(VOTE_BATCH)
            )
            if self.run(c.CastVotes(at=at, by=c.Actor("audience"), votes=votes)):
                self.phones += VOTE_BATCH
            elif not judged:
                self.new_poll()
        elif pick < 0.02 and not judged:
            self.new_poll()
        elif pick < 0.45 and judged:
            judge = rng.choice(CONFIG.judges).id
            scores = {"content": Decimal(rng.randint(0, 20)) / 2, "style": Decimal(rng.randint(0, 5))}
            team = rng.choice("abc")
            self.run(c.SubmitScores(at=at, by=c.Actor("judge", judge), judge=judge, team=team, scores=scores))
        elif pick < 0.80:
            self.run(rng.choice([c.StartTimer(at=at, duration_ms=30000), c.PauseTimer(at=at), c.ResumeTimer(at=at)]))
        elif pick < 0.85:
            points = Decimal(rng.randint(-5, 5) or 1)
            self.run(c.AdjustScore(at=at, team=rng.choice("abc"), points=points, reason="sửa điểm"))
        else:
            self.run(rng.choice([c.Undo(at=at), c.Redo(at=at), c.AddTime(at=at, ms=5000)]))

    def new_poll(self) -> None:
        """Close the audience question and reopen it as a fresh poll (a reset starts a new ballot box)."""
        for kind in (c.CloseAnswers, c.ResetQuestion, c.OpenAnswers, c.PauseTimer):
            self.now += 10
            self.run(kind(at=self.now))
        self.phones = 0


def build(db: Path, events: int) -> tuple[int, int]:
    log = EventLog(db, synchronous="OFF")
    log.add_show(CONFIG, "", 0)
    builder = Builder(Engine(CONFIG, log))
    builder.run(c.StartShow(at=builder.now))
    builder.run(c.OpenVoting(at=builder.now))
    log.db.execute("BEGIN")
    while builder.events < events // 2:
        builder.step(judged=True)
    builder.run(c.CloseVoting(at=builder.now))
    builder.run(c.GotoSegment(at=builder.now, index=1))
    builder.run(c.ShowQuestion(at=builder.now))
    builder.phones = PHONES_PER_POLL
    while builder.events < events:
        builder.step(judged=False)
    log.db.execute("COMMIT")
    log.close()
    state = builder.engine.state
    return state.seq, sum(len(box) for box in state.ballots.values())


WHOM = {
    "server": "the server (its keeper forks another)",
    "all": "keeper and server (run started again)",
}
COLD = {
    "": "warm",
    "log": "the log cold (posix_fadvise DONTNEED on its files)",
    "all": "all cold (drop_caches: the whole page cache)",
}


def drop_cache(db: Path, cold: str) -> None:
    """Evict the log's files, or (``all``, as root) everything, from the page cache."""
    os.sync()
    if cold == "all":
        DROP_CACHES.write_text("3\n")
        return
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if path.exists():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def can_drop_all() -> bool:
    try:
        DROP_CACHES.write_text("1\n")  # the page cache only: cheap, and says whether we may
        return True
    except OSError:
        return False


async def restarts(tmp: Path, db: Path, times: int, cold: str, whom: str) -> list[float]:
    """SIGKILL -> healthy, ``times`` times, each start after ``drop_cache(db, cold)`` if ``cold``: seconds each.
    ``whom``: "server" kills the server, which its keeper replaces; "all" kills keeper and server, and runs
    ``run`` again (as systemd would)."""
    config = tmp / "show.yaml"
    config.write_text(config_text(*ROUNDS, **EXTRA), encoding="utf-8")
    port, log = free_port(), tmp / "server.log"
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "server", "run", str(config), "--db", str(db), "--port", str(port)]
    command += ["--host=127.0.0.1", "--no-obs"]

    def start() -> subprocess.Popen:
        with log.open("a") as out:
            return subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)

    proc = start()
    await until_healthy(url, proc, log, timeout=60)
    took = []
    for _ in range(times):
        if whom == "server":
            server = server_pid(proc)
            assert server is not None, f"the keeper has no server: see {log}"
            os.kill(server, signal.SIGKILL)
        else:
            await asyncio.to_thread(kill_all, proc, port)
        killed = time.perf_counter()
        if cold:
            drop_cache(db, cold)
            killed = time.perf_counter()  # the drop is not the server's time
        if whom == "server":
            while server_pid(proc) in (None, server):  # the keeper has seen it die and forked another
                assert proc.poll() is None, f"the keeper gave up (exit code {proc.returncode}): see {log}"
                await asyncio.sleep(0.001)
        else:
            proc = start()
        await until_healthy(url, proc, log, timeout=60)
        took.append(time.perf_counter() - killed)
    await asyncio.to_thread(kill_all, proc, port)
    return took


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed(fn, repeat: int = 5) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), max(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--restarts", type=int, default=30, help="new runs after SIGKILL, warm and cold each")
    parser.add_argument(
        "--keeper-restarts", type=int, default=100, help="servers the keeper replaces after SIGKILL, warm and cold each"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        started = time.perf_counter()
        actions, ballots = build(db, args.events)
        print(
            f"built {args.events} events ({actions} actions, {ballots} audience ballots) "
            f"in {time.perf_counter() - started:.1f} s; database {db.stat().st_size / 2**20:.1f} MiB"
        )
        log = EventLog(db)
        snap_median, snap_max = timed(lambda: log.load(CONFIG.id))
        full_median, full_max = timed(lambda: log.load(CONFIG.id, use_snapshots=False), repeat=3)
        assert log.load(CONFIG.id) == log.load(CONFIG.id, use_snapshots=False)
        print(f"load with snapshots:    median {snap_median * 1000:7.1f} ms   max {snap_max * 1000:7.1f} ms")
        print(f"full replay, no snaps:  median {full_median * 1000:7.1f} ms   max {full_max * 1000:7.1f} ms")
        durable = EventLog(Path(tmp) / "fsync.db")
        durable.add_show(CONFIG, "", 0)
        engine = Engine(CONFIG, durable)
        engine.run(c.StartShow(at=1))
        times = []
        for i in range(500):
            start = time.perf_counter()
            engine.run(c.AdjustScore(at=2 + i, team="a", points=Decimal(1), reason="bench"))
            times.append(time.perf_counter() - start)
        times.sort()
        print(f"durable command (synchronous=FULL): p50 {times[250] * 1000:.2f} ms   p99 {times[494] * 1000:.2f} ms")
        for whom, times in (("server", args.keeper_restarts), ("all", args.restarts)):
            for cold in ("", "log", "all") if can_drop_all() else ("", "log"):
                took = asyncio.run(restarts(Path(tmp), db, times, cold, whom))
                print(
                    f"SIGKILL {WHOM[whom]} -> healthy, {COLD[cold]}: p50 {percentile(took, 0.5) * 1000:.0f} ms   "
                    f"p99 {percentile(took, 0.99) * 1000:.0f} ms   max {max(took) * 1000:.0f} ms   (n={len(took)})"
                )


if __name__ == "__main__":
    main()
