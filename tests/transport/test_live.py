"""Live behaviour: timers expire on the server's clock, clients sync clocks and heal gaps."""

from __future__ import annotations

import time

import aiohttp
import pytest

from server.show import service, views
from server.transport import hub
from tests.transport.conftest import LiveShow
from tests.transport.test_permissions import refusal as refusal_of


async def test_expiry_closes_answers_for_everyone(live: LiveShow) -> None:
    producer, overlay = await live.producer(), await live.overlay()
    team = await live.team("tam-ky")
    for event, payload in [("start_show", {}), ("goto_segment", {"index": 3}), ("show_question", {})]:
        assert (await producer.call(event, payload))["ok"]
    assert (await producer.call("open_answers"))["ok"]
    assert (await producer.call("start_timer", {"duration_ms": 400}))["ok"]
    await overlay.wait_for(lambda: overlay.view["timer"]["running"])
    assert overlay.view["question"]["phase"] == "open"
    started = time.monotonic()
    await overlay.wait_for(lambda: overlay.view["question"]["phase"] == "closed", timeout=3)
    assert 0.2 < time.monotonic() - started < 1.5
    assert overlay.view["timer"] == {**overlay.view["timer"], "running": False, "remaining_ms": 0}
    late = await team.call("submit_answer", {"answer": "A"})
    assert late["ok"] is False and late["error"]["code"] == "phase"
    # The expiry is an action of its own, by the system, in the producer's audit panel.
    await producer.wait_for(lambda: any(e["by"] == "system" for e in producer.view["audit"].values()))


async def test_the_overlays_patch_leaves_before_anyone_is_asked_what_they_may_send(
    live: LiveShow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rules are asked what the pads, the producer and the judges may send only once the overlays' patch is
    on the wire; the overlays' view holds no ``can``, the pads' gets theirs right after."""
    producer, overlay, pad = await live.producer(), await live.overlay(), await live.team("tam-ky")
    order: list[str] = []
    written = hub.written

    def noting(socket, pkt):  # the frames a broadcast writes, by namespace ("2/overlay")
        order.append(pkt.data.split(",", 1)[0])
        return written(socket, pkt)

    def asked(name, real):
        return lambda *args, **kwargs: (order.append(name), real(*args, **kwargs))[1]

    monkeypatch.setattr(hub, "written", noting)
    monkeypatch.setattr(views, "team_can", asked("team_can", views.team_can))
    monkeypatch.setattr(views, "producer_can", asked("producer_can", views.producer_can))
    monkeypatch.setattr(service, "judges_can", asked("judges_can", service.judges_can))
    steps = [("start_show", {}), ("goto_segment", {"index": 3}), ("show_question", {}), ("open_answers", {})]
    for event, payload in steps:
        order.clear()
        assert (await producer.call(event, payload))["ok"]
        assert order[0] == "2/overlay" and {"team_can", "producer_can", "judges_can"} <= set(order), (event, order)
    await pad.wait_for(lambda: "tam-ky" in pad.view["can"]["submit_answer"])
    assert "can" not in overlay.view and "can_timed" not in overlay.view


async def test_clock_offset_and_server_time(live: LiveShow) -> None:
    overlay = await live.overlay()
    sent = time.time() * 1000
    reply = await overlay.call("time")
    received = time.time() * 1000
    assert reply["ok"] and sent - 50 <= reply["server_time"] <= received + 50
    snapshot = await overlay.call("sync")
    assert snapshot["ok"] and snapshot["rev"] == live.service.views["public"][0] and "server_time" in snapshot


async def test_a_client_that_misses_a_patch_resyncs(live: LiveShow) -> None:
    producer, overlay = await live.producer(), await live.overlay()
    assert (await producer.call("start_show"))["ok"]
    await overlay.wait_for(lambda: overlay.view["phase"] == "live")
    overlay.rev -= 1  # as if a patch had been lost on the way
    assert (await producer.call("adjust_score", {"team": "dien-ban", "points": 3, "reason": "kiểm tra"}))["ok"]
    await overlay.wait_for(lambda: overlay.resyncs == 1 and overlay.rev == live.service.views["public"][0])
    assert {t["id"]: t["score"] for t in overlay.view["teams"]}["dien-ban"] == 3


async def test_a_reconnecting_client_gets_a_fresh_snapshot(live: LiveShow) -> None:
    producer, overlay = await live.producer(), await live.overlay()
    await overlay.close()
    assert (await producer.call("start_show"))["ok"]
    assert (await producer.call("adjust_score", {"team": "tam-ky", "points": 5, "reason": "thưởng"}))["ok"]
    again = await live.overlay()
    assert again.view["phase"] == "live" and again.view["teams"][0]["score"] == 5
    assert again.rev == live.service.views["public"][0]


async def test_http_control_api(live: LiveShow) -> None:

    overlay = await live.overlay()
    headers = {"Authorization": f"Bearer {live.token('producer')}"}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{live.url}/api/v1/commands/start_show", headers=headers) as r:
            assert r.status == 200 and (await r.json())["ok"]
        body = {"team": "nam-tra-my", "points": -2.5, "reason": "vi phạm thời gian"}
        async with http.post(f"{live.url}/api/v1/commands/adjust_score", json=body, headers=headers) as r:
            reply = await r.json()
            assert r.status == 200 and reply["ok"] and reply["label"].startswith("-2.5 to Đội Huyện Nam Trà My")
        async with http.post(f"{live.url}/api/v1/commands/open_answers", headers=headers) as r:
            assert r.status == 409 and (await r.json())["error"]["code"] == "phase"
        async with http.post(f"{live.url}/api/v1/commands/goto_segment", json={"step": 1}, headers=headers) as r:
            assert r.status == 200
        async with http.get(f"{live.url}/api/v1/state", headers=headers) as r:
            state = await r.json()
            assert state["view"]["segment"]["index"] == 1 and "awards" in state["view"]
        async with http.get(f"{live.url}/api/v1/state") as r:
            public = await r.json()
            assert "awards" not in public["view"]
        async with http.get(f"{live.url}/healthz") as r:
            health = await r.json()
            assert health["ok"] and health["clients"]["overlays"] == 1
    await overlay.wait_for(lambda: overlay.view["segment"] and overlay.view["segment"]["index"] == 1)


async def test_the_same_tablet_reconnecting_replaces_itself(live: LiveShow) -> None:
    first = await live.team("tam-ky", pad="tablet-podium-1")
    # Its old connection has not timed out yet when the tablet comes back after a network drop.
    again = await live.team("tam-ky", pad="tablet-podium-1")
    await again.wait_for(lambda: not first.sio.connected or not first.sio.namespaces)
    assert "taken_over" not in [event for event, _ in first.events]
    refusal = await refusal_of(live, "/team", {"token": live.token("team", "tam-ky"), "pad": "another-tablet"})
    assert refusal["data"]["code"] == "in_use" and "take it over explicitly" in refusal["message"]
    assert (await again.call("buzz"))["error"]["code"] == "phase"


async def test_a_controllers_program_monitor_is_not_counted_as_an_overlay_on_air(live: LiveShow) -> None:
    await live.client("/overlay")  # OBS's browser source
    await live.client("/overlay", monitor=True)  # a controller's program monitor
    await live.client("/overlay", monitor="yes")  # anything but true is an ordinary overlay page
    async with aiohttp.ClientSession() as http, http.get(f"{live.url}/healthz") as r:
        clients = (await r.json())["clients"]
    assert clients["overlays"] == 2 and clients["monitors"] == 1
