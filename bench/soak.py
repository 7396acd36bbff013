"""A long show under a steady crowd: does the server's memory stay flat?

Run: python bench/soak.py [--minutes 30] [--phones 1000] [--votes 100] [--command-every 0.2]
One ``python -m server run`` process (``--no-obs``) on a temp copy of the demo show, in its audience
round. ``--phones`` phones (bench/audience.py's phone processes) stay connected throughout; the round's
question is played over and over (shown or reset as a new ballot box, opened, every phone votes once,
paced at ``--votes`` a second, closed) while the producer sends ``adjust_score`` every
``--command-every`` seconds. The server's RSS is printed every minute; at the end, the growth from the
end of the warm-up (the first ``--warmup`` minutes) to the last minute, against the ±10 % target.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp  # noqa: E402

from audience import TEAM, Crowd, Desk, audience_count, copy_show, rss_mib, start_servers  # noqa: E402


async def producer(desk: Desk, every: float, stop: asyncio.Event, counts: dict[str, int]) -> None:
    """The desk at work: a score adjustment every ``every`` seconds, each acknowledged."""
    while not stop.is_set():
        await desk.command("adjust_score", {"team": TEAM, "points": 1, "reason": "soak"})
        counts["commands"] += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


async def polls(desk: Desk, crowd: Crowd, rate: float, stop: asyncio.Event, counts: dict[str, int]) -> None:
    """The audience question played again and again, every phone voting once per poll at ``rate``/s."""
    number = 0
    while not stop.is_set():
        ack = await desk.call("show_question")
        if not ack["ok"]:  # the round's questions are used up: the last one again, as a new ballot box
            await desk.command("reset_question")
        await desk.command("open_answers")
        await desk.command("start_timer", {"duration_ms": 3_600_000})  # the pace, not the round's timer
        votes = await crowd.ask("vote", rate=rate, question=number, start=time.perf_counter() + 0.1)
        counts["votes"] += sum(sum(n for code, n in r["codes"].items() if code == "ok") for r in votes)
        await desk.command("close_answers", tolerated="phase")
        counts["polls"] += 1
        number += 1


async def soak(args: argparse.Namespace, tmp: Path) -> None:
    config = copy_show(tmp, f"soak-{secrets.token_hex(4)}")
    networks = 50  # the phones' source addresses; each one's allowance covers its share of new phones
    servers = await start_servers(tmp, config, 1, None, max(100, -(-args.phones // networks)))
    server = servers[0]
    desk = Desk(server.url)
    crowd: Crowd | None = None
    try:
        await desk.connect()
        await desk.command("start_show")
        rundown = (await desk.call("sync"))["view"]["rundown"]
        await desk.command("goto_segment", {"index": next(s["index"] for s in rundown if s["round"] == "audience")})
        crowd = await Crowd.start([server.url], args.phones, args.clients, networks=networks)
        connected = sum(r["connected"] for r in await crowd.ask("connect"))
        print(f"{connected} phones connected; server RSS {rss_mib(*server.pids):.0f} MiB")
        counts = {"commands": 0, "votes": 0, "polls": 0}
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(producer(desk, args.command_every, stop, counts)),
            asyncio.create_task(polls(desk, crowd, args.votes, stop, counts)),
        ]
        rss: list[float] = []
        print(f"{'minute':>6} {'RSS MiB':>8} {'commands':>9} {'votes':>8} {'polls':>6} {'phones':>7}")
        async with aiohttp.ClientSession() as http:
            for minute in range(1, args.minutes + 1):
                await asyncio.sleep(60)
                for task in tasks:
                    if task.done():
                        task.result()  # a refused command or a dead phone process: say so now
                rss.append(rss_mib(*server.pids))
                phones = await audience_count(http, servers)  # as the server counts them
                row = f"{counts['commands']:>9} {counts['votes']:>8} {counts['polls']:>6} {phones:>7}"
                print(f"{minute:>6} {rss[-1]:>8.1f} {row}", flush=True)
        stop.set()
        await asyncio.gather(*tasks)
        warm = rss[min(args.warmup, len(rss)) - 1]
        growth = (rss[-1] - warm) / warm * 100
        print(
            f"RSS after {args.warmup} min warm-up {warm:.1f} MiB, at the end {rss[-1]:.1f} MiB ({growth:+.1f} %), "
            f"peak {max(rss):.1f} MiB; target within ±10 %: {'met' if abs(growth) <= 10 else 'MISSED'}"
        )
    finally:
        await desk.close()
        if crowd is not None:
            await crowd.stop()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3, help="minutes before the memory is taken as settled")
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--votes", type=float, default=100, help="votes a second, all phones together")
    parser.add_argument("--command-every", type=float, default=0.2, help="seconds between producer commands")
    parser.add_argument("--clients", type=int, default=1, help="processes running the phones")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(soak(args, Path(tmp)))


if __name__ == "__main__":
    main()
