"""The Tây Ninh launch event end to end: a hall quiz with no teams, no judges and no OBS.

``python -m server run show_configs/tay-ninh-launch.yaml`` runs in its own process; the producer
drives it over /control, twenty phones answer through the real /audience namespace, and the hall
screen's view (/overlay, what ``/screen`` draws) shows the question, the tally, the answer and the
winners, then the results at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from server.app import Settings, create_app
from server.configs import ConfigError, load_show
from tests.processes import ROOT, free_port, stop, until_healthy
from tests.transport.conftest import ViewClient
from tests.transport.phones import RawPhone, phone_session

LAUNCH = ROOT / "show_configs" / "tay-ninh-launch.yaml"
TOKEN = "launch-event-producer-token"
PHONES = 20
RIGHT = 12  # phones answering B, the right answer of cds-01; the rest spread over A, C, D


@contextlib.asynccontextmanager
async def launch_server(tmp_path: Path) -> AsyncIterator[str]:
    """``python -m server run`` of the launch config on loopback; its URL."""
    port = free_port()
    log = tmp_path / "launch.log"
    cmd = [sys.executable, "-m", "server", "run", str(LAUNCH), "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--db", str(tmp_path / "launch.db")]
    env = {**os.environ, "SHOWCALLER_TOKEN_PRODUCER": TOKEN}
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        await until_healthy(url, proc, log, timeout=20)
        yield url
    finally:
        stop(proc)


async def command(producer: ViewClient, event: str, **payload) -> None:
    ack = await producer.call(event, payload)
    assert ack["ok"], (event, ack)


def test_the_launch_config_checks() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "server", "check", str(LAUNCH)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "teams (0): none" in result.stdout and "judges (0): none" in result.stdout
    config = load_show(LAUNCH)
    assert config.obs is None and not config.teams and not config.judges
    assert {s.round.value for s in config.rundown} == {"audience"}
    assert 6 <= sum(1 for q in config.questions.values() if q.answer) <= 10


def test_only_an_audience_show_may_have_no_teams(tmp_path: Path) -> None:
    text = LAUNCH.read_text(encoding="utf-8").replace("round: audience", "round: buzzer", 1)
    broken = tmp_path / "no-teams.yaml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_show(broken)
    assert any("(top): missing required key 'teams'" in e for e in caught.value.errors), caught.value.errors
    empty = tmp_path / "empty-teams.yaml"
    empty.write_text(text.replace("rundown:", "teams: []\nrundown:", 1), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_show(empty)
    assert any("teams: expected at least 1 item(s), got 0" in e for e in caught.value.errors), caught.value.errors


async def test_the_launch_event_runs_end_to_end(tmp_path: Path) -> None:
    async with launch_server(tmp_path) as url, phone_session() as http:
        await _pages(http, url)
        producer = await ViewClient(url, "/control", {"token": TOKEN}).connect()
        screen = await ViewClient(url, "/overlay").connect()
        phones = [await RawPhone(http, url, f"hall-phone-{n:04d}").connect() for n in range(PHONES)]
        try:
            await command(producer, "start_show")
            await screen.wait_for(
                lambda: screen.view["phase"] == "live" and screen.view["segment"]["id"] == "chao-mung"
            )
            await command(producer, "goto_segment", index=1)
            await command(producer, "show_question")
            await command(producer, "open_answers")
            await screen.wait_for(lambda: (screen.view["question"] or {}).get("phase") == "open")
            assert screen.view["question"]["id"] == "cds-01" and screen.view["timer"]["running"]
            assert screen.view["question"]["answer"] is None

            # The first right answers in order (each waits for its ACK), then the rest at once.
            for n in range(RIGHT):
                ack = await phones[n].call("vote", {"option": "b", "nickname": f"Bạn số {n}"})
                assert ack["ok"] and ack["option"] == "B", ack
            others = [
                phones[n].call("vote", {"option": "ACD"[n % 3], "nickname": f"Bạn số {n}"})
                for n in range(RIGHT, PHONES)
            ]
            assert all(ack["ok"] for ack in await asyncio.gather(*others))
            again = await phones[0].call("vote", {"option": "A"})
            assert not again["ok"] and "already voted" in again["error"]["message"], again

            await command(producer, "close_answers")
            await screen.wait_for(lambda: screen.view["question"]["phase"] == "closed")
            tally = screen.view["question"]["tally"]
            assert tally["total"] == PHONES and tally["counts"]["B"] == RIGHT, tally

            await command(producer, "reveal_answer")
            await screen.wait_for(lambda: screen.view["question"]["phase"] == "revealed")
            question = screen.view["question"]
            assert question["answer"] == "B"
            assert [w["nickname"] for w in question["winners"]] == ["Bạn số 0", "Bạn số 1", "Bạn số 2"]
            assert screen.view["audience_winners"][-1]["question"] == "cds-01"

            # The lucky question draws five winners among the right answers (the server seeds the draw).
            await command(producer, "goto_segment", index=3)
            await command(producer, "show_question")
            await command(producer, "open_answers")
            await screen.wait_for(lambda: (screen.view["question"] or {}).get("phase") == "open")
            votes = [
                p.call("vote", {"option": "B" if n % 2 else "C", "nickname": f"Bạn số {n}"})
                for n, p in enumerate(phones)
            ]
            assert all(ack["ok"] for ack in await asyncio.gather(*votes))
            await command(producer, "close_answers")
            await command(producer, "reveal_answer")
            await screen.wait_for(lambda: screen.view["question"]["phase"] == "revealed")
            drawn = [w["nickname"] for w in screen.view["question"]["winners"]]
            assert len(drawn) == len(set(drawn)) == 5
            assert all(int(name.rsplit(" ", 1)[1]) % 2 for name in drawn), drawn  # only right answers win

            await command(producer, "end_show")
            await screen.wait_for(lambda: screen.view["phase"] == "ended")
            results = {entry["question"]: entry["winners"] for entry in screen.view["audience_winners"]}
            assert set(results) == {"cds-01", "mm-01"} and len(results["mm-01"]) == 5
            assert screen.view["teams"] == [] and screen.view["standings"] == []
        finally:
            for phone in phones:
                await phone.close()
            await screen.close()
            await producer.close()


async def _pages(http: aiohttp.ClientSession, url: str) -> None:
    """The hall screen's page and the QR code it shows; a wall size it can't lay out for is refused."""
    async with http.get(f"{url}/screen?w=3840&h=1080") as response:
        assert response.status == 200
        html = await response.text()
        assert "Tuổi trẻ Tây Ninh tiên phong chuyển đổi số" in html and "/screen/static/screen.js" in html
    async with http.get(f"{url}/join.svg") as response:
        assert response.status == 200 and response.content_type == "image/svg+xml"
    for query, message in [
        ("w=abc&h=1080", "w: expected a whole number of pixels from 64 to 16384, got 'abc'"),
        ("w=3840", "give both w and h"),
        ("aspect=wide", "aspect: expected width:height as whole numbers"),
        ("aspect=20:1", "between 1:4 and 16:1"),
    ]:
        async with http.get(f"{url}/screen?{query}") as response:
            assert response.status == 400, query
            assert message in await response.text(), query
    async with http.get(f"{url}/screen/static/screen.js") as response:
        assert response.status == 200


@pytest.mark.parametrize("query", ["w=²&h=100", "aspect=²:9", "w=٣٠٠&h=200"])
async def test_the_hall_screen_refuses_digits_that_are_not_ascii(aiohttp_client, show_files, query: str) -> None:
    config, db = show_files
    client = await aiohttp_client(create_app(Settings(config_path=config, db_path=db, host="127.0.0.1")))
    response = await client.get(f"/screen?{query}")
    assert response.status == 400 and "/screen:" in await response.text()
