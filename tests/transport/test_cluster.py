"""Two server processes sharing a real redis-server: phones on both, one tally, overlays on either see it."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.core.votes import NOT_OPEN
from tests.conftest import DEMO
from tests.processes import RedisServer, free_port, run_server, stop
from tests.transport.conftest import ViewClient
from tests.transport.phones import RawPhone, crowd, phone_session

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "cluster-test-producer"


async def _start(config: Path, db: Path, port: int, *extra: str) -> subprocess.Popen:
    return await run_server(config, db, port, *extra, tokens={"PRODUCER": TOKEN})


@pytest.fixture
async def cluster(tmp_path: Path, redis: RedisServer) -> AsyncIterator[tuple[str, str]]:
    config = tmp_path / "show.yaml"
    shutil.copy(DEMO, config)
    shutil.copytree(DEMO.parent / "media", tmp_path / "media")
    owner_port, edge_port = free_port(), free_port()
    hall = ("--phones-per-address", "1000")  # every test phone comes from 127.0.0.1
    owner = await _start(config, tmp_path / "show.db", owner_port, "--redis", redis.url, "--owner", *hall)
    edge = await _start(config, tmp_path / "edge.db", edge_port, "--redis", redis.url, *hall)
    yield f"http://127.0.0.1:{owner_port}", f"http://127.0.0.1:{edge_port}"
    stop(edge, owner)


async def vote_when_open(phone, option: str, timeout: float = 10) -> dict:
    """Vote as soon as the phone's process knows the question is open (an edge learns it from the owner
    through Redis, a moment after the owner's ACK): retries while the answer is "no vote is open" or
    "busy" (the gate), and returns the first other answer."""
    deadline = time.monotonic() + timeout
    while True:
        ack = await phone.call("vote", {"option": option})
        error = ack.get("error") or {}
        waiting = error.get("code") == "busy" or error.get("key") == NOT_OPEN.key
        if not waiting or time.monotonic() > deadline:
            return ack
        await asyncio.sleep(0.05)


async def until_server_time(client: ViewClient, at: int, timeout: float = 10) -> None:
    """Wait until the server ``client`` is connected to says its clock reads ``at`` (ms) or later."""
    deadline = time.monotonic() + timeout
    while (now := (await client.call("time"))["server_time"]) < at:
        assert time.monotonic() < deadline, f"the server's clock reads {now}, still before {at}"
        await asyncio.sleep(0.05)


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
        choice = {p.device: "ABCD"[n % 4] for n, p in enumerate(here + there)}
        assert (await vote_when_open(there[0], choice[there[0].device]))["ok"]  # the edge knows it is open
        acks = await asyncio.gather(*(p.call("vote", {"option": choice[p.device]}) for p in here + there[1:]))
        assert all(a["ok"] for a in acks), [a for a in acks if not a["ok"]][:3]
        # One vote per phone across processes: a phone that voted on the owner, now on the edge.
        moved = await RawPhone(http, edge_url, here[0].device).connect()
        assert not any(name == "identity" for name, _ in moved.events)  # the edge verified it: the same phone
        refused = await moved.call("vote", {"option": "B"})
        assert refused["error"]["message"] == "this phone has already voted on this question"
        mine = await moved.call("mine")
        assert mine["vote"]["option"] == choice[here[0].device]
        expected = {"counts": dict(Counter(choice.values())), "total": 600}
        for overlay in overlays:
            counted = lambda overlay=overlay: overlay.view["question"]["tally"]["total"] == 600  # noqa: E731
            await overlay.wait_for(counted, timeout=10)
            assert overlay.view["question"]["tally"] == expected
        # Closed on the owner: the edge refuses later votes too.
        assert (await producer.call("close_answers"))["ok"]
        await overlays[1].wait_for(lambda: overlays[1].view["question"]["phase"] == "closed")
        (late,) = await crowd(http, edge_url, 1, prefix="late-phone")
        assert (await late.call("vote", {"option": "A"}))["ok"] is False
        for phone in [*here, *there, moved, late]:
            await phone.close()
    for client in (producer, *overlays):
        await client.close()


async def test_the_show_goes_on_while_redis_is_away(cluster: tuple[str, str], redis: RedisServer, tmp_path: Path):
    """Redis stops mid-question: votes are refused in words, the owner's show and overlays go on, each
    process logs the outage once (not a traceback a second); Redis restarts empty: votes count again."""
    owner_url, edge_url = cluster
    producer = await ViewClient(owner_url, "/control", {"token": TOKEN}).connect()
    steps = (("start_show", {}), ("goto_segment", {"index": 4}), ("show_question", {}), ("open_answers", {}))
    for event, payload in steps:
        assert (await producer.call(event, payload))["ok"], event
    overlay = await ViewClient(owner_url, "/overlay").connect()
    async with phone_session() as http:
        first, second = await crowd(http, edge_url, 2, prefix="edge-phone")
        assert (await vote_when_open(first, "A"))["ok"]
        # The ACK came once the owner's log held the vote: a Redis that restarts empty loses none.
        await overlay.wait_for(lambda: overlay.view["question"]["tally"]["total"] == 1, timeout=5)

        redis.stop()
        refused = await second.call("vote", {"option": "B"})
        assert refused["error"]["code"] == "unavailable", refused
        assert refused["error"]["message"] == "votes can't be taken right now; try again in a moment"
        ack = await producer.call("adjust_score", {"team": "tam-ky", "points": 5, "reason": "mất kết nối Redis"})
        assert ack["ok"], ack
        score = lambda: next(t["score"] for t in overlay.view["teams"] if t["id"] == "tam-ky")  # noqa: E731
        await overlay.wait_for(lambda: score() == 5, timeout=3)
        # Votes keep coming while it is away, half a second apart by the owner's clock: an outage long enough
        # for every retry loop (0.5 s to 1 s apart) to go round a few times.
        away_since = (await producer.call("time"))["server_time"]
        for n in range(1, 6):
            assert (await second.call("vote", {"option": "B"}))["error"]["code"] == "unavailable"
            await until_server_time(producer, away_since + 500 * n)

        redis.start()  # empty: the owner writes the snapshots and the vote gate again
        deadline = time.monotonic() + 15
        while not (ack := await second.call("vote", {"option": "B"}))["ok"] and time.monotonic() < deadline:
            await asyncio.sleep(0.3)
        assert ack["ok"], ack
        await overlay.wait_for(lambda: overlay.view["question"]["tally"]["total"] == 2, timeout=5)
        for phone in (first, second):
            await phone.close()
    for client in (producer, overlay):
        await client.close()
    logs = sorted(tmp_path.glob("*.log"))  # run_server's: the database's name with .log
    assert [log.name for log in logs] == ["edge.log", "show.log"]
    for log in logs:
        text = log.read_text()
        assert "Traceback" not in text, text[-3000:]
        assert text.count("Redis away") <= 2 and text.count("Redis back") >= 1, text[-3000:]


async def _open_question(owner_url: str) -> tuple[ViewClient, ViewClient]:
    """The producer with the audience question open, and an overlay on the owner (the log's tally)."""
    producer = await ViewClient(owner_url, "/control", {"token": TOKEN}).connect()
    steps = (("start_show", {}), ("goto_segment", {"index": 4}), ("show_question", {}), ("open_answers", {}))
    for event, payload in steps:
        assert (await producer.call(event, payload))["ok"], event
    return producer, await ViewClient(owner_url, "/overlay").connect()


async def test_redis_restarted_empty_mid_poll_the_owner_still_tells_the_truth(
    cluster: tuple[str, str], redis: RedisServer
) -> None:
    """Votes on both processes, then Redis restarts empty: `mine` still shows every phone's vote, every
    re-vote is refused "already voted" (none told "ok"), and the tally equals the votes ACKed "ok"."""
    owner_url, edge_url = cluster
    producer, overlay = await _open_question(owner_url)
    async with phone_session() as http:
        phones = await crowd(http, owner_url, 40, prefix="owner") + await crowd(http, edge_url, 40, prefix="edge")
        choice = {p.device: "ABCD"[n % 4] for n, p in enumerate(phones)}
        first = [await vote_when_open(phones[-1], choice[phones[-1].device])]
        first += await asyncio.gather(*(p.call("vote", {"option": choice[p.device]}) for p in phones[:-1]))
        assert all(a["ok"] and "rev" in a for a in first), [a for a in first if not a["ok"]][:3]
        await overlay.wait_for(lambda: overlay.view["question"]["tally"]["total"] == 80, timeout=5)

        redis.stop()
        redis.start()  # empty: no ballots, no queue, no snapshots until the owner writes them again
        newcomer = await RawPhone(http, edge_url, "newcomer-0001").connect()
        deadline = time.monotonic() + 15  # until the owner has written the gate again ("busy" meanwhile)
        while not (ack := await newcomer.call("vote", {"option": "D"}))["ok"] and time.monotonic() < deadline:
            assert ack["error"]["code"] in ("busy", "unavailable", "rate_limited"), ack
            await asyncio.sleep(0.3)
        assert ack["ok"], ack
        for phone in phones:
            mine = await phone.call("mine")
            assert mine["ok"] and mine["vote"]["option"] == choice[phone.device], (phone.device, mine)
        again = await asyncio.gather(*(p.call("vote", {"option": "B"}) for p in [*phones, newcomer]))
        assert [a for a in again if a["ok"]] == []  # not one phone told "ok" for a vote the owner drops
        assert {a["error"]["key"] for a in again} == {"vote.already_voted"}, again[:3]
        accepted = sum(a["ok"] for a in [*first, ack])
        await overlay.wait_for(lambda: overlay.view["question"]["tally"]["total"] == accepted, timeout=5)
        assert overlay.view["question"]["tally"]["counts"] == dict(Counter([*choice.values(), "D"]))
        for phone in [*phones, newcomer]:
            await phone.close()
    for client in (producer, overlay):
        await client.close()


async def test_an_acked_vote_survives_redis_dying_right_after_the_ack(
    cluster: tuple[str, str], redis: RedisServer
) -> None:
    """The ACK comes once the owner's log holds the vote, so Redis killed the moment after loses nothing."""
    owner_url, edge_url = cluster
    producer, overlay = await _open_question(owner_url)
    async with phone_session() as http:
        (phone,) = await crowd(http, edge_url, 1, prefix="edge")
        ack = await vote_when_open(phone, "C")
        redis.kill()
        assert ack["ok"] and ack["option"] == "C" and ack["rev"] > 0, ack
        await overlay.wait_for(lambda: overlay.view["question"]["tally"]["total"] == 1, timeout=5)
        assert overlay.view["question"]["tally"]["counts"] == {"C": 1}
        assert (await producer.call("close_answers"))["ok"]  # the show goes on without Redis
        await overlay.wait_for(lambda: overlay.view["question"]["phase"] == "closed", timeout=5)
        assert overlay.view["question"]["tally"] == {"counts": {"C": 1}, "total": 1}
        await phone.close()
    for client in (producer, overlay):
        await client.close()
