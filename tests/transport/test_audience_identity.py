"""Phones' identities: the server issues them, signed; a phone votes only as the identity it was issued,
a forged one gets a new identity, and one network address mints no more than its allowance."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from server.transport.identity import PHONES_PER_ADDRESS, PhoneIds
from tests.conftest import DEMO
from tests.processes import ROOT, free_port, stop, until_healthy
from tests.transport.conftest import LiveShow, ViewClient
from tests.transport.phones import RawPhone, crowd, phone_session
from tests.transport.test_audience import identity, open_question, tallied

TOKEN = "identity-test-producer"


async def test_a_forged_identity_gets_a_new_one_and_cannot_vote_as_the_one_it_claimed(live: LiveShow) -> None:
    await open_question(live)
    owner = await live.client("/audience", device="my-own-random-id")
    issued = identity(owner)
    assert issued.startswith("ph-") and issued != "my-own-random-id"
    assert (await owner.call("vote", {"option": "A", "nickname": "Lan"}))["ok"]

    ident, signature = issued.split(".")
    other_show = PhoneIds(b"0" * 64, live.service.config.id).issue().split(".")[1]  # signed with another secret
    for claim in (f"{ident}.{signature[:-1]}{'B' if signature[-1] != 'B' else 'C'}", f"{ident}.{other_show}", ident):
        forger = await live.client("/audience", device=claim)
        fresh = identity(forger)  # a new identity, never the one it claimed
        assert fresh != issued and not fresh.startswith(ident)
        assert (await forger.call("mine"))["vote"] is None  # not the claimed phone's ballot
        ack = await forger.call("vote", {"option": "B"})  # counts as the new identity only
        assert ack["ok"] and ack["option"] == "B", ack
        await forger.close()
    await tallied(live, 4)
    ballots = live.service.state.ballots["kg-01#0"]
    assert ballots[issued].option == "A" and ballots[issued].nickname == "Lan"  # untouched
    assert Counter(b.option for b in ballots.values()) == {"A": 1, "B": 3}


async def test_one_address_cannot_mint_more_identities_than_its_allowance(live: LiveShow) -> None:
    """A script minting identities from one address gets the default allowance, then `rate_limited`;
    a phone that already has its identity still joins (it mints nothing)."""
    async with phone_session() as http:
        early = await RawPhone(http, live.url, "first-phone-0001").connect()
        started = time.monotonic()
        attempts = await crowd(http, live.url, PHONES_PER_ADDRESS + 100, prefix="script")
        refilled = (time.monotonic() - started) * max(1, PHONES_PER_ADDRESS / 60)
        refusals = [data for p in attempts for name, data in p.events if name == "connect_error"]
        minted = len(attempts) - len(refusals)
        # The allowance less the early phone's, plus what refilled (1.7 a second) while the script ran.
        assert PHONES_PER_ADDRESS - 1 <= minted <= PHONES_PER_ADDRESS + refilled + 1, (minted, refilled)
        assert len(refusals) >= 90
        assert {r["data"]["code"] for r in refusals} == {"rate_limited"}
        assert {r["data"]["key"] for r in refusals} == {"wire.joins_limited"}
        back = await RawPhone(http, live.url, early.device).connect()  # its own identity: admitted
        assert not any(name in ("connect_error", "identity") for name, _ in back.events)
        for phone in [early, back, *attempts]:
            await phone.close()


async def test_2000_phones_behind_one_address_join_and_vote_with_the_allowance_raised(tmp_path: Path) -> None:
    """``run --phones-per-address 2000``: a hall of 2,000 phones behind one NAT (all 127.0.0.1 here)."""
    config = tmp_path / "show.yaml"
    shutil.copy(DEMO, config)
    shutil.copytree(DEMO.parent / "media", tmp_path / "media")
    port, log = free_port(), tmp_path / "server.log"
    argv = [sys.executable, "-m", "server", "run", str(config), "--db", str(tmp_path / "show.db"), "--no-obs"]
    argv += ["--port", str(port), "--host", "127.0.0.1", "--phones-per-address", "2000"]
    env = {**os.environ, "SHOWCALLER_TOKEN_PRODUCER": TOKEN}
    with log.open("w") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        await until_healthy(url, proc, log)
        producer = await ViewClient(url, "/control", {"token": TOKEN}).connect()
        for event in ("start_show", "goto_segment", "show_question", "open_answers"):
            assert (await producer.call(event, {"index": 4} if event == "goto_segment" else {}))["ok"], event
        async with phone_session() as http:
            phones = await crowd(http, url, 2000, prefix="hall")
            assert not [data for p in phones for name, data in p.events if name == "connect_error"][:3]
            assert len({p.device for p in phones}) == 2000 and all(p.device.startswith("ph-") for p in phones)
            acks = await asyncio.gather(*(p.call("vote", {"option": "ABCD"[n % 4]}) for n, p in enumerate(phones)))
            assert all(a["ok"] for a in acks), [a for a in acks if not a["ok"]][:3]
            await producer.wait_for(lambda: producer.view["question"]["tally"]["total"] == 2000, timeout=10)
            assert producer.view["question"]["tally"]["counts"] == {o: 500 for o in "ABCD"}
            for phone in phones:
                await phone.close()
        await producer.close()
    finally:
        stop(proc)
