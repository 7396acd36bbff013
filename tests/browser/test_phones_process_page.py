"""The audience page on ``run`` as on air (server/transport/phones_link.py): the page comes from the show's
process, its websocket is handed to the phones process, the phone's vote is counted in the show's log,
and when the phones process dies the page comes back by itself with the phone's vote on it."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from playwright.async_api import expect

from tests.browser.conftest import open_page, screenshot
from tests.processes import ServerProcess
from tests.transport.conftest import RUN_TOKEN
from tests.transport.test_phones_process import Producer, connections, tally, the_phones_process


async def test_a_phone_votes_through_the_phones_process_and_comes_back_when_it_dies(browser, tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "show.db", RUN_TOKEN)
    await server.start()
    producer = Producer(server.url)
    try:
        phones = await the_phones_process(server)
        await producer.connect()
        await producer.open_poll()
        page = await open_page(browser, f"{server.url}/audience", "phone")
        await page.wait_for_selector("body[data-status=live]", state="attached")
        assert connections(phones, server.port) == 1  # the page's websocket; the page came from the show's
        button = page.locator('#options button[data-option="B"]')
        await expect(button).to_be_enabled(timeout=10_000)
        await button.click()
        await expect(page.locator("#options button.mine")).to_have_attribute("data-option", "B")
        await screenshot(page, "phones-process-audience-voted")
        os.kill(phones, signal.SIGKILL)
        await page.wait_for_selector("body:not([data-status=live])", state="attached")
        await page.wait_for_selector("body[data-status=live]", state="attached", timeout=10_000)
        await expect(page.locator("#options button.mine")).to_have_attribute("data-option", "B")
        assert await tally(server, producer) == {"B": 1}
        assert page.errors == []
    finally:
        await producer.sio.disconnect()
        server.stop()
