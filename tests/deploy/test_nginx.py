"""Through a real nginx running docs/nginx/ as shipped, over https with a self-signed certificate:
Chromium loads the controller, a team pad, an overlay and the phone page, and a phone's vote counts;
python-socketio accepts the page's own https origin and refuses a foreign one; the per-address limits
see each phone's own address (trusted proxy), and a peer that is no proxy cannot name another."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import expect

from server.app import Settings, create_app
from server.core import commands as c
from server.transport.keys import ACCESS, HUB, SERVICE
from tests.browser.conftest import screenshot
from tests.conftest import DEMO
from tests.deploy.conftest import Nginx
from tests.processes import RedisServer, free_port, printed_urls, run_server, server_pid, stop
from tests.transport.conftest import ViewClient
from tests.transport.phones import RawPhone
from tests.transport.test_phones_process import ATTACHED, LINKED, connections

TOKEN = "deploy-test-producer"
TEAM_TOKEN = "deploy-test-team-tam-ky"
SOCKET = "/socket.io/?EIO=4&transport=websocket"
OPEN_QUESTION = (c.StartShow(), c.GotoSegment(index=4), c.ShowQuestion(), c.OpenAnswers())


async def _context(browser, size=(1280, 800)):
    return await browser.new_context(ignore_https_errors=True, viewport={"width": size[0], "height": size[1]})


async def _page(context, url: str, ready: str = "live"):
    page = await context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    await page.goto(url)
    await page.wait_for_selector(f"body[data-status={ready}]", state="attached")
    return page


async def _desk_and_phone(browser, desk: str, public: str, producer: str, tag: str):
    """The controller, a team pad and the audience overlay from the desk, a phone from the public
    address (the QR code's /a): every page live over https through nginx."""
    desktop = await _context(browser)
    control = await _page(desktop, f"{desk}/control?token={producer}")
    pad = await _page(await _context(browser, (1024, 768)), f"{desk}/team?token={TEAM_TOKEN}")
    overlay = await _page(await _context(browser, (1920, 1080)), f"{desk}/overlay/audience")
    phone = await _page(await _context(browser, (390, 844)), f"{public}/a")
    assert phone.url == f"{public}/audience"
    for page, name in ((control, "control"), (pad, "team"), (overlay, "overlay"), (phone, "audience")):
        assert page.url.startswith("https://"), page.url
        await screenshot(page, f"deploy-{tag}-{name}")
    return control, pad, overlay, phone


async def _vote_counts(overlay, phone, tag: str) -> None:
    """The phone votes B on its page; the overlay's bar for B counts it."""
    button = phone.locator('#options button[data-option="B"]')
    await expect(button).to_be_enabled(timeout=10_000)
    await button.click()
    await expect(phone.locator("#options button.mine")).to_have_attribute("data-option", "B")
    await expect(overlay.locator('.bar[data-key="B"] .bar-count')).to_have_text("1", timeout=10_000)
    await screenshot(phone, f"deploy-{tag}-audience-voted")
    await screenshot(overlay, f"deploy-{tag}-overlay-voted")
    for page in (phone, overlay):
        assert not page.errors, page.errors


async def _air_the_vote(producer: ViewClient) -> None:
    """The producer opens the audience's question and puts its overlay on air (``OPEN_QUESTION`` over /control)."""
    steps = [("start_show", {}), ("goto_segment", {"index": 4}), ("show_question", {}), ("open_answers", {})]
    steps.append(("set_overlay", {"overlay": "audience", "visible": True}))
    for event, payload in steps:
        assert (await producer.call(event, payload))["ok"], event


def _session(source: str = "127.0.0.1", **headers: str) -> aiohttp.ClientSession:
    """HTTP from ``source`` (a 127.x.y.z address stands for another device), trusting our self-signed cert."""
    connector = aiohttp.TCPConnector(ssl=False, local_addr=(source, 0))
    return aiohttp.ClientSession(connector=connector, headers={k.replace("_", "-"): v for k, v in headers.items()})


async def _handshake(url: str, origin: str, source: str = "127.0.0.1", headers: dict | None = None) -> int:
    """The HTTP status of a socket.io websocket handshake from a browser page at ``origin``."""
    async with _session(source) as http:
        try:
            ws = await http.ws_connect(
                url.replace("http", "ws", 1) + SOCKET, headers={"Origin": origin, **(headers or {})}
            )
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status
        await ws.close()
        return 101


# -- one server process ---------------------------------------------------------------------------------


@pytest.fixture
async def single(aiohttp_server, show_files, nginx: Nginx, monkeypatch) -> AsyncIterator:
    """One server (this process, so the test can see its audience's addresses) behind showcaller.conf."""
    monkeypatch.setenv("SHOWCALLER_TOKEN_TEAM_TAM_KY", TEAM_TOKEN)
    config, db = show_files
    port, nginx_port = free_port(), free_port()
    settings = Settings(
        config_path=config,
        db_path=db,
        host="127.0.0.1",
        port=port,
        public_url=f"https://127.0.0.1:{nginx_port}",
        trusted_proxies=("127.0.0.1",),
    )
    app = create_app(settings)
    server = await aiohttp_server(app, host="127.0.0.1", port=port)
    nginx.start("showcaller.conf", {8080: port}, {443: nginx_port})
    yield app, server, nginx


async def test_pages_and_a_vote_through_nginx_with_one_process(single, browser) -> None:
    app, _, nginx = single
    url = nginx.url()
    _, _, overlay, phone = await _desk_and_phone(browser, url, url, app[ACCESS].token("producer"), "single")
    for command in (*OPEN_QUESTION, c.SetOverlay(overlay="audience", visible=True)):
        app[SERVICE].submit(command)
    await _vote_counts(overlay, phone, "single")
    audience = app[HUB].sio.namespace_handlers["/audience"]
    assert set(audience.addresses.values()) == {"127.0.0.1"}  # Chromium's, through nginx's X-Forwarded-For


async def test_origin_is_the_pages_own_behind_the_proxy(single) -> None:
    _, server, nginx = single
    url = nginx.url()
    assert await _handshake(url, url) == 101
    assert await _handshake(url, "https://evil.example.vn") == 400
    assert await _handshake(url, url.replace("https", "http", 1)) == 400  # the page is https
    direct = f"http://127.0.0.1:{server.port}"
    assert await _handshake(direct, direct, source="127.0.0.5") == 101
    # A peer that is no proxy cannot claim https (nor anything else) with X-Forwarded-Proto.
    https = direct.replace("http", "https", 1)
    assert await _handshake(direct, https, source="127.0.0.5", headers={"X-Forwarded-Proto": "https"}) == 400


async def test_each_phone_behind_the_proxy_is_its_own_address(single) -> None:
    app, server, nginx = single
    audience = app[HUB].sio.namespace_handlers["/audience"]
    spoof = {"X_Forwarded_For": "203.0.113.9"}
    # Two phones on two devices, through nginx; a third writes its own X-Forwarded-For (nginx appends
    # the real address, which the server takes); a fourth goes straight to the server and claims one.
    sessions = [_session("127.0.0.2"), _session("127.0.0.3"), _session("127.0.0.4", **spoof)]
    sessions.append(_session("127.0.0.5", **spoof))
    bases = [nginx.url()] * 3 + [f"http://127.0.0.1:{server.port}"]
    try:
        phones = [
            await RawPhone(session, base, f"phone-device-{n:04d}").connect()
            for n, (session, base) in enumerate(zip(sessions, bases, strict=True))
        ]
        assert sorted(audience.addresses.values()) == ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]
        assert {key[1] for key in audience.limits} == {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}
        for phone in phones:
            await phone.close()
    finally:
        for session in sessions:
            await session.close()


# -- an owner and an edge ----------------------------------------------------------------------------------


async def _process(config: Path, db: Path, port: int, *extra: str) -> subprocess.Popen:
    """``python -m server run`` in its own process on loopback, as docs/deploy.md starts each."""
    return await run_server(config, db, port, *extra, tokens={"PRODUCER": TOKEN, "TEAM_TAM_KY": TEAM_TOKEN})


async def test_pages_and_a_vote_through_nginx_with_an_owner_and_an_edge(
    tmp_path: Path, redis: RedisServer, nginx: Nginx, browser
) -> None:
    config = tmp_path / "show.yaml"
    shutil.copy(DEMO, config)
    shutil.copytree(DEMO.parent / "media", tmp_path / "media")
    public_port, desk_port, owner_port, edge_port = free_port(), free_port(), free_port(), free_port()
    common = ("--redis", redis.url, "--trusted-proxy", "127.0.0.1", "--public-url", f"https://127.0.0.1:{public_port}")
    desk_url = f"https://127.0.0.1:{desk_port}"
    owner = await _process(config, tmp_path / "show.db", owner_port, *common, "--owner", "--desk-url", desk_url)
    edge = await _process(config, tmp_path / "edge.db", edge_port, *common)
    try:
        # Both of the docs' edges are this one edge: one is enough to show the phones' path.
        upstreams = {8080: owner_port, 8081: edge_port, 8082: edge_port}
        nginx.start("showcaller-cluster.conf", upstreams, {443: public_port, 8443: desk_port})
        desk, public = nginx.url(8443), nginx.url(443)
        # The owner sends the desk's devices to the desk's address, and the phones to the edges'.
        printed = printed_urls((tmp_path / "show.log").read_text(encoding="utf-8"))
        assert printed["producer controller"] == f"{desk}/control?token={TOKEN}"
        assert printed["team Đội Thành phố Tam Kỳ"] == f"{desk}/team?token={TEAM_TOKEN}"
        assert printed["audience"] == f"{public}/audience"
        async with _session(Authorization=f"Bearer {TOKEN}") as http, http.get(f"{desk}/api/v1/pads") as listed:
            pads = (await listed.json())["pads"]
            assert pads and all(pad["url"].startswith(f"{desk}/") for pad in pads), pads
        _, _, overlay, phone = await _desk_and_phone(browser, desk, public, TOKEN, "cluster")
        producer = await ViewClient(f"http://127.0.0.1:{owner_port}", "/control", {"token": TOKEN}).connect()
        await _air_the_vote(producer)
        await _vote_counts(overlay, phone, "cluster")
        assert (await _handshake(public, public)) == 101 and (await _handshake(desk, desk)) == 101
        assert (await _handshake(public, "https://evil.example.vn")) == 400
        await producer.sio.disconnect()
    finally:
        stop(edge, owner)


# -- one `run`, its phones process behind it ----------------------------------------------------------------


async def test_pages_and_a_vote_through_nginx_with_run_and_its_phones_process(
    tmp_path: Path, nginx: Nginx, browser
) -> None:
    """``run`` as docs/deploy.md starts it behind showcaller.conf: nginx opens a connection of its own for
    each request, so the phone's websocket reaches the phones process (handed over by the show's process)."""
    config = tmp_path / "show.yaml"
    shutil.copy(DEMO, config)
    shutil.copytree(DEMO.parent / "media", tmp_path / "media")
    port, public_port = free_port(), free_port()
    public = ("--trusted-proxy", "127.0.0.1", "--public-url", f"https://127.0.0.1:{public_port}")
    proc = await _process(config, tmp_path / "show.db", port, *public)
    try:
        nginx.start("showcaller.conf", {8080: port}, {443: public_port})
        url = nginx.url()
        log = tmp_path / "show.log"
        async with asyncio.timeout(10):  # the phones process linked: the phones go to it from now on
            while (phones := server_pid(proc, "phones")) is None or not all(
                line in log.read_text() for line in (LINKED, ATTACHED)
            ):
                await asyncio.sleep(0.02)
        _, _, overlay, phone = await _desk_and_phone(browser, url, url, TOKEN, "run")
        producer = await ViewClient(f"http://127.0.0.1:{port}", "/control", {"token": TOKEN}).connect()
        await _air_the_vote(producer)
        await _vote_counts(overlay, phone, "run")
        assert connections(phones, port) == 1  # the phone's websocket, from nginx
        await producer.sio.disconnect()
    finally:
        stop(proc)
