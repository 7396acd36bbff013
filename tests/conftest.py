"""Suite-wide rules and fixtures: under CI=true a skipped test fails the run (a missing dependency is
a bug there); ``show_files`` is the demo show copied into the test's own folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.processes import RedisServer

SHOW_CONFIGS = Path(__file__).resolve().parents[1] / "show_configs"
DEMO = SHOW_CONFIGS / "quang-nam-2024-qualifier.yaml"
# Every show file that ships (not the seasons, not the online stages).
SHIPPED_SHOWS = sorted(
    p for p in SHOW_CONFIGS.glob("*.yaml") if not p.name.endswith((".season.yaml", ".quiz.yaml", ".initiatives.yaml"))
)


@pytest.fixture
def show_files(tmp_path: Path) -> tuple[Path, Path]:
    """The demo show's config (with its media) and a database path, in a fresh folder."""
    config = tmp_path / "show.yaml"
    shutil.copy(DEMO, config)
    shutil.copytree(DEMO.parent / "media", tmp_path / "media")
    return config, tmp_path / "show.db"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI") == "true" and skipped and exitstatus == 0:
        reporter.write_line(f"CI=true: {len(skipped)} skipped test(s) count as failures", red=True)
        session.exitstatus = 1


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A real redis-server for this test (tests/processes.py imports this module, hence the late import)."""
    from tests.processes import RedisServer

    if shutil.which("redis-server") is None:
        message = "redis-server not found (apt-get install redis-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def chromium() -> AsyncIterator:
    """Headless Chromium as tests/browser launches it, for a printable file (CI=true: missing is a failure)."""
    from playwright.async_api import async_playwright

    from tests.browser.conftest import CHROMIUM, _need_chromium

    _need_chromium()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        await browser.close()
