"""The overlay pages' server side: routes, the join address and its QR code, the view keys they read."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from server.app import Settings, create_app
from server.core.config import OVERLAYS
from server.show.preview import sample_season
from server.transport.overlays import PUBLIC_URL, join_url, lan_address
from tests.conftest import DEMO
from tests.transport.conftest import LiveShow
from tests.wording import vi


def _boot(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="boot">(.*?)</script>', html, re.S)
    assert found, "the page carries its boot data"
    return json.loads(found.group(1))


async def test_every_overlay_and_the_program_have_a_page(live: LiveShow, aiohttp_client) -> None:
    client = await aiohttp_client(live.server)
    for name in (*OVERLAYS, "program"):
        response = await client.get(f"/overlay/{name}")
        assert response.status == 200, name
        boot = _boot(await response.text())
        assert boot["layers"] == (list(OVERLAYS) if name == "program" else [name])
        assert boot["preview"] is None and boot["logo"] == "/show/logo"
        assert all(key.startswith(("overlay.", "common.")) for key in boot["strings"])
    missing = await client.get("/overlay/nope")
    assert missing.status == 404
    assert "no overlay 'nope'; overlays: scoreboard, lower_third" in await missing.text()


async def test_preview_has_sample_data_for_every_layer(live: LiveShow, aiohttp_client) -> None:
    client = await aiohttp_client(live.server)
    boot = _boot(await (await client.get("/overlay/program?preview=1&on=judges,winner,nope")).text())
    assert set(boot["preview"]) == set(OVERLAYS)
    for view in boot["preview"].values():
        assert view["on_air"] == ["judges", "winner"]
        assert view["season"]["standings"] and view["lower_third"]["kind"] == "team"
    judged = boot["preview"]["judges"]["judged"]["chao-hoi"]
    assert set(judged["results"]) == {"tam-ky", "dien-ban", "nam-tra-my"}
    assert boot["preview"]["audience"]["question"]["tally"]["total"] > 0
    single = _boot(await (await client.get("/overlay/timer?preview=1")).text())
    assert single["preview"]["timer"]["timer"]["running"]
    assert single["preview"]["timer"]["on_air"] == list(OVERLAYS)


async def test_logo_qr_code_and_short_address(live: LiveShow, aiohttp_client) -> None:
    client = await aiohttp_client(live.server)
    logo = await client.get("/show/logo")
    assert logo.status == 200 and b"<svg" in await logo.read()
    qr = await client.get("/join.svg")
    assert qr.status == 200 and qr.content_type == "image/svg+xml"
    assert b"<svg" in await qr.read()
    hop = await client.get("/a?from=qr", allow_redirects=False)
    assert hop.status == 302 and hop.headers["Location"] == "/audience?from=qr"


async def test_a_question_picture_is_served_only_when_the_config_names_it(tmp_path: Path, aiohttp_client) -> None:
    config = tmp_path / "show.yaml"
    shutil.copy(DEMO.parent / "olympia-style.yaml", config)
    shutil.copytree(DEMO.parent / "media", tmp_path / "media")
    client = await aiohttp_client(create_app(Settings(config_path=config, db_path=tmp_path / "show.db")))
    picture = await client.get("/show/media/media/chuyen-doi-so.svg")
    assert picture.status == 200 and await picture.read() == (tmp_path / "media" / "chuyen-doi-so.svg").read_bytes()
    again = await client.get("/show/media/media/chuyen-doi-so.svg", headers={"If-None-Match": picture.headers["ETag"]})
    assert again.status == 304
    other = await client.get("/show/media/media/logo-quang-nam.svg")  # on disk, but no question's picture
    assert other.status == 404 and await other.text() == "no question of this show has that media file"


def _request(host: str, public: str | None = None, scheme: str = "http") -> web.Request:
    app = web.Application()
    app[PUBLIC_URL] = public
    headers = {"Host": host}
    if scheme == "https":
        headers["X-Forwarded-Proto"] = "https"
    return make_mocked_request("GET", "/overlay/audience", headers=headers, app=app)


@pytest.mark.parametrize(
    ("host", "public", "expected"),
    [
        ("192.168.1.20:8080", None, "http://192.168.1.20:8080/a"),
        ("vote.example.vn", None, "http://vote.example.vn/a"),
        ("127.0.0.1:8080", "https://vote.example.vn/", "https://vote.example.vn/a"),
        ("anything:1", "http://10.0.0.5:8080", "http://10.0.0.5:8080/a"),
    ],
)
def test_join_address(host: str, public: str | None, expected: str) -> None:
    assert join_url(_request(host, public)) == expected


def test_join_address_never_points_phones_at_loopback() -> None:
    lan = lan_address()
    for host in ("127.0.0.1:8080", "localhost:8080", "[::1]:8080"):
        assert join_url(_request(host)) == f"http://{lan}:8080/a"


async def test_public_url_setting_reaches_the_page(show_files, aiohttp_client) -> None:
    config, db = show_files
    app = create_app(Settings(config_path=config, db_path=db, public_url="https://vote.example.vn"))
    client = await aiohttp_client(app)
    boot = _boot(await (await client.get("/overlay/audience")).text())
    assert boot["join"] == {"url": "https://vote.example.vn/a", "short": "vote.example.vn/a", "qr": "/join.svg"}


async def test_overlays_see_the_strap_results_and_season(live: LiveShow) -> None:
    overlay, producer = await live.overlay(), await live.producer()
    assert (await producer.call("start_show"))["ok"]
    reply = await producer.call("show_lower_third", {"member": "db-2"})
    assert reply["ok"], reply
    await overlay.wait_for(lambda: overlay.view["lower_third"] is not None)
    assert overlay.view["lower_third"] == {
        "kind": "member",
        "name": "Võ Thị Ngọc Ánh",
        "title": "Thành viên — Đội Thị xã Điện Bàn",
        "subject": "db-2",
        "team": "dien-ban",
    }
    assert "lower_third" in overlay.view["on_air"]
    refused = await producer.call("show_lower_third", {"name": "<b></b>"})
    assert refused["error"]["code"] == "invalid" and vi(refused["error"])
    for judge in ("gk-1", "gk-2", "gk-3"):
        pad = await live.judge(judge)
        scores = {"noi-dung": 8, "hinh-thuc": 4, "an-tuong": 4}
        assert (await pad.call("submit_scores", {"team": "tam-ky", "scores": scores}))["ok"]
    assert (await producer.call("reveal_scores", {"team": "tam-ky"}))["ok"]
    await overlay.wait_for(lambda: overlay.view["judged"]["chao-hoi"]["results"])
    assert overlay.view["judged"]["chao-hoi"]["results"] == {"tam-ky": 16}
    assert overlay.view["season"] is None
    season = sample_season(live.service.config)
    live.service.set_season(season)
    await overlay.wait_for(lambda: overlay.view["season"] is not None)
    assert overlay.view["season"] == season
