"""SIGKILL the server at random moments mid-show: nothing acknowledged may be lost."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import socketio

from tests.conftest import DEMO
from tests.processes import free_port, until_healthy

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "crash-test-producer-token"


class ServerProcess:
    def __init__(self, db: Path) -> None:
        self.db = db
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        env = {**os.environ, "SHOWCALLER_TOKEN_PRODUCER": TOKEN}
        cmd = [sys.executable, "-m", "server", "run", str(DEMO), "--db", str(self.db), "--port", str(self.port)]
        with open(self.db.with_suffix(".log"), "ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log)
        await until_healthy(self.url, self.proc, self.db.with_suffix(".log"), timeout=20)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


async def producer_get(url: str, path: str = "/api/v1/state") -> dict:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}{path}", headers={"Authorization": f"Bearer {TOKEN}"}) as response:
            body = await response.json()
            assert body["ok"], body
            return body


async def test_sigkill_loses_nothing_acknowledged(tmp_path: Path) -> None:
    rng = random.Random(2024)
    server = ServerProcess(tmp_path / "show.db")
    await server.start()
    client = socketio.AsyncClient(reconnection=True, reconnection_delay=0.1, reconnection_delay_max=0.5)
    snapshots: list[int] = []
    client.on("snapshot", lambda data: snapshots.append(data["rev"]), namespace="/control")
    await client.connect(server.url, namespaces=["/control"], auth={"token": TOKEN}, transports=["websocket"])
    acked: list[str] = []
    try:
        # Set the scene: a question open in the turns round, and a running timer.
        for event, payload in [
            ("start_show", {}),
            ("goto_segment", {"index": 2}),
            ("show_question", {}),
            ("open_answers", {}),
            ("start_timer", {"duration_ms": 600_000}),
        ]:
            assert (await client.call(event, payload, namespace="/control"))["ok"]
        before = (await producer_get(server.url))["view"]
        timer = before["timer"]
        assert timer["running"] and before["question"]["phase"] == "open"

        for round_no in range(8):
            killed = asyncio.Event()

            async def send_until_dead(round_no: int, killed: asyncio.Event) -> None:
                i = 0
                while not killed.is_set():
                    reason = f"round {round_no} command {i}"
                    try:
                        ack = await client.call(
                            "adjust_score",
                            {"team": "tam-ky", "points": 1, "reason": reason},
                            namespace="/control",
                            timeout=1,
                        )
                    except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
                        await asyncio.sleep(0.02)
                        continue
                    if ack.get("ok"):
                        acked.append(reason)
                    i += 1

            task = asyncio.create_task(send_until_dead(round_no, killed))
            await asyncio.sleep(rng.uniform(0.05, 0.4))
            server.kill()
            killed.set()
            await task
            down = time.time()
            await server.start()
            # The client reconnects by itself and gets a fresh snapshot of the restarted show.
            async with asyncio.timeout(10):
                while not (client.connected and len(snapshots) >= round_no + 2):
                    await asyncio.sleep(0.05)
            state = await producer_get(server.url)
            reasons = {a["reason"] for a in (await producer_get(server.url, "/api/v1/awards"))["awards"]}
            lost = [r for r in acked if r not in reasons]
            assert not lost, f"acknowledged but lost after SIGKILL: {lost[:5]}"
            view = state["view"]
            assert view["question"]["phase"] == "open", "an open question must stay open"
            assert view["timer"]["running"] and view["timer"]["started_at"] == timer["started_at"]
            remaining = timer["remaining_ms"] - (state["server_time"] - timer["started_at"])
            assert 0 < remaining < 600_000 - (down - timer["started_at"] / 1000) * 1000 + 1000
        assert len(acked) > 50
        assert snapshots[-1] >= len(acked)
    finally:
        await client.disconnect()
        server.stop()
