"""Producer command -> overlay client sees the new revision: p50/p99/max over 1,000 commands.

Run: python bench/latency.py [--commands 1000] [--idle 2000]
The server runs as its own process (as on air) with synchronous=FULL, so each command is
fsync'ed before its ACK. Measured with no extra clients, then with ``--idle`` idle phones
connected to /audience (raw Engine.IO websockets that answer pings, so the bench process
stays light). Also prints the cost of the durable commit alone.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import aiohttp
import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEMO = ROOT / "show_configs" / "quang-nam-2024-qualifier.yaml"
TOKEN = "bench-producer-token"

from tests.processes import free_port, server_pid, stop, until_healthy  # noqa: E402


async def start_server(db: Path, port: int, config: Path = DEMO) -> subprocess.Popen:
    env = {**os.environ, "SHOWCALLER_TOKEN_PRODUCER": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "run", str(config), "--db", str(db), "--port", str(port), "--host=127.0.0.1"]
        + ["--phones-per-address=100000"],  # the idle phones are all new, all from 127.0.0.1
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await until_healthy(f"http://127.0.0.1:{port}", proc)
    return proc


async def idle_phone(http: aiohttp.ClientSession, port: int, n: int, ready: asyncio.Event, counter: list[int]) -> None:
    """A phone that connects to /audience and then only answers the server's pings."""
    async with http.ws_connect(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket") as ws:
        await ws.receive()  # engine.io open
        await ws.send_str(f'40/audience,{{"device":"bench-phone-{n:06d}"}}')
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            if message.data == "2":
                await ws.send_str("3")
            elif message.data.startswith("40/audience"):
                counter[0] += 1
                if counter[0] >= counter[1]:
                    ready.set()


def percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1))))]


async def measure(port: int, commands: int) -> list[float]:
    producer = socketio.AsyncClient()
    overlay = socketio.AsyncClient()
    seen: dict[int, float] = {}
    arrived = asyncio.Event()

    def on_patch(data: dict) -> None:
        seen[data["rev"]] = time.perf_counter()
        arrived.set()

    overlay.on("patch", on_patch, namespace="/overlay")
    url = f"http://127.0.0.1:{port}"
    await overlay.connect(url, namespaces=["/overlay"], transports=["websocket"])
    await producer.connect(url, namespaces=["/control"], auth={"token": TOKEN}, transports=["websocket"])
    ack = await producer.call("start_show", {}, namespace="/control")
    if not ack["ok"] and ack["error"]["code"] != "phase":
        raise SystemExit(ack)
    latencies = []
    for i in range(commands):
        start = time.perf_counter()
        ack = await producer.call(
            "adjust_score", {"team": "tam-ky", "points": 1, "reason": f"bench {i}"}, namespace="/control"
        )
        if not ack["ok"]:
            raise SystemExit(f"command refused: {ack}")
        rev = ack["rev"]
        while rev not in seen:
            arrived.clear()
            await arrived.wait()
        latencies.append((seen[rev] - start) * 1000)
        await asyncio.sleep(0.02)  # a busy producer's pace (the /control rate limit is 50/s sustained)
    await producer.disconnect()
    await overlay.disconnect()
    return latencies


def report(label: str, latencies: list[float]) -> None:
    values = sorted(latencies)
    print(
        f"{label:<34} p50 {percentile(values, 50):6.2f} ms   p99 {percentile(values, 99):6.2f} ms   "
        f"max {values[-1]:6.2f} ms   (n={len(values)})"
    )


def commit_cost() -> None:
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
            state, start = ShowState(), execute(config, ShowState(), c.StartShow(at=1))
            state = start[0]
            log.append(config.id, start[1])
            times = []
            for i in range(1000):
                state, action = execute(
                    config, state, c.AdjustScore(at=2 + i, team="a", points=Decimal(1), reason="bench")
                )
                t = time.perf_counter()
                log.append(config.id, action)
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            print(
                f"log append synchronous={mode:<4}            p50 {percentile(times, 50):6.3f} ms   "
                f"p99 {percentile(times, 99):6.3f} ms"
            )
            log.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--idle", type=int, default=2000)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.idle * 2 + 256)), hard))
    commit_cost()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server = await start_server(Path(tmp) / "bench.db", port)
        try:
            report("producer -> overlay, 0 idle", await measure(port, args.commands))
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
                ready, counter = asyncio.Event(), [0, args.idle]
                phones = []
                for n in range(args.idle):
                    phones.append(asyncio.create_task(idle_phone(http, port, n, ready, counter)))
                    if n % 100 == 99:
                        await asyncio.sleep(0.05)
                async with asyncio.timeout(120):
                    await ready.wait()
                rss = int(Path(f"/proc/{server_pid(server)}/status").read_text().split("VmRSS:")[1].split()[0]) // 1024
                print(f"{args.idle} idle phones connected; server RSS {rss} MiB")
                report(f"producer -> overlay, {args.idle} idle", await measure(port, args.commands))
                for task in phones:
                    task.cancel()
                await asyncio.gather(*phones, return_exceptions=True)
                phones.clear()
                gc.collect()  # release the cancelled sockets while the loop still runs
        finally:
            stop(server)


if __name__ == "__main__":
    asyncio.run(main())
