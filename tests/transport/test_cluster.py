"""Two server processes sharing a real redis-server: phones on both, one tally, overlays on either see it."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.conftest import DEMO
from tests.processes import free_port, until_healthy
from tests.transport.conftest import ViewClient
from tests.transport.phones import crowd, phone_session

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "cluster-test-producer"


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    if shutil.which("redis-server") is None:
        message = "redis-server not found (apt-get install redis-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    port = free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


async def _start(config: Path, db: Path, port: int, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "SHOWCALLER_TOKEN_PRODUCER": TOKEN}
    with (db.parent / f"server-{port}.log").open("w") as log:  # the child keeps its own copy
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "run", str(config), "--db", str(db), "--port", str(port), "--no-obs"]
            + list(extra),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    await until_healthy(f"http://127.0.0.1:{port}", proc, db.parent / f"server-{port}.log")
    return proc


@pytest.fixture
async def cluster(tmp_path: Path, redis_url: str) -> AsyncIterator[tuple[str, str]]:
    config = tmp_path / "show.yaml"
    shutil.copy(DEMO, config)
    shutil.copytree(DEMO.parent / "media", tmp_path / "media")
    owner_port, edge_port = free_port(), free_port()
    owner = await _start(config, tmp_path / "show.db", owner_port, "--redis", redis_url, "--owner")
    edge = await _start(config, tmp_path / "edge.db", edge_port, "--redis", redis_url)
    yield f"http://127.0.0.1:{owner_port}", f"http://127.0.0.1:{edge_port}"
    for proc in (edge, owner):
        proc.terminate()
        proc.wait(10)


async def test_phones_on_two_processes_make_one_tally(cluster: tuple[str, str]) -> None:
    owner_url, edge_url = cluster
    producer = await ViewClient(owner_url, "/control", {"token": TOKEN}).connect()
    steps = (("start_show", {}), ("goto_segment", {"index": 4}), ("show_question", {}), ("open_answers", {}))
    for event, payload in steps:
        assert (await producer.call(event, payload))["ok"], event
    overlays = [await ViewClient(url, "/overlay").connect() for url in (owner_url, edge_url)]
    for overlay in overlays:  # the edge learns of the open question from the owner, through Redis
        await overlay.wait_for(lambda overlay=overlay: (overlay.view.get("question") or {}).get("phase") == "open")
    async with phone_session() as http:
        here = await crowd(http, owner_url, 300, prefix="owner-phone")
        there = await crowd(http, edge_url, 300, prefix="edge-phone")
        await asyncio.sleep(0.2)  # the edge's copy of the audience view is current
        choice = {p.device: "ABCD"[n % 4] for n, p in enumerate(here + there)}
        acks = await asyncio.gather(*(p.call("vote", {"option": choice[p.device]}) for p in here + there))
        assert all(a["ok"] for a in acks), [a for a in acks if not a["ok"]][:3]
        # One vote per phone across processes: a phone that voted on the owner, now on the edge.
        (moved,) = await crowd(http, edge_url, 1, prefix="owner-phone")
        refused = await moved.call("vote", {"option": "B"})
        assert refused["error"]["message"] == "this phone has already voted on this question"
        mine = await moved.call("mine")
        assert mine["vote"]["option"] == choice["owner-phone-000000"]
        expected = {"counts": dict(Counter(choice.values())), "total": 600}
        for overlay in overlays:
            counted = lambda overlay=overlay: overlay.view["question"]["tally"]["total"] == 600  # noqa: E731
            await overlay.wait_for(counted, timeout=10)
            assert overlay.view["question"]["tally"] == expected
        # Closed on the owner: the edge refuses later votes too.
        assert (await producer.call("close_answers"))["ok"]
        await overlays[1].wait_for(lambda: overlays[1].view["question"]["phase"] == "closed")
        (late,) = await crowd(http, edge_url, 1, prefix="late-phone")
        await asyncio.sleep(0.2)
        assert (await late.call("vote", {"option": "A"}))["ok"] is False
        for phone in [*here, *there, moved, late]:
            await phone.close()
    for client in (producer, *overlays):
        await client.close()
