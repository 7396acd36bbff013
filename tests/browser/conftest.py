"""Headless Chromium (Debian's, driven by Playwright) against a live server on loopback."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.app import Settings, create_app
from server.core.commands import Command
from server.transport.keys import ACCESS, SERVICE
from tests.browser import csp_waits

csp_waits.install()  # the pages' CSP forbids eval, which Playwright's own wait_for_function uses

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("SHOWCALLER_CHROMIUM", "/usr/bin/chromium")
OLYMPIA = ROOT / "show_configs" / "olympia-style.yaml"
SIZES = {"phone": (390, 844), "tablet": (1024, 768), "desktop": (1600, 1000)}


def _need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
async def browser() -> AsyncIterator:
    _need_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        await browser.close()


class Studio:
    """The live show and helpers to open its pages."""

    def __init__(self, server, app, browser) -> None:
        self.server, self.app, self.browser = server, app, browser
        self.url = f"http://127.0.0.1:{server.port}"
        self.pages = []

    @property
    def service(self):
        return self.app[SERVICE]

    def run(self, *commands: Command) -> None:
        """Play commands on the show as the producer's desk would."""
        for command in commands:
            self.service.submit(command)

    def token(self, role: str, subject: str = "") -> str:
        return self.app[ACCESS].token(role, subject)

    async def open(self, path: str, size: str = "desktop", context=None):
        page = await open_page(self.browser, f"{self.url}{path}", size, context)
        self.pages.append(page)
        return page

    async def control(self, size: str = "desktop", lang: str = "vi"):
        page = await self.open(f"/control?token={self.token('producer')}&lang={lang}", size)
        await page.wait_for_selector("body[data-status=live]")
        return page

    async def team(self, team: str, size: str = "tablet", context=None):
        page = await self.open(f"/team?token={self.token('team', team)}", size, context)
        await page.wait_for_selector("body[data-status=live]")
        return page

    async def judge(self, judge: str, size: str = "phone"):
        page = await self.open(f"/judge?token={self.token('judge', judge)}", size)
        await page.wait_for_selector("body[data-status=live]")
        return page


async def open_page(browser, url: str, size: str = "desktop", context=None):
    """``url`` in a new page of ``context`` (a fresh one at ``size`` if None); its errors in ``page.errors``."""
    width, height = SIZES[size]
    if context is None:
        context = await browser.new_context(viewport={"width": width, "height": height})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # A CSP refusal (an inline style, a script from elsewhere) is an error of the page too.
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.errors = errors
    await page.goto(url)
    return page


async def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot into artifacts/screenshots (kept by CI as test artefacts)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
async def studio(aiohttp_server, show_files, browser) -> AsyncIterator[Studio]:
    config, db = show_files
    app = create_app(Settings(config_path=config, db_path=db))
    server = await aiohttp_server(app, host="127.0.0.1")
    yield Studio(server, app, browser)


@pytest.fixture
async def olympia(aiohttp_server, tmp_path: Path, browser) -> AsyncIterator[Studio]:
    """The olympia-style show (packages, the star of hope, buzzers) live, with its own copy of the config."""
    config = tmp_path / "olympia.yaml"
    shutil.copy(OLYMPIA, config)
    shutil.copytree(OLYMPIA.parent / "media", tmp_path / "media")  # the obstacle's picture
    app = create_app(Settings(config_path=config, db_path=tmp_path / "olympia.db"))
    server = await aiohttp_server(app, host="127.0.0.1")
    yield Studio(server, app, browser)
