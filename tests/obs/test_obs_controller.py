"""The controller shows OBS as it is: connected, its scenes, a fault in words, the take button."""

from __future__ import annotations

import asyncio
from pathlib import Path

from server.app import Settings, create_app
from server.core import commands as c
from server.transport.keys import ACCESS, SERVICE
from tests.browser.conftest import screenshot
from tests.obs.conftest import program, show_config, until
from tests.obs.obs_studio import ObsStudio


async def test_the_controller_follows_obs(aiohttp_server, browser, tmp_path: Path, obs: ObsStudio) -> None:
    await asyncio.to_thread(obs.start)
    config = show_config(tmp_path, obs.port, obs.password, transitions=False, studio_mode=True)
    app = create_app(Settings(config_path=config, db_path=tmp_path / "s.db"))
    server = await aiohttp_server(app, host="127.0.0.1")
    page = await browser.new_page(viewport={"width": 1600, "height": 1000})
    await page.goto(f"http://127.0.0.1:{server.port}/control?token={app[ACCESS].token('producer')}")
    await page.wait_for_selector("#badge-obs[data-level=good]")  # the header's badge...
    await page.click("#badge-obs")  # ...opens the detail
    await page.wait_for_selector("[data-obs-state=connected]")
    app[SERVICE].submit(c.StartShow(by=c.PRODUCER))
    await page.wait_for_selector("#obs:has-text('Chào hỏi')")  # the greeting's scene, in preview
    await page.click("[data-obs-take]")
    await until(lambda: program(obs) == "Chào hỏi", what="the take from the controller")
    await screenshot(page, "control-obs-connected")
    await asyncio.to_thread(obs.freeze)
    try:
        await page.wait_for_selector("[data-obs-state=offline]", timeout=12000)
        error = await page.text_content("[data-obs-error]")
        assert "OBS không trả lời" in error or "không kết nối được OBS" in error, error
        await screenshot(page, "control-obs-frozen")
    finally:
        await asyncio.to_thread(obs.thaw)
    await page.wait_for_selector("[data-obs-state=connected]", timeout=15000)
    await page.close()
