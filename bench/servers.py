"""The show under test for the audience benches: ``python -m server run`` processes on a temp copy of the
demo show, and the desk (a producer on /control, an overlay on /overlay) that drives and watches it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.crowd import die_with_parent  # noqa: E402
from bench.fanout_wire import Peer  # noqa: E402
from server.show.patch import merge  # noqa: E402
from tests.processes import free_port, server_pids, until_healthy  # noqa: E402

DEMO = ROOT / "show_configs" / "quang-nam-2024-qualifier.yaml"
TOKEN = "bench-producer-token"
TEAM = "tam-ky"


def copy_show(tmp: Path, show_id: str) -> Path:
    """The demo config and its media in a temp folder, so the bench never touches the real ones; under
    a show id of its own, so that its keys in a shared Redis are new too."""
    shutil.copytree(DEMO.parent / "media", tmp / "media")
    original = DEMO.read_text(encoding="utf-8")
    text = original.replace("\n  id: quang-nam-2024-qualifier\n", f"\n  id: {show_id}\n", 1)
    if text == original:
        raise SystemExit(f"{DEMO}: expected the show id 'quang-nam-2024-qualifier' (show.id) to replace")
    config = tmp / DEMO.name
    config.write_text(text, encoding="utf-8")
    return config


async def forget_redis_keys(url: str, show_id: str) -> None:
    """Remove what the run left in Redis (its ballots, tallies, snapshots: all under the show's prefix)."""
    import redis.asyncio as aioredis

    from server.transport.cluster import Keys

    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{Keys(show_id).prefix}:*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


class Server:
    """One ``python -m server run`` process; its output goes to a log file in the temp folder."""

    def __init__(self, argv: list[str], port: int, log: Path) -> None:
        self.port, self.log = port, log
        self.url = f"http://127.0.0.1:{port}"
        with log.open("wb") as out:
            self.popen = subprocess.Popen(
                argv,
                cwd=ROOT,
                env={**os.environ, "SHOWCALLER_TOKEN_PRODUCER": TOKEN},
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )

    @property
    def pids(self) -> list[int]:
        """The server's own processes (not its keeper): the owner and the phones process, whose CPU and memory
        are the ones measured."""
        return server_pids(self.popen) or [self.popen.pid]

    async def wait_healthy(self) -> None:
        await until_healthy(self.url, self.popen, self.log)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def server_argv(config: Path, db: Path, port: int, redis: str | None, owner: bool, per_address: int) -> list[str]:
    """One process of the show, as docs/deploy.md runs them: alone, or with ``--redis`` the owner
    (``--owner``, with the show database) or an edge (phones and overlays; no database of its own).
    ``per_address``: new phones a source address may join at once (the bench's phones are all new)."""
    argv = [sys.executable, "-m", "server", "run", str(config), "--port", str(port), "--no-obs", "--host", "127.0.0.1"]
    argv += ["--phones-per-address", str(per_address)]
    if redis is None:
        return argv + ["--db", str(db)]
    return argv + ["--redis", redis] + (["--owner", "--db", str(db)] if owner else [])


async def start_servers(tmp: Path, config: Path, processes: int, redis: str | None, per_address: int) -> list[Server]:
    """``processes`` servers on their own ports; the first owns the show (the producer and the overlay
    use it). With ``--redis`` the owner starts first, then the edges."""
    db = tmp / "bench.db"
    servers: list[Server] = []
    for n in range(processes):
        port = free_port()
        argv = server_argv(config, db, port, redis, n == 0, per_address)
        server = Server(argv, port, tmp / f"server-{n}.log")
        servers.append(server)
        await server.wait_healthy()
    return servers


async def audience_count(http: aiohttp.ClientSession, servers: list[Server]) -> int:
    """Phones connected, as the servers count them."""
    total = 0
    for server in servers:
        async with http.get(f"{server.url}/healthz") as r:
            total += (await r.json())["clients"]["audience"]
    return total


class KeptView:
    """An overlay's view, kept as the overlays keep theirs (docs/protocol.md): replaced by a snapshot, a
    patch on the revision it has laid over it. ``changed(rev)`` once the view has a patch's revision."""

    def __init__(self, changed: Callable[[int], None]) -> None:
        self.changed = changed
        self.view: dict[str, Any] = {}
        self.rev = -1
        self.missed = 0  # patches that did not apply to the revision it had

    def listen(self, client: Any) -> None:
        """Keep the view from ``client``'s /overlay events."""
        client.on("snapshot", self.snapshot, namespace="/overlay")
        client.on("patch", self.patch, namespace="/overlay")

    def snapshot(self, data: dict[str, Any]) -> None:
        self.view, self.rev = data["view"], data["rev"]

    def patch(self, data: dict[str, Any]) -> None:
        if data["rev"] <= self.rev:
            return
        if data["base"] != self.rev:
            self.missed += 1
        self.view, self.rev = merge(self.view, data["patch"]), data["rev"]
        self.changed(data["rev"])


class Desk:
    """The producer on /control and an overlay on /overlay, both on the process that owns the show (the
    bench's own socket.io clients: ``Peer`` in bench/fanout_wire.py)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.producer = Peer()
        self.overlay = Peer()
        self.seen: dict[int, float] = {}  # revision -> when the overlay's view had it
        self.patched = asyncio.Event()  # set on each of the overlay's patches
        self.kept = KeptView(self._on_patch)
        self.kept.listen(self.overlay)

    def _on_patch(self, rev: int) -> None:
        self.seen[rev] = time.perf_counter()
        self.patched.set()

    async def connect(self) -> None:
        await self.overlay.connect(self.url, namespaces=["/overlay"], transports=["websocket"])
        await self.producer.connect(self.url, namespaces=["/control"], auth={"token": TOKEN}, transports=["websocket"])

    async def call(self, name: str, payload: dict | None = None) -> dict[str, Any]:
        return await self.producer.call(name, payload or {}, namespace="/control", timeout=10)

    async def command(self, name: str, payload: dict | None = None, tolerated: str = "") -> dict[str, Any]:
        ack = await self.call(name, payload)
        if not ack["ok"] and ack["error"]["code"] != tolerated:
            raise SystemExit(f"{name} refused: {ack}")
        return ack

    async def goto_audience_round(self) -> None:
        """Start the show and go to its audience round."""
        await self.command("start_show")
        rundown = (await self.call("sync"))["view"]["rundown"]
        await self.command("goto_segment", {"index": next(s["index"] for s in rundown if s["round"] == "audience")})

    async def adjust_until(
        self, done: asyncio.Event, every: float, sent: dict[int, float]
    ) -> list[tuple[float, float | None]]:
        """``adjust_score`` every ``every`` s until ``done``, on the clock, whether or not the previous one was
        answered (a producer does not click slower because the server is slow, and a slow spell must not
        get fewer samples); each one's revision and send time go into ``sent`` as its ACK comes. Returns,
        for each, when it was sent and the time to the overlay's patch of that revision (ms; None if it
        never came)."""

        async def one(start: float) -> None:
            ack = await self.command("adjust_score", {"team": TEAM, "points": 1, "reason": "bench"})
            sent[ack["rev"]] = start

        tasks: list[asyncio.Task] = []
        due = time.perf_counter()
        while not done.is_set():
            tasks.append(asyncio.create_task(one(time.perf_counter())))
            due += every
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), max(0.0, due - time.perf_counter()))
        await asyncio.gather(*tasks)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                while not all(rev in self.seen for rev in sent):
                    await asyncio.sleep(0.01)
        return [(t, (self.seen[rev] - t) * 1000 if rev in self.seen else None) for rev, t in sent.items()]

    async def tally(self, http: aiohttp.ClientSession) -> dict[str, Any]:
        """The question's tally as the server has it (the producer view over HTTP)."""
        async with http.get(f"{self.url}/api/v1/state", headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            return (await r.json())["view"]["question"]["tally"]

    async def close(self) -> None:
        if self.kept.missed:
            print(f"  problem: the overlay's view missed {self.kept.missed} patch(es)")
        for client in (self.producer, self.overlay):
            with contextlib.suppress(Exception):
                await client.disconnect()
