"""The controller's devices panel (controller/static/devices.js) in Chromium, against a server that
listens on 127.0.0.2 (standing for the hall's address): a QR code per pad, the address it encodes
opens the pad signed in on a second "tablet", and the panel turns that pad connected.

The panel is mounted by a harness inside the producer's page (a fresh div, fed the /control
namespace's presence events), independent of where the controller places it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from server.app import Settings, create_app
from server.i18n import strings
from server.transport.keys import ACCESS
from tests.browser.conftest import ROOT, screenshot

HOST = "127.0.0.2"
WAIT = 10_000
VI, EN = strings("vi"), strings("en")

# Mount the panel in a fresh div and feed it the presence events the producer's namespace sends.
HARNESS = """async ({ token }) => {
  const { devicesPanel } = await import("/controller/devices.js");
  const { ShowClient } = await import("/static/js/show-client.js");
  const root = document.createElement("div");
  root.id = "devices-test";
  root.style.cssText = "position:fixed;inset:0;z-index:40;overflow:auto;padding:16px;background:var(--bg)";
  document.body.append(root);
  let view = null;
  const panel = devicesPanel(root, { token, view: () => view });
  window.devicesNetwork = await panel.network;
  new ShowClient("/control", { token }, {
    onView: (v) => { view = v; },
    onEvent: (name, data) => { if (name === "presence") panel.render(data); },
  });
}"""


class Hall:
    def __init__(self, server, app, browser) -> None:
        self.app, self.browser = app, browser
        self.url = f"http://{HOST}:{server.port}"

    def token(self, role: str, subject: str = "") -> str:
        return self.app[ACCESS].token(role, subject)

    async def panel(self, lang: str = "vi", token: str | None = None, size=(1366, 768)):
        context = await self.browser.new_context(viewport={"width": size[0], "height": size[1]})
        page = await context.new_page()
        page.problems = []
        page.on("pageerror", lambda exc: page.problems.append(str(exc)))
        await page.goto(f"{self.url}/control?token={self.token('producer')}&lang={lang}")
        await page.evaluate(HARNESS, {"token": token if token is not None else self.token("producer")})
        return page


@pytest.fixture
async def hall(aiohttp_server, show_files, browser) -> AsyncIterator[Hall]:
    config, db = show_files
    app = create_app(Settings(config_path=config, db_path=db, host=HOST))
    server = await aiohttp_server(app, host=HOST)
    yield Hall(server, app, browser)


async def _pads(hall: Hall) -> dict:
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {hall.token('producer')}"}
        async with http.get(f"{hall.url}/api/v1/pads", headers=headers) as response:
            assert response.status == 200
            return await response.json()


async def test_a_qr_code_per_pad_opens_it_signed_in_and_shows_it_connected(hall: Hall) -> None:
    listed = (await _pads(hall))["pads"]
    page = await hall.panel()
    cards = page.locator("#devices-test .device")
    await cards.nth(len(listed) - 1).wait_for(timeout=WAIT)
    assert await cards.count() == len(listed) == 6
    await page.wait_for_function(
        "[...document.querySelectorAll('#devices-test .device img')].every((i) => i.complete && i.naturalWidth > 0)",
        timeout=WAIT,
    )
    # The server listens on a loopback address: the panel says so plainly, and the codes point there.
    assert await page.evaluate("window.devicesNetwork") == {"base": hall.url, "hall": False, "why": "loopback"}
    warning = page.locator("#devices-test .devices-network.devices-warning")
    assert await warning.text_content() == VI["devices.why.loopback"].replace("{base}", hall.url)
    for pad in listed:
        card = page.locator(f'#devices-test .device[data-pad="{pad["role"]}/{pad["id"]}"]')
        assert await card.locator(".device-name").text_content() == pad["name"]
        assert await card.locator("img").get_attribute("src") == pad["qr"]
        assert await card.get_attribute("data-connected") == "0"
        assert await card.locator(".device-state").text_content() == VI["devices.waiting"]
        assert pad["url"].startswith(f"{hall.url}/{pad['role']}?token=")
        box = await card.locator("img").bounding_box()
        assert box["width"] >= 160 and box["height"] >= 160, box  # a tablet's camera reads it off a laptop
    async with aiohttp.ClientSession() as http:
        for pad in listed:
            async with http.get(hall.url + pad["qr"]) as response:
                assert response.status == 200 and response.content_type == "image/svg+xml"
    await screenshot(page, "devices-panel-1366")

    # A second device opens the team pad's address (at 127.0.0.2, where the server listens).
    tam_ky = next(pad for pad in listed if pad["id"] == "tam-ky")
    tablet = await hall.browser.new_context(viewport={"width": 1024, "height": 768})
    pad_page = await tablet.new_page()
    await pad_page.goto(tam_ky["url"])
    await pad_page.wait_for_selector("body[data-status=live]", timeout=WAIT)
    assert await pad_page.get_attribute("#team-name", "data-team") == "tam-ky"
    card = page.locator('#devices-test .device[data-pad="team/tam-ky"]')
    await page.wait_for_selector('#devices-test .device[data-pad="team/tam-ky"][data-connected="1"]', timeout=WAIT)
    assert await card.locator(".device-state").text_content() == VI["devices.connected"]
    judge = next(pad for pad in listed if pad["role"] == "judge")
    judge_page = await tablet.new_page()
    await judge_page.goto(judge["url"])
    await judge_page.wait_for_selector("body[data-status=live]", timeout=WAIT)
    selector = f'#devices-test .device[data-pad="judge/{judge["id"]}"][data-connected="1"]'
    await page.wait_for_selector(selector, timeout=WAIT)
    await screenshot(page, "devices-panel-connected")

    # A click enlarges one code, for a tablet further away; Escape puts it back.
    await card.locator("button.device-qr").click()
    zoom = page.locator("#devices-test dialog.devices-zoom")
    await zoom.wait_for(state="visible", timeout=WAIT)
    assert await zoom.get_attribute("data-pad") == "team/tam-ky"
    big = await zoom.locator("img").bounding_box()
    assert big["width"] >= 500, big
    assert tam_ky["name"] in await zoom.text_content() and tam_ky["url"] in await zoom.text_content()
    await screenshot(page, "devices-panel-enlarged")
    await page.keyboard.press("Escape")
    await zoom.wait_for(state="hidden", timeout=WAIT)

    # The pad leaves: no longer connected.
    await tablet.close()
    await page.wait_for_selector('#devices-test .device[data-pad="team/tam-ky"][data-connected="0"]', timeout=WAIT)
    assert not page.problems, page.problems


async def test_english_and_a_refused_token(hall: Hall) -> None:
    page = await hall.panel(lang="en", size=(1920, 1080))
    await page.locator("#devices-test .device").nth(5).wait_for(timeout=WAIT)
    assert await page.locator("#devices-test .device-group h3").all_text_contents() == [
        EN["devices.judges"],
        EN["devices.teams"],
    ]
    assert await page.locator("#devices-test .device-state").first.text_content() == EN["devices.waiting"]
    await screenshot(page, "devices-panel-1080-en")

    # Anyone without the producer's token gets no codes, and a clear reason.
    refused = await hall.panel(token=hall.token("team", "tam-ky"))
    message = refused.locator("#devices-test .bad-text")
    await message.wait_for(timeout=WAIT)
    assert "mã truy cập" in await message.text_content()
    assert await refused.evaluate("window.devicesNetwork") is None
    assert await refused.locator("#devices-test .device").count() == 0
    assert not page.problems and not refused.problems


def test_the_panel_uses_only_catalogue_keys() -> None:
    text = (ROOT / "controller" / "static" / "devices.js").read_text(encoding="utf-8")
    used = set(re.findall(r"""t\(\s*["'`]((?:devices)\.[\w.]+)["'`]""", text))
    used |= {f"devices.{state}" for state in ("connected", "waiting", "dropped")}
    used |= {f"devices.why.{why}" for why in ("loopback", "offline")}
    assert {"devices.title", "devices.hint", "devices.enlarge", "devices.unavailable"} <= used
    assert sorted(k for k in used if k not in VI) == []
    assert Path(ROOT / "controller" / "static" / "devices.css").is_file()
