"""The host's screen (`/host`): its own token, the producer's view (answers and the host's notes), nothing sent.

The notes may give the answer away: they are in the producer's view and nowhere else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from server.cli import urls_text
from server.configs.parse import parse_show
from server.i18n import strings
from server.log.store import EventLog
from server.transport.access import load_access
from tests.conftest import DEMO
from tests.transport.conftest import LiveShow
from tests.transport.test_permissions import EVERY_COMMAND, error_code, refusal, refusal_code
from tests.wording import vi

TURNS = 2  # "Kỹ năng số": kn-01 first, on Tam Kỳ's turn, with notes


async def host(live: LiveShow):
    return await live.client("/host", token=live.token("host"))


def notes_anywhere(view: Any) -> list[str]:
    """Every key path named ``notes`` in a view."""
    found: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                if key == "notes":
                    found.append(f"{path}.{key}")
                walk(child, f"{path}.{key}")
        elif isinstance(value, list):
            for index, child in enumerate(value):
                walk(child, f"{path}[{index}]")

    walk(view, "")
    return found


async def test_the_host_token_is_its_own(live: LiveShow) -> None:
    for auth in (
        {},
        {"token": ""},
        {"token": "nope"},
        {"token": live.token("producer")},
        {"token": live.token("team", "tam-ky")},
    ):
        reply = await refusal(live, "/host", auth)
        assert refusal_code(reply) == "unauthorized"
        assert "host" in reply["data"]["message"] and vi(reply["data"])
    # ...and the host's token opens nothing else.
    for namespace in ("/control", "/judge", "/team"):
        assert refusal_code(await refusal(live, namespace, {"token": live.token("host")})) == "unauthorized"
    screen = await host(live)
    assert screen.view["phase"] == "setup"
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {live.token('host')}"}
        async with http.post(f"{live.url}/api/v1/commands/start_show", json={}, headers=headers) as response:
            assert response.status == 401
    assert live.service.revision == 0


async def test_the_host_sees_the_producer_view_with_answer_and_notes(live: LiveShow) -> None:
    screen, producer, overlay = await host(live), await live.producer(), await live.overlay()
    config = live.service.config
    for event, payload in (("start_show", {}), ("goto_segment", {"index": TURNS}), ("show_question", {})):
        assert (await producer.call(event, payload))["ok"]
    rev = live.service.revision
    await screen.wait_for(lambda: screen.rev == rev)
    await overlay.wait_for(lambda: overlay.rev == rev)
    question = screen.view["question"]
    qconf = config.questions[question["id"]]
    assert question["answer"] == qconf.answer is not None
    assert question["notes"] == qconf.notes and qconf.notes
    assert screen.view["segment"]["notes"] == config.rundown[TURNS].notes and config.rundown[TURNS].notes
    assert question["turn"] == "tam-ky"
    assert screen.view == producer.view  # the same view, kept by the same patches
    # Nobody else sees the notes: not the overlays and team pads, the judges, nor the phones.
    judge = await live.judge("gk-1")
    audience = await live.client("/audience", device="host-test-phone")
    for client in (overlay, judge, audience):
        assert notes_anywhere(client.view) == [], client.namespace
    assert overlay.view["question"]["answer"] is None
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{live.url}/api/v1/state") as response:
            assert notes_anywhere(await response.json()) == []
    # A buzz reaches the host as it happens.
    steal = await live.team("dien-ban")
    assert (await producer.call("open_answers"))["ok"]
    assert (await producer.call("judge_answer", {"team": "tam-ky", "correct": False}))["ok"]
    assert (await steal.call("buzz"))["ok"]
    await screen.wait_for(lambda: [b["team"] for b in screen.view["question"]["buzzes"]] == ["dien-ban"])
    assert screen.view["question"]["answers"]["tam-ky"]["correct"] is False


async def test_the_host_sends_no_commands(live: LiveShow) -> None:
    screen = await host(live)
    revision = live.service.revision
    # A sample of every kind (the producer's, a pad's, a judge's, a phone's, the desk's own, none): a
    # screen's burst of events is limited like any other client's.
    sample = ["start_show", "show_question", "undo", "judge_answer", "buzz", "submit_scores", "vote"]
    assert set(sample) <= set(EVERY_COMMAND)
    for event in [*sample, "obs_take", "season_confirm", "nope"]:
        reply = await screen.call(event, {})
        assert error_code(reply) == "read_only", (event, reply)
        assert event in reply["error"]["message"] and vi(reply["error"])
    assert live.service.revision == revision
    assert (await screen.call("sync"))["rev"] == revision
    assert (await screen.call("time"))["server_time"] > 0


async def test_the_page_refuses_a_wrong_token(live: LiveShow) -> None:
    vi = strings("vi")
    # A jar that keeps an IP address's cookies, as a browser does: a token link signs in by cookie.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        for query in ("", "?token=nope", f"?token={live.token('producer')}"):
            async with http.get(f"{live.url}/host{query}") as response:
                text = await response.text()
                assert response.status == 403, query
                assert vi["host.unauthorized"] in text and "host.js" not in text
        async with http.get(f"{live.url}/host?token={live.token('host')}&lang=en") as response:
            text = await response.text()
            assert response.status == 200 and "/controller/host.js" in text
            assert strings("en")["host.title"] in text


def test_the_host_token_comes_from_the_environment_or_is_kept(tmp_path: Path) -> None:
    config = parse_show(DEMO.read_text(encoding="utf-8"), DEMO)
    log = EventLog(tmp_path / "show.db")
    generated = load_access(config, log, {}).token("host")
    assert len(generated) >= 16 and load_access(config, log, {}).token("host") == generated
    access = load_access(config, log, {"SHOWCALLER_TOKEN_HOST": "host-from-env-123"})
    assert access.token("host") == "host-from-env-123" and access.actor("host-from-env-123").role == "host"
    assert load_access(config, log, {}).token("host") == "host-from-env-123"  # kept in the database
    text = urls_text(access, config, "http://127.0.0.1:8080", tmp_path / "show.db")
    assert "http://127.0.0.1:8080/host?token=host-from-env-123" in text
    fixed = parse_show(DEMO.read_text(encoding="utf-8") + "\ntokens:\n  host: host-fixed-token-1\n", DEMO)
    assert load_access(fixed, EventLog(tmp_path / "other.db"), {}).token("host") == "host-fixed-token-1"
    log.close()
