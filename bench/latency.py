"""Producer command -> the overlay and -> every phone: p50/p99/max over 1,000 commands, with no phones and
with 5,000 idle phones connected that each receive every change.

Run: python bench/latency.py [--commands 1000] [--idle 5000] [--clients 2] [--networks 100] [--gap 0.02]

The server runs as ``run`` does on air (``--no-obs``): the show's own process and the phones process,
both measured (CPU, RSS). The producer and the overlay are the bench's own socket.io clients (``Peer``,
bench/fanout_wire.py); the overlay keeps its view from its patches (bench/servers.py). Each command is
on disk (the log's fdatasync) before its ACK. The bench checks it: each ACKed revision must be in the log
when the ACK arrives (read by a connection of its own), and strace counts the show's process's fsyncs over 200 commands.

The command is ``pause_timer`` and ``resume_timer`` in turn, on the demo's audience question with an
hour on the timer: each changes the timer on the overlays (the public view) and in the poll every phone
on /audience shows (``audience_view``'s ``poll.timer``), so every phone gets a patch of every command.
(``adjust_score`` changes only the overlays' and the desk's views: the phones would get nothing.)

One change at a time: the next command goes ``--gap`` s after the previous one reached the overlay and
every phone, so the last phone's time is that change's own. (At a fixed 50 a second, 5,000 phones would
need 250,000 frames a second, more than two cores can send or receive; a show changes the phones' view
a few times a minute.) The phones run in ``--clients`` worker processes (bench/crowd.py: a bare asyncio
protocol, a few microseconds a message, at the lowest priority: they stand in for other devices) from
``--networks`` loopback addresses, and count every patch they get. The server's RSS is taken before the
phones, after them, and per 1,000 phones; the CPU table shows the bench's own processes are not the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEMO = ROOT / "show_configs" / "quang-nam-2024-qualifier.yaml"
SHOW_ID = "quang-nam-2024-qualifier"
TOKEN = "bench-producer-token"

from bench.crowd import Crowd, run_loop  # noqa: E402
from bench.measure import CpuMeter, machine, percentile, progress, report, rss_mib, verdict  # noqa: E402
from bench.servers import Desk  # noqa: E402
from tests.processes import free_port, server_pids, stop, until_healthy  # noqa: E402

OVERLAY_P50_MS, OVERLAY_P99_MS, LAST_PHONE_MS, MIB_PER_1000 = 1.5, 5, 150, 15
TOGGLE = ("pause_timer", "resume_timer")
FSYNC_COMMANDS = 200


async def start_server(db: Path, port: int, config: Path = DEMO, *extra: str) -> subprocess.Popen:
    """``python -m server run`` on loopback with the bench's producer token, once it answers."""
    env = {**os.environ, "SHOWCALLER_TOKEN_PRODUCER": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "run", str(config), "--db", str(db), "--port", str(port), "--host=127.0.0.1"]
        + ["--phones-per-address=100000", *extra],  # the idle phones are all new
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await until_healthy(f"http://127.0.0.1:{port}", proc)
    return proc


def commit_cost() -> None:
    """What the durable commit alone costs: appending 1,000 actions with synchronous FULL and OFF."""
    from server.core import commands as c
    from server.core.show import execute
    from server.core.state import ShowState
    from server.log.store import EventLog
    from tests.core.play import make_config

    config = make_config("turns")
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("FULL", "OFF"):
            log = EventLog(Path(tmp) / f"{mode}.db", synchronous=mode)
            log.add_show(config, "", 0)
            state, start = execute(config, ShowState(), c.StartShow(at=1))
            log.append(config.id, start)
            times = []
            for i in range(1000):
                state, action = execute(
                    config, state, c.AdjustScore(at=2 + i, team="a", points=Decimal(1), reason="bench")
                )
                t = time.perf_counter()
                log.append(config.id, action)
                times.append((time.perf_counter() - t) * 1000)
            report(f"log append, synchronous={mode}", times)
            log.close()


class Toggle:
    """The producer's pause_timer / resume_timer in turn (the timer runs when the first is sent)."""

    def __init__(self, desk: Desk) -> None:
        self.desk, self.sent = desk, 0

    async def send(self) -> tuple[int, float, float]:
        """One command: its revision, when it was sent and when its ACK came (perf_counter)."""
        name = TOGGLE[self.sent % 2]
        start = time.perf_counter()
        ack = await self.desk.call(name)
        acked = time.perf_counter()
        if not ack["ok"]:
            raise SystemExit(f"{name} refused: {ack}")
        self.sent += 1
        return ack["rev"], start, acked


class Run:
    """One phase's figures: per command, the ACK, the overlay, the first and the last phone (ms)."""

    def __init__(self) -> None:
        self.ack: list[float] = []
        self.overlay: list[float] = []
        self.first_phone: list[float] = []
        self.last_phone: list[float] = []
        self.after_ack: list[float] = []  # the last phone's arrival after the ACK's (ms; < 0: before it)
        self.patches = 0  # patches the phones got of these commands
        self.expected = 0  # phones x commands
        self.uncommitted = 0  # ACKs that came before their revision was in the log


async def measure(toggle: Toggle, crowd: Crowd | None, commands: int, gap: float, log: sqlite3.Connection) -> Run:
    """``commands`` toggles, one change at a time; see the module's docstring."""
    run = Run()
    gc.collect()
    gc.disable()  # this process times the server: its collector runs between two commands only
    try:
        await _measure(run, toggle, crowd, commands, gap, log)
    finally:
        gc.enable()
    return run


async def _measure(
    run: Run, toggle: Toggle, crowd: Crowd | None, commands: int, gap: float, log: sqlite3.Connection
) -> None:
    desk = toggle.desk
    for i in range(commands):
        rev, start, acked = await toggle.send()
        if log.execute("SELECT 1 FROM actions WHERE show_id=? AND seq=?", (SHOW_ID, rev)).fetchone() is None:
            run.uncommitted += 1
        run.ack.append((acked - start) * 1000)
        async with asyncio.timeout(5):
            while rev not in desk.seen:
                desk.patched.clear()
                await desk.patched.wait()
        run.overlay.append((desk.seen[rev] - start) * 1000)
        if crowd is not None:
            replies = await crowd.ask("wait_rev", rev=rev, timeout=5)
            got = [r for r in replies if r["count"]]
            run.patches += sum(r["count"] for r in replies)
            run.expected += sum(r["phones"] for r in replies)
            if got:
                run.first_phone.append((min(r["first"] for r in got) - start) * 1000)
                run.last_phone.append((max(r["last"] for r in got) - start) * 1000)
                run.after_ack.append((max(r["last"] for r in got) - acked) * 1000)
        if i % 100 == 99:
            gc.collect()
        await asyncio.sleep(gap)


async def fsync_check(pid: int, toggle: Toggle, commands: int, tmp: Path) -> int | None:
    """The server's fsync and fdatasync calls (strace -c) over ``commands`` toggles; None without strace."""
    out = tmp / "strace.txt"
    try:
        tracer = subprocess.Popen(
            ["strace", "-f", "-c", "-e", "trace=fsync,fdatasync", "-o", str(out), "-p", str(pid)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    except FileNotFoundError:
        return None
    try:
        assert tracer.stderr is not None
        await asyncio.to_thread(tracer.stderr.readline)  # "Process N attached": tracing from now on
        for _ in range(commands):
            await toggle.send()
            await asyncio.sleep(0.025)  # /control takes 50 commands a second
    finally:
        tracer.send_signal(signal.SIGINT)
        await asyncio.to_thread(tracer.wait, 10)
    calls = 0
    for line in out.read_text().splitlines():
        words = line.split()
        if words and words[-1] in ("fsync", "fdatasync"):
            calls += int(words[3])
    return calls


def print_run(label: str, run: Run, phones: int) -> None:
    report(f"producer -> ACK, {label}", run.ack)
    report(f"producer -> overlay, {label}", run.overlay)
    if phones:
        report(f"producer -> first of {phones} phones", run.first_phone)
        report(f"producer -> last of {phones} phones", run.last_phone)
        # The server ACKs once it has written the change to every phone's socket: the phones keep up if
        # the last one has it soon after the ACK, and the bench's phones would be the limit if not.
        report("  the last phone after the ACK", run.after_ack)
        print(f"  phones received {run.patches} of {run.expected} patches")
    values = sorted(run.overlay)
    verdict(f"producer -> overlay p50, {label}", percentile(values, 50), OVERLAY_P50_MS, "ms")
    verdict(f"producer -> overlay p99, {label}", percentile(values, 99), OVERLAY_P99_MS, "ms")
    if phones:
        last = sorted(run.last_phone) if run.patches == run.expected else [float("inf")]
        verdict(f"one change -> the last of {phones} phones, p99", percentile(last, 99), LAST_PHONE_MS, "ms")
    verdict(f"ACKs before their revision was in the log, {label}", run.uncommitted, 0, "commands")


async def bench(args: argparse.Namespace, tmp: Path) -> None:
    db = tmp / "bench.db"
    port = free_port()
    server = await start_server(db, port, DEMO, "--no-obs")
    desk = Desk(f"http://127.0.0.1:{port}")
    toggle = Toggle(desk)
    crowd: Crowd | None = None
    try:
        pids = server_pids(server) or [server.pid]  # the owner first, then the phones process
        await desk.connect()
        await desk.goto_audience_round()
        await desk.command("show_question")
        await desk.command("start_timer", {"duration_ms": 3_600_000})  # the toggles' timer: an hour
        log = sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None)
        crowd = await Crowd.start([desk.url], args.idle, args.clients, args.networks)
        await crowd.ask("alive")  # started and answering (not yet connected): their imports are done
        meter = CpuMeter({"server": pids, "phones": crowd.pids, "bench": [os.getpid()]})
        progress(f"{args.commands} commands, no phones")
        idle = await measure(toggle, None, args.commands, args.gap, log)
        meter.end(f"{args.commands} commands, no phones")
        progress("counting fsyncs")  # before the phones: strace stops the server at every system call
        calls = await fsync_check(pids[0], toggle, FSYNC_COMMANDS, tmp)
        meter.end(f"fsync check: {FSYNC_COMMANDS} commands, strace")
        rss_before = rss_mib(*pids)
        progress(f"connecting {args.idle} phones")
        joined = await crowd.ask("connect")
        phones = sum(r["connected"] for r in joined)
        meter.end(f"connect {args.idle} phones")
        await asyncio.sleep(1)
        rss_after = rss_mib(*pids)
        progress(f"{args.commands} commands, {phones} phones")
        crowded = await measure(toggle, crowd, args.commands, args.gap, log)
        meter.end(f"{args.commands} commands, {phones} phones")
        counts = await crowd.ask("patch_counts")
        rss_end = rss_mib(*pids)
        log.close()
    finally:
        await desk.close()
        if crowd is not None:
            await crowd.stop()
        stop(server)
    toggles = " / ".join(TOGGLE)
    print(f"\n1. no phones: {args.commands} commands ({toggles}), one change at a time, {args.gap * 1000:g} ms apart")
    print_run("no phones", idle, 0)
    failed = sum((sum(r["failed"].values()) for r in joined), 0)
    print(f"\n2. {phones} idle phones connected ({failed} failed), each receiving every change")
    print_run(f"{phones} phones", crowded, phones)
    fewest, most = min(c["fewest"] for c in counts), max(c["most"] for c in counts)
    print(f"  patches per phone over the run: fewest {fewest}, most {most} (commands {args.commands})")
    print(f"\n3. server memory: RSS {rss_before:.1f} MiB before the phones, {rss_after:.1f} MiB with them")
    print(f"  ({rss_end:.1f} MiB after their {args.commands} commands)")
    per_thousand = (rss_after - rss_before) / phones * 1000
    verdict(f"server memory per 1,000 idle phones ({phones} held)", per_thousand, MIB_PER_1000, "MiB")
    print("\n4. durability")
    if calls is None:
        print("  strace not found: fsyncs not counted")
    else:
        label = f"server fsyncs per command (strace, {FSYNC_COMMANDS} commands)"
        verdict(label, calls / FSYNC_COMMANDS, 1, "fsyncs", at_least=True)
    meter.print()


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--idle", type=int, default=5000, help="idle phones in the second phase")
    parser.add_argument("--clients", type=int, default=2, help="processes running the phones")
    parser.add_argument("--networks", type=int, default=100, help="source addresses the phones spread over")
    parser.add_argument("--gap", type=float, default=0.02, help="seconds between one change's arrival and the next")
    args = parser.parse_args()
    if args.commands < 1 or args.idle < 1 or args.clients < 1:
        raise SystemExit("expected --commands, --idle and --clients >= 1")
    print(machine())
    print(f"load average before the run: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the server and phone processes inherit it
    if hard < args.idle + 1024:
        raise SystemExit(f"{args.idle} phones need more open files than this system's limit ({hard})")
    print()
    commit_cost()
    with tempfile.TemporaryDirectory(prefix="showcaller-latency-") as tmp:
        await bench(args, Path(tmp))


if __name__ == "__main__":
    run_loop(main())
