"""The audience at full size: 5,000 phones held, a question reaching all of them, the votes a second the
server acknowledges (a closed loop), and the desk's latency through a flat-out burst of votes.

Run: python bench/audience.py [--phones 5000] [--clients 2] [--networks 100] [--hold 30]
                              [--levels 1,16,64,256,1024] [--level-seconds 3] [--desk-samples 1000]
                              [--processes 1 --redis URL]
The server runs as its own process (as on air, ``--no-obs``) on a temp copy of the demo show. The phones
run in ``--clients`` worker processes (bench/crowd.py: a bare asyncio protocol, a few microseconds a
message); the producer (/control) and an overlay (/overlay) are the bench's own socket.io clients in this
process (``Peer``, bench/fanout_wire.py; the overlay keeps its view from its patches: bench/servers.py).

1. Phones held: connect ``--phones`` phones, hold them ``--hold`` s while the producer sends
   ``adjust_score`` every 25 ms (producer -> overlay with the phones connected and idle: they get nothing
   from it), count those still connected; the server's RSS before and after the phones.
2. A question reaching the phones, on every poll of the run: from sending ``show_question``
   (``reset_question`` once the round's questions are used up: a new ballot box) and ``open_answers`` to
   each phone's first patch of that command's revision (or a later one); the last phone of each poll.
3. Capacity: a closed loop at each of ``--levels`` votes outstanding across all phones (each lane sends
   the next phone's vote once the previous ACK came; a phone votes once per poll), polls until the level
   has voted ``--level-seconds`` (two polls at least): the ACKed votes a second achieved (first send ->
   last ACK of each poll) and the ACK latency.
4. Flat-out burst: polls back to back, every phone voting at once in each, while the producer sends
   ``adjust_score`` every 30 ms, until ``--desk-samples`` of them were sent while votes were in flight:
   producer -> the overlay's patch of that revision.
The producer's commands go on the clock, not after the previous one's ACK: a slow spell gets its share
of samples.
Every poll is closed and the server's tally (GET /api/v1/state) checked against the accepted votes.

With ``--processes N --redis URL`` the show runs as in docs/deploy.md: one owner (the producer and
the overlay connect there) and N-1 edges, the phones spread round-robin over all N (or the edges only,
``--phones-on edges``); the show gets an id of its own for the run and its keys are removed from Redis
at the end (Redis's own CPU shows under "others").

The server limits votes and joins per network address (server/transport/namespaces/audience.py: 200
votes/s with a burst of 5,000) and per phone (2 events/s, a burst of 10), and new phones' identities per
address (``--phones-per-address``; the bench raises it to each address's share of the phones, all new
to the show). The phones bind ``--networks`` loopback source addresses; refusals are counted, never
taken as ACKed votes.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import secrets
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.crowd import Crowd, run_loop  # noqa: E402
from bench.measure import CpuMeter, machine, percentile, progress, report, rss_mib, verdict  # noqa: E402
from bench.servers import (  # noqa: E402, F401 (bench/soak.py imports these from here)
    TEAM,
    Desk,
    Server,
    audience_count,
    copy_show,
    forget_redis_keys,
    start_servers,
)

# Seconds between the producer's commands, on the clock: under /control's 50 a second, with room for the
# polls' own commands during the burst.
DESK_EVERY, DESK_EVERY_IDLE = 0.03, 0.025
LOOP_SECONDS = 15  # a closed loop's poll stops sending by then: the round's timer (20 s) closes it
MIN_LEVEL_POLLS, MAX_LEVEL_POLLS = 2, 20
# A phone may send 2 events a second (a burst of 10): its polls' votes start at least this far apart, so
# that no vote is refused for its pace (a hall votes once per question, tens of seconds apart).
POLL_EVERY = 0.6
QUESTION_MS, DESK_P50_MS, DESK_P99_MS, BURST_P99_MS, BURST_MAX_MS = 250, 1.5, 5, 10, 50
VOTES_PER_S, MIB_PER_1000 = 10_000, 15


class Pace:
    """Holds each poll's votes back until ``POLL_EVERY`` s after the previous poll's started."""

    def __init__(self) -> None:
        self.last = 0.0

    async def next(self) -> float:
        await asyncio.sleep(max(0.0, self.last + POLL_EVERY - time.perf_counter()))
        self.last = time.perf_counter()
        return self.last


class Reach:
    """How fast each poll reached the phones: every phone's time, the last phone's per command, and the
    last phone's after the command's ACK (which the server sends once every phone's frame is written: a
    long wait after it would be the bench's phones lagging)."""

    def __init__(self) -> None:
        self.every: dict[str, list[float]] = {"shown": [], "open": []}
        self.last: dict[str, list[float]] = {"shown": [], "open": []}
        self.after_ack: list[float] = []
        self.missing = 0

    async def timed(self, crowd: Crowd, kind: str, send: Callable[[], Awaitable[Timed]]) -> None:
        """Arm the phones, run ``send()`` (the command), collect each phone's first patch of its revision."""
        await crowd.ask("arm")
        sent, acked, rev = await send()
        replies = await crowd.ask("collect", rev=rev, timeout=10)
        times = [(t - sent) * 1000 for r in replies for t in r["times"]]
        self.every[kind] += times
        self.missing += sum(r["missing"] for r in replies)
        if times:
            self.last[kind].append(max(times))
            self.after_ack.append(max(times) - (acked - sent) * 1000)


Timed = tuple[float, float, int]  # a command: when it was sent, when its ACK came, its revision


async def timed_command(desk: Desk, name: str) -> Timed:
    """Send a producer command; see ``Timed``."""
    sent = time.perf_counter()
    ack = await desk.command(name)
    return sent, time.perf_counter(), ack["rev"]


async def new_poll(desk: Desk, crowd: Crowd, reach: Reach) -> None:
    """Show the round's next question (or play the last one again as a new ballot box) and open it."""

    async def show() -> Timed:
        sent = time.perf_counter()
        ack = await desk.call("show_question")
        if ack["ok"]:
            return sent, time.perf_counter(), ack["rev"]
        return await timed_command(desk, "reset_question")  # the round's questions are used up

    await reach.timed(crowd, "shown", show)
    await reach.timed(crowd, "open", lambda: timed_command(desk, "open_answers"))


async def close_poll(desk: Desk, http: aiohttp.ClientSession, votes: list[dict[str, Any]]) -> dict[str, Any]:
    """Close the poll; its votes summed over the workers, and whether the server's tally agrees."""
    await desk.command("close_answers", tolerated="phase")  # "phase": the timer closed it first
    tally = await desk.tally(http)
    codes = sum((Counter(r["codes"]) for r in votes), Counter())
    options = sum((Counter(r["options"]) for r in votes), Counter())
    sent = [r for r in votes if r["last_ack"]]
    first = min((r["first_send"] for r in sent), default=0.0)
    last = max((r["last_ack"] for r in sent), default=0.0)
    return {
        "codes": codes,
        "accepted": codes["ok"],
        "acks": [ms for r in votes for ms in r["latencies"]],
        "window": (first, last),
        "tally_ok": tally["total"] == codes["ok"] and {k: v for k, v in tally["counts"].items() if v} == options,
    }


def share(total: int, parts: int) -> list[int]:
    """``total`` split over ``parts`` as evenly as whole numbers go."""
    return [total * (w + 1) // parts - total * w // parts for w in range(parts)]


async def capacity(
    args: argparse.Namespace, desk: Desk, crowd: Crowd, http: aiohttp.ClientSession, meter: CpuMeter, reach: Reach
) -> list[dict[str, Any]]:
    """The closed loop at each level: every poll's votes, per level."""
    levels, pace = [], Pace()
    for lanes in args.levels:
        progress(f"closed loop, {lanes} votes in flight")
        polls: list[dict[str, Any]] = []
        while len(polls) < MIN_LEVEL_POLLS or (
            sum(p["window"][1] - p["window"][0] for p in polls) < args.level_seconds and len(polls) < MAX_LEVEL_POLLS
        ):
            await new_poll(desk, crowd, reach)
            fields = [
                {"lanes": n, "votes": args.phones, "seconds": LOOP_SECONDS, "question": len(reach.last["open"])}
                for n in share(lanes, args.clients)
            ]
            gc.collect()
            await pace.next()
            meter.begin()
            votes = await crowd.ask_each("loop", fields)
            meter.end(f"closed loop, {lanes} in flight")
            polls.append(await close_poll(desk, http, votes))
        levels.append({"lanes": lanes, "polls": polls})
    return levels


async def burst(
    args: argparse.Namespace, desk: Desk, crowd: Crowd, http: aiohttp.ClientSession, meter: CpuMeter, reach: Reach
) -> dict[str, Any]:
    """Polls back to back, every phone voting at once, while the producer works; until enough of the
    producer's commands were sent while votes were in flight (or ``--burst-max`` s)."""
    progress("flat-out burst with the producer at work")
    polls: list[dict[str, Any]] = []
    pace = Pace()
    done = asyncio.Event()
    sent: dict[int, float] = {}
    gc.collect()
    meter.begin()
    started = time.perf_counter()
    producer = asyncio.create_task(desk.adjust_until(done, DESK_EVERY, sent))

    def in_votes() -> int:
        return sum(1 for t in sent.values() if any(a <= t <= b for a, b in (p["window"] for p in polls)))

    while in_votes() < args.desk_samples and time.perf_counter() - started < args.burst_max:
        await new_poll(desk, crowd, reach)
        votes = await crowd.ask("vote", rate=0, question=len(reach.last["open"]), start=await pace.next())
        polls.append(await close_poll(desk, http, votes))
        if producer.done():
            producer.result()  # a refused command: say so now
    done.set()
    samples = await producer
    meter.end(f"flat-out burst, {len(polls)} polls, desk")
    windows = [p["window"] for p in polls]
    during = [ms for t, ms in samples if any(a <= t <= b for a, b in windows)]
    between = [ms for t, ms in samples if not any(a <= t <= b for a, b in windows)]
    return {"polls": polls, "during": during, "between": between, "seconds": time.perf_counter() - started}


async def measure(args: argparse.Namespace, servers: list[Server], crowd: Crowd, desk: Desk) -> dict[str, Any]:
    r: dict[str, Any] = {"rss_before": sum(rss_mib(*s.pids) for s in servers)}
    meter = r["meter"] = CpuMeter(
        {"server": [pid for s in servers for pid in s.pids], "phones": crowd.pids, "bench": [os.getpid()]}
    )
    progress(f"connecting {args.phones} phones")
    connected = await crowd.ask("connect")
    meter.end(f"connect {args.phones} phones")
    r["joined"] = sum(c["connected"] for c in connected)
    r["failed"] = sum((Counter(c["failed"]) for c in connected), Counter())
    r["seconds"] = max(c["seconds"] for c in connected)
    gc.collect()
    gc.freeze()
    gc.disable()  # this process times the server too: no collector pauses of its own while it does
    try:
        progress(f"holding them {args.hold:g} s, the producer at work")
        done = asyncio.Event()
        asyncio.get_running_loop().call_later(args.hold, done.set)
        r["idle_desk"] = await desk.adjust_until(done, DESK_EVERY_IDLE, {})
        r["alive"] = sum(c["alive"] for c in await crowd.ask("alive"))
        meter.end(f"hold {args.hold:g} s (idle), desk")
        r["rss_after"] = sum(rss_mib(*s.pids) for s in servers)
        async with aiohttp.ClientSession() as http:
            r["counted"] = await audience_count(http, servers)
            r["reach"] = Reach()
            for _ in range(3):  # the round's questions on idle phones first
                await new_poll(desk, crowd, r["reach"])
                await desk.command("close_answers")
            r["levels"] = await capacity(args, desk, crowd, http, meter, r["reach"])
            r["burst"] = await burst(args, desk, crowd, http, meter, r["reach"])
    finally:
        gc.enable()
    return r


def print_held(args: argparse.Namespace, r: dict[str, Any]) -> None:
    per_thousand = (r["rss_after"] - r["rss_before"]) / max(1, r["joined"]) * 1000
    print("\n1. phones held")
    failed = f" (failed: {dict(r['failed'])})" if r["failed"] else ""
    print(
        f"  connected {r['joined']}/{args.phones} in {r['seconds']:.1f} s{failed}; after {args.hold:g} s idle: "
        f"{r['alive']} still connected, the server counts {r['counted']}"
    )
    print(f"  server RSS {r['rss_before']:.1f} MiB before the phones, {r['rss_after']:.1f} MiB after")
    verdict(f"server memory per 1,000 idle phones ({r['joined']} held)", per_thousand, MIB_PER_1000, "MiB")
    idle = [ms for _, ms in r["idle_desk"] if ms is not None]
    missing = sum(1 for _, ms in r["idle_desk"] if ms is None)
    report(f"producer -> overlay, {r['joined']} phones idle", idle)
    print(
        f"  (adjust_score every {DESK_EVERY_IDLE * 1000:.0f} ms: the phones get nothing of it; the overlay missed "
        f"{missing})"
    )
    if idle:
        values = sorted(idle)
        verdict(f"producer -> overlay p50, {r['joined']} phones idle", percentile(values, 50), DESK_P50_MS, "ms")
        verdict(f"producer -> overlay p99, {r['joined']} phones idle", percentile(values, 99), DESK_P99_MS, "ms")


def print_reach(reach: Reach, phones: int) -> None:
    polls = len(reach.last["open"])
    print(f"\n2. a question reaching the phones ({polls} polls: command sent -> each phone's patch of it)")
    report("show/reset_question -> poll shown, each phone", reach.every["shown"])
    report("show/reset_question -> the last phone", reach.last["shown"])
    report("open_answers -> poll open, each phone", reach.every["open"])
    report("open_answers -> the last phone", reach.last["open"])
    report("  the last phone after the command's ACK", reach.after_ack)
    print(f"  phones that never saw it (within 10 s): {reach.missing}")
    worst = max(reach.last["shown"], default=float("inf")) if not reach.missing else float("inf")
    verdict(f"question on the last of {phones} phones, worst of {polls} polls", worst, QUESTION_MS, "ms")
    worst = max(reach.last["open"], default=float("inf")) if not reach.missing else float("inf")
    verdict(f"answers open on the last of {phones} phones, worst of {polls} polls", worst, QUESTION_MS, "ms")


def print_capacity(levels: list[dict[str, Any]], processes: int) -> float:
    print("\n3. capacity: closed loop, N votes outstanding across all phones (one vote per phone per poll)")
    print(f"  {'in flight':>9} {'polls':>6} {'accepted':>9} {'ACKed/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    best, exact = 0.0, True
    for level in levels:
        polls = level["polls"]
        accepted = sum(p["accepted"] for p in polls)
        took = sum(p["window"][1] - p["window"][0] for p in polls)
        rate = accepted / took if took > 0 else 0.0
        best = max(best, rate)
        acks = sorted(ms for p in polls for ms in p["acks"])
        refused = sum((p["codes"] for p in polls), Counter())
        del refused["ok"]
        exact = exact and all(p["tally_ok"] for p in polls)
        figures = f"{percentile(acks, 50):8.2f} {percentile(acks, 99):8.2f} {acks[-1]:8.2f}" if acks else "no ACKs"
        refusals = ", ".join(f"{c} {n}" for c, n in sorted(refused.items())) or "none"
        print(
            f"  {level['lanes']:>9} {len(polls):>6} {accepted:>9} {rate:>9,.0f} {figures} (n={len(acks)}; "
            f"refused: {refusals})"
        )
    print(f"  server tallies = accepted votes in every poll: {'yes' if exact else 'NO'}")
    # One `run` is the show's own process and its phones process (both measured); a cluster is N runs.
    servers = "one `run`" if processes == 1 else f"{processes} `run`s sharing Redis"
    verdict(f"ACKed votes/s, {servers} (best closed-loop level)", best, VOTES_PER_S, "votes/s", at_least=True)
    return best


def print_burst(b: dict[str, Any], phones: int) -> None:
    polls = b["polls"]
    accepted = sum(p["accepted"] for p in polls)
    took = sum(p["window"][1] - p["window"][0] for p in polls)
    refused = sum((p["codes"] for p in polls), Counter())
    del refused["ok"]
    refusals = ", ".join(f"{c} {n}" for c, n in sorted(refused.items())) or "none"
    print(f"\n4. flat-out burst: {len(polls)} polls back to back in {b['seconds']:.0f} s, every phone voting at once")
    print(
        f"  {accepted} votes accepted at {accepted / took if took else 0:,.0f}/s while in flight (refused: "
        f"{refusals}); server tallies = accepted: {'yes' if all(p['tally_ok'] for p in polls) else 'NO'}"
    )
    report("vote -> ACK, flat out", [ms for p in polls for ms in p["acks"]])
    during = [ms for ms in b["during"] if ms is not None]
    report("producer -> overlay, sent while votes in flight", during)
    report("producer -> overlay, between polls", [ms for ms in b["between"] if ms is not None])
    missing = sum(1 for ms in b["during"] + b["between"] if ms is None)
    print(f"  overlay patches that never came (within 5 s): {missing}")
    values = sorted(during) if not missing else [float("inf")]
    if values:
        label = f"producer -> overlay while {phones} phones vote flat out"
        verdict(f"{label}, p99 (n={len(during)})", percentile(values, 99), BURST_P99_MS, "ms")
        verdict(f"{label}, max (n={len(during)})", values[-1], BURST_MAX_MS, "ms")


async def bench(args: argparse.Namespace, tmp: Path) -> None:
    show_id = f"bench-{secrets.token_hex(4)}"
    config = copy_show(tmp, show_id)
    servers: list[Server] = []
    crowd: Crowd | None = None
    desk: Desk | None = None
    try:
        # Every bench phone is new to the show: each address's allowance covers its share (a venue NAT).
        per_address = max(100, -(-args.phones // args.networks))
        servers = await start_servers(tmp, config, args.processes, args.redis, per_address)
        desk = Desk(servers[0].url)
        await desk.connect()
        await desk.goto_audience_round()
        # docs/deploy.md: the desk (producer, overlay) on the owner, the phones on the edges.
        phone_servers = servers[1:] if len(servers) > 1 and args.phones_on == "edges" else servers
        crowd = await Crowd.start([s.url for s in phone_servers], args.phones, args.clients, args.networks)
        await crowd.ask("alive")  # started and answering: their imports don't count as connecting
        await asyncio.sleep(0.5)
        r = await measure(args, servers, crowd, desk)
    finally:
        if desk is not None:
            await desk.close()
        if crowd is not None:
            await crowd.stop()
        for server in servers:
            server.stop()
        if args.redis is not None:
            await forget_redis_keys(args.redis, show_id)
    print(
        f"\nshowcaller audience bench: {args.phones} phones in {args.clients} worker process(es), "
        f"{args.processes} `run`(s) (each: the show's process and its phones process), "
        f"{args.networks} network address(es)"
    )
    print_held(args, r)
    print_reach(r["reach"], r["joined"])
    print_capacity(r["levels"], args.processes)
    print_burst(r["burst"], r["joined"])
    r["meter"].print()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--phones", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=2, help="processes running the phones")
    parser.add_argument("--networks", type=int, default=100, help="source addresses the phones spread over")
    parser.add_argument("--hold", type=float, default=30, help="seconds the phones stay idle before counting")
    parser.add_argument(
        "--levels", default="1,16,64,256,1024", help="closed loop: votes outstanding across all phones, comma-separated"
    )
    parser.add_argument("--level-seconds", type=float, default=3, help="closed loop: seconds of votes per level")
    parser.add_argument(
        "--desk-samples", type=int, default=1000, help="flat-out burst: producer commands sent while votes fly"
    )
    parser.add_argument("--burst-max", type=float, default=180, help="flat-out burst: seconds at most")
    parser.add_argument("--processes", type=int, default=1, help="server processes (more need --redis)")
    parser.add_argument("--redis", default=None, help="Redis URL for the multi-process mode")
    parser.add_argument(
        "--phones-on", choices=("all", "edges"), default="all", help="several processes: phones on all, or edges only"
    )
    args = parser.parse_args()
    args.levels = [int(n) for n in args.levels.split(",")]
    if args.phones < 1 or args.clients < 1 or not 1 <= args.networks <= 60000 or min(args.levels) < 1:
        raise SystemExit("expected --phones, --clients, --levels >= 1 and --networks from 1 to 60000")
    if args.processes < 1 or (args.processes > 1 and args.redis is None):
        raise SystemExit("--processes N > 1 needs --redis URL (the edges share the owner's emits through Redis)")
    return args


async def main() -> None:
    args = parse_args()
    print(machine())
    print(f"load average before the run: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the servers and phone processes inherit it
    if hard < args.phones + 1024:
        raise SystemExit(f"{args.phones} phones need more open files than this system's limit ({hard})")
    # A SIGTERM cancels the run like Ctrl-C does, so the servers and phone processes are still stopped.
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    with tempfile.TemporaryDirectory(prefix="showcaller-bench-") as tmp:
        await bench(args, Path(tmp))


if __name__ == "__main__":
    try:
        run_loop(main())
    except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C or SIGTERM, after the cleanup
        raise SystemExit("interrupted") from None
