"""One change to many phones, against showcaller, a bare python-socketio server and NodeCG 2.x, in one run.

Run: python bench/fanout.py [--phones 1000,5000] [--samples 1000] [--servers showcaller,bare,nodecg]
                            [--changes 20] [--workers 2] [--no-reference] [--quick]
Each server runs in its own process, on loopback, and goes through the same phases:
1. producer -> graphic, no other clients: send -> the graphic's receipt of that revision, ``--samples``
   times, one every ~20 ms (the pace of a busy producer; showcaller's /control allows 50/s). The
   producer and the graphic are the bench's own socket.io clients (``Peer``, bench/fanout_wire.py),
   which hand an event over as it is read, as a browser's client does; showcaller's graphic keeps its
   view from the patches and counts a revision once its view has it. Then the same again through
   python-socketio's own client (a task and a queue per message on the bench's side), for reference;
2. for each N of ``--phones`` (kept connected, growing): the server's RSS with N idle phones over its
   RSS before any (MiB per 1,000); producer -> graphic again with the N phones connected; then
   ``--changes`` times one change every phone sees: send -> the last phone's receipt, and the server's
   CPU over the changes, less its idle CPU over as long (measured just before), per change per phone;
3. once ``--chat-clients`` phones are connected: producer -> graphic while they chat at ``--chat-rate``
   requests a second in all (each server's cheapest ACKed request; the header says which).
The phones run in ``--workers`` processes of their own (bench/fanout_phones.py, a bare asyncio protocol
each) and time receipt there; the times compare across processes because ``time.perf_counter`` is
CLOCK_MONOTONIC on Linux (checked at start). Absolute times on a shared machine move 15-30 % run to
run; the ratios at the end, from one run, are the figures to quote.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import fanout_nodecg  # noqa: E402
from bench.crowd import run_loop  # noqa: E402
from bench.fanout_phones import Crowd  # noqa: E402
from bench.fanout_targets import UVLOOP, Bare, Showcaller, Target  # noqa: E402
from bench.fanout_wire import Peer  # noqa: E402
from bench.measure import cpu_seconds, machine, percentile, report, rss_mib, verdict  # noqa: E402

SERVERS = ("showcaller", "bare", "nodecg")
PACE = 0.02  # seconds between a producer's commands
IDLE_WINDOW = 2.0  # seconds of idle CPU measured before the changes
SETTLE_LIMIT = 20.0  # seconds to wait for a server to go quiet after phones joined


@dataclass
class Figures:
    """One server's results."""

    name: str
    latency: dict[str, list[float]] = field(default_factory=dict)  # phase -> ms
    rss_per_1000: dict[int, float] = field(default_factory=dict)  # N -> MiB per 1,000 idle phones
    last: dict[int, list[float]] = field(default_factory=dict)  # N -> the last phone's receipt per change, ms
    cpu_us: dict[int, float] = field(default_factory=dict)  # N -> server CPU per recipient per broadcast, µs


async def producer_to_graphic(target: Target, samples: int) -> tuple[list[float], int]:
    """Send -> the graphic's receipt of that revision (ms), and how many never came within 5 s."""
    latencies, missing = [], 0
    for i in range(samples):
        start = time.perf_counter()
        revision = await target.score(i)
        got = await target.graphic_got(revision)
        if got is None:
            missing += 1
        else:
            latencies.append((got - start) * 1000)
        await asyncio.sleep(PACE)
    return latencies, missing


async def through_socketio(target: Target, samples: int) -> list[float]:
    """The idle phase again with python-socketio's own client as the producer and the graphic: the
    instrument this bench used before (and the issue's figures were measured with), for reference."""
    await target.swap_desk(socketio.AsyncClient(), socketio.AsyncClient())
    try:
        latencies, missing = await producer_to_graphic(target, samples)
    finally:
        await target.swap_desk(Peer(), Peer())
    report("  the same through python-socketio's client", latencies)
    if missing:
        print(f"  {'':<44} graphic missing {missing}")
    return latencies


async def settle(*pids: int) -> None:
    """Wait until the server uses under a tenth of a core over a quarter second (joins handled)."""
    deadline = time.perf_counter() + SETTLE_LIMIT
    while time.perf_counter() < deadline:
        before = cpu_seconds(*pids)
        await asyncio.sleep(0.25)
        if cpu_seconds(*pids) - before < 0.025:
            return


async def fanout(target: Target, crowd: Crowd, n: int, changes: int, idle_window: float) -> tuple[list[float], float]:
    """``changes`` times one change to every phone: the last phone's receipt after the send (ms) per change,
    and the server's CPU per recipient per change (µs), idle CPU subtracted."""
    pids = target.pids
    t0, cpu0 = time.perf_counter(), cpu_seconds(*pids)
    await asyncio.sleep(idle_window)
    idle_rate = (cpu_seconds(*pids) - cpu0) / (time.perf_counter() - t0)
    last, receipts, missing = [], [], 0
    phones_cpu0 = sum(cpu_seconds(p) for p in crowd.pids)
    t0, cpu0 = time.perf_counter(), cpu_seconds(*pids)
    for _ in range(changes):
        await crowd.ask("arm", revision=target.next_revision())
        sent = time.perf_counter()
        await target.change()
        got = await crowd.ask("collect", timeout=15)
        times = [t for g in got for t in g["times"]]
        missing += sum(g["missing"] for g in got)
        receipts += [(t - sent) * 1000 for t in times]
        if times:
            last.append((max(times) - sent) * 1000)
    wall, cpu = time.perf_counter() - t0, cpu_seconds(*pids) - cpu0
    phones_cpu = sum(cpu_seconds(p) for p in crowd.pids) - phones_cpu0
    per_recipient = max(0.0, cpu - idle_rate * wall) / max(1, changes * n) * 1e6
    report(f"one change -> last of {n:,} phones", last)
    report(f"one change -> each of {n:,} phones", receipts)
    print(
        f"  {'':<44} missing {missing}; server CPU {cpu:.2f} s over {wall:.1f} s (idle {100 * idle_rate:.1f} % of a "
        f"core subtracted): {per_recipient:.1f} µs per recipient per broadcast; phones' processes "
        f"{100 * phones_cpu / wall:.0f} % of a core"
    )
    return last, per_recipient


async def chat_phase(target: Target, crowd: Crowd, clients: int, rate: float, samples: int) -> list[float]:
    """Producer -> graphic while ``clients`` phones chat at ``rate`` requests a second in all."""
    await crowd.ask("chat_start", clients=clients, rate=rate)
    started = time.perf_counter()
    try:
        await asyncio.sleep(0.5)  # up to pace before the samples
        latencies, missing = await producer_to_graphic(target, samples)
    finally:
        chats = await crowd.ask("chat_stop")
    took = time.perf_counter() - started
    sent = sum(c["sent"] for c in chats)
    report(f"producer -> graphic, {clients:,} chatting", latencies)
    report(f"chat requests -> ACK ({sent / took:,.0f}/s)", [ms for c in chats for ms in c["ack_ms"]])
    print(f"  {'':<44} graphic missing {missing}; requests unanswered {sum(c['unanswered'] for c in chats)}")
    return latencies


async def run_target(target: Target, args: argparse.Namespace) -> Figures:
    figures = Figures(target.name)
    crowd: Crowd | None = None
    try:
        await target.start()
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"\n== {target.describe()}\n  chat: {target.chat}\n  change: {target.change_words}")
        print(f"  machine load average (1, 5, 15 min): {load}", flush=True)
        latencies, missing = await producer_to_graphic(target, args.samples)
        figures.latency["idle"] = latencies
        report("producer -> graphic, no other clients", latencies)
        if args.reference:
            figures.latency["socketio"] = await through_socketio(target, args.samples)
        spec = {"port": target.port, "networks": args.networks, "flavour": target.flavour().spec(), "join": target.join}
        crowd = await Crowd.start(spec, args.workers)
        await settle(*target.pids)
        rss0 = rss_mib(*target.pids)
        for n in sorted({*args.phones, args.chat_clients}):
            connected = await crowd.ask("connect", upto=n)
            have = sum(c["connected"] for c in connected)
            failed = {k: v for c in connected for k, v in c["failed"].items()}
            await settle(*target.pids)
            rss = rss_mib(*target.pids)
            figures.rss_per_1000[n] = (rss - rss0) / max(1, have) * 1000
            print(
                f"  {have:,} phones connected{f' (failed: {failed})' if failed else ''}: RSS {rss0:.1f} -> "
                f"{rss:.1f} MiB, {figures.rss_per_1000[n]:.1f} MiB per 1,000 idle phones",
                flush=True,
            )
            if n in args.phones:
                latencies, missing = await producer_to_graphic(target, args.samples)
                figures.latency[f"{n} idle"] = latencies
                report(f"producer -> graphic, {n:,} idle phones", latencies)
                figures.last[n], figures.cpu_us[n] = await fanout(target, crowd, have, args.changes, args.idle_window)
            if n == args.chat_clients:
                figures.latency["chat"] = await chat_phase(target, crowd, n, args.chat_rate, args.samples)
    finally:
        if crowd is not None:
            await crowd.stop()
        await target.stop()
    for problem in sorted(set(target.problems)):
        print(f"  problem: {problem} ({target.problems.count(problem)} times)")
    return figures


def _p(values: list[float] | None, p: float) -> float | None:
    return percentile(sorted(values), p) if values else None


def summary(results: list[Figures], args: argparse.Namespace) -> None:
    """The figures side by side, and showcaller's ratios to the others."""
    by = {r.name: r for r in results}
    rows: list[tuple[str, dict[str, float | None]]] = []

    def row(label: str, get) -> None:
        rows.append((label, {name: get(r) for name, r in by.items()}))

    for phase, words in (
        ("idle", "no other clients"),
        ("socketio", "socketio client"),
        ("chat", f"{args.chat_clients:,} chatting"),
    ):
        row(f"producer -> graphic p50 ms, {words}", lambda r, k=phase: _p(r.latency.get(k), 50))
        row(f"producer -> graphic p99 ms, {words}", lambda r, k=phase: _p(r.latency.get(k), 99))
    for n in args.phones:
        row(f"producer -> graphic p50 ms, {n:,} phones", lambda r, n=n: _p(r.latency.get(f"{n} idle"), 50))
        row(f"producer -> graphic p99 ms, {n:,} phones", lambda r, n=n: _p(r.latency.get(f"{n} idle"), 99))
        row(f"CPU µs per recipient, {n:,} phones", lambda r, n=n: r.cpu_us.get(n))
        row(f"change -> last of {n:,}, p50 ms", lambda r, n=n: _p(r.last.get(n), 50))
        row(f"change -> last of {n:,}, max ms", lambda r, n=n: _p(r.last.get(n), 100))
        row(f"RSS MiB per 1,000 idle, {n:,} phones", lambda r, n=n: r.rss_per_1000.get(n))
    names = [s for s in SERVERS if s in by]
    others = [s for s in ("bare", "nodecg") if s in by and "showcaller" in by]
    print("\n== summary (ratios: showcaller / other; below 1 is showcaller ahead)")
    print(f"  {'figure':<46}" + "".join(f"{s:>12}" for s in names) + "".join(f"{'sc/' + s:>12}" for s in others))
    for label, values in rows:
        cells = "".join(f"{values[s]:>12.2f}" if values[s] is not None else f"{'-':>12}" for s in names)
        sc = values.get("showcaller")
        ratios = "".join(f"{sc / values[s]:>12.2f}" if sc is not None and values[s] else f"{'-':>12}" for s in others)
        print(f"  {label:<46}{cells}{ratios}")


def verdicts(results: list[Figures], args: argparse.Namespace) -> None:
    """showcaller's targets (issue 17), one line each, at the largest crowd measured."""
    sc = next((r for r in results if r.name == "showcaller"), None)
    if sc is None:
        return
    n = max(args.phones)
    print(f"\n== showcaller's targets (crowd: {n:,} phones)")
    for phase, words in (("idle", "no other clients"), (f"{n} idle", f"{n:,} phones connected")):
        values = sc.latency.get(phase)
        if values:
            verdict(f"producer -> overlay p50, {words}", _p(values, 50) or 0, 1.5, "ms")
            verdict(f"producer -> overlay p99, {words}", _p(values, 99) or 0, 5, "ms")
    if n in sc.cpu_us:
        verdict(f"server CPU per recipient per broadcast, {n:,} phones", sc.cpu_us[n], 20, "µs")
    if sc.last.get(n):
        verdict(f"one change -> last of {n:,} phones, max of {len(sc.last[n])}", max(sc.last[n]), 150, "ms")
    if n in sc.rss_per_1000:
        verdict(f"RSS per 1,000 idle phones, {n:,} phones", sc.rss_per_1000[n], 15, "MiB")


async def bench(args: argparse.Namespace) -> None:
    info = time.get_clock_info("perf_counter")
    if "CLOCK_MONOTONIC" not in info.implementation:
        raise SystemExit(f"time.perf_counter is {info.implementation}: phone processes' times would not compare")
    print(machine())
    print(
        f"fanout bench: phones {', '.join(f'{n:,}' for n in args.phones)} in {args.workers} process(es), "
        f"{args.samples} samples a latency phase, {args.changes} changes a crowd, {args.chat_clients:,} clients "
        f"chatting at {args.chat_rate:g}/s; clock {info.implementation}",
        flush=True,
    )
    results: list[Figures] = []
    loop = args.bare_loop
    with tempfile.TemporaryDirectory(prefix="showcaller-fanout-") as folder:
        tmp = Path(folder)
        for name in [s for s in SERVERS if s in args.servers]:
            if name == "showcaller":
                target: Target = Showcaller(tmp)
            elif name == "bare":
                target = Bare(tmp, "asyncio" if loop == "same" else loop)
            else:
                why = await asyncio.to_thread(fanout_nodecg.install)
                if why is not None:
                    print(f"\n== nodecg: skipped ({why})")
                    continue
                target = fanout_nodecg.Nodecg(tmp)
                try:  # a third party's server that does not start costs its column, not the run
                    results.append(await run_target(target, args))
                except (RuntimeError, OSError, TimeoutError, socketio.exceptions.ConnectionError) as exc:
                    print(f"\n== nodecg: skipped, it did not run ({exc})")
                continue
            results.append(await run_target(target, args))
            if isinstance(target, Showcaller) and loop == "same":
                loop = "uvloop" if target.loop == UVLOOP else "asyncio"
    summary(results, args)
    verdicts(results, args)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", default="1000,5000", help="crowd sizes, comma-separated")
    parser.add_argument("--samples", type=int, default=1000, help="producer -> graphic samples a phase")
    parser.add_argument("--servers", default=",".join(SERVERS), help="of " + ",".join(SERVERS))
    parser.add_argument("--changes", type=int, default=20, help="changes sent to each crowd")
    parser.add_argument("--chat-clients", type=int, default=1000)
    parser.add_argument("--chat-rate", type=float, default=500, help="chat requests a second, all clients together")
    parser.add_argument("--workers", type=int, default=2, help="processes running the phones")
    parser.add_argument("--networks", type=int, default=50, help="loopback source addresses the phones spread over")
    parser.add_argument(
        "--bare-loop", choices=("same", "asyncio", "uvloop"), default="same", help="same: as showcaller's server"
    )
    parser.add_argument(
        "--no-reference", dest="reference", action="store_false", help="skip the phase through python-socketio's client"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: 200 phones, 100 samples, 5 changes")
    args = parser.parse_args(argv)
    args.phones = sorted({int(n) for n in args.phones.split(",")})
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    args.idle_window = IDLE_WINDOW
    if args.quick:
        args.phones, args.samples, args.changes, args.idle_window = [200], 100, 5, 0.5
        args.chat_clients, args.chat_rate = 200, 100
    unknown = set(args.servers) - set(SERVERS)
    if unknown or not args.servers:
        parser.error(f"--servers: expected some of {', '.join(SERVERS)}, got {', '.join(sorted(unknown)) or 'none'}")
    if min(args.phones) < 1 or args.samples < 1 or args.changes < 1 or args.workers < 1:
        parser.error("--phones, --samples, --changes and --workers must be at least 1")
    return args


async def main() -> None:
    args = parse()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the servers and phone processes inherit it
    if hard < max(args.phones) + 1024:
        raise SystemExit(f"{max(args.phones)} phones need more open files than this system allows ({hard})")
    # A SIGTERM cancels the run as Ctrl-C does, so that the servers and phone processes are stopped.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    await bench(args)


if __name__ == "__main__":
    try:
        run_loop(main())
    except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C or SIGTERM, after the cleanup
        raise SystemExit("interrupted") from None
