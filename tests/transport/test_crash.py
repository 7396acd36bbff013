"""SIGKILL the server at random moments mid-show (alone, which its keeper replaces, or with its keeper): nothing
acknowledged may be lost."""

from __future__ import annotations

import asyncio
import random
import signal
import socket
import time
from pathlib import Path

import aiohttp
import socketio

from tests.processes import ServerProcess

TOKEN = "crash-test-producer-token"


async def producer_get(url: str, path: str = "/api/v1/state") -> dict:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}{path}", headers={"Authorization": f"Bearer {TOKEN}"}) as response:
            body = await response.json()
            assert body["ok"], body
            return body


async def test_sigkill_loses_nothing_acknowledged(tmp_path: Path) -> None:
    rng = random.Random(2024)
    server = ServerProcess(tmp_path / "show.db", TOKEN)
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
            # Odd rounds kill the server alone, and its keeper starts a new one; even rounds kill both.
            if round_no % 2:
                server.kill_server()
            else:
                await server.kill()
            killed.set()
            await task
            down = time.time()
            if not round_no % 2:
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


async def test_a_restart_is_quick_and_the_clients_come_back(tmp_path: Path) -> None:
    """Stopping the server with OBS's overlays connected and a request half sent takes seconds (not
    aiohttp's minute of waiting for open connections); the overlay sees the disconnect and reconnects to
    the restarted server."""
    server = ServerProcess(tmp_path / "show.db", TOKEN)
    await server.start()
    overlay = socketio.AsyncClient(reconnection_delay=0.2, reconnection_delay_max=0.5)
    snapshots: list[dict] = []
    overlay.on("snapshot", snapshots.append, namespace="/overlay")
    await overlay.connect(server.url, namespaces=["/overlay"], transports=["websocket"])
    # A phone on a bad network: half its request sent, the rest never comes.
    phone = socket.create_connection(("127.0.0.1", server.port))
    head = b"POST /api/v1/commands/undo HTTP/1.1\r\nHost: hall\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n"
    phone.sendall(head)
    assert phone.recv(100).startswith(b"HTTP/1.1 100")  # the server is handling it
    phone.sendall(b"{")
    try:
        assert server.proc is not None
        started = time.monotonic()
        server.proc.send_signal(signal.SIGINT)
        server.proc.wait(timeout=10)
        assert time.monotonic() - started < 5
        await server.start()  # the same port
        deadline = time.monotonic() + 10
        # The snapshot can arrive before the client marks itself connected again: wait for both.
        while not (len(snapshots) == 2 and overlay.connected) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert len(snapshots) == 2 and overlay.connected
    finally:
        phone.close()
        await overlay.disconnect()
        server.stop()
