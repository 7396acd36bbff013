"""Real OBS Studio tests: each test gets its own OBS (fresh HOME, free port) and a live show pointed at it."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from server.app import Settings
from server.core.config import OVERLAYS
from server.obs.client import ObsClient, ObsRefused
from server.obs.plan import overlay_source
from tests.browser.conftest import browser  # noqa: F401 (the controller test's Chromium)
from tests.obs.obs_studio import CAMERA, LOGO, SCENES, ObsStudio, obs_available, show_config
from tests.transport.conftest import LiveShow, serve


def _need_obs() -> None:
    why = obs_available()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)


@pytest.fixture
def obs(tmp_path: Path) -> Iterator[ObsStudio]:
    _need_obs()
    home = tmp_path / "obs-home"
    home.mkdir()
    studio = ObsStudio(home, SCENES)
    yield studio
    studio.stop()


def add_sources(studio: ObsStudio) -> None:
    """Sources the show switches: a camera and a logo in every scene (cue show/hide), and stand-ins
    for the overlays' browser sources (Debian's OBS has no browser source; any source toggles alike)."""
    with connected(studio) as client:
        for name in (CAMERA, LOGO, *(overlay_source(o) for o in OVERLAYS)):
            for index, scene in enumerate(SCENES):
                if index == 0:
                    client.call(
                        "CreateInput",
                        sceneName=scene,
                        inputName=name,
                        inputKind="color_source_v3",
                        sceneItemEnabled=True,
                    )
                else:
                    client.call("CreateSceneItem", sceneName=scene, sourceName=name, sceneItemEnabled=True)


class connected:
    """``with connected(studio) as client``: a plain OBS client, as an operator's tool would be."""

    def __init__(self, studio: ObsStudio, on_event: Callable | None = None) -> None:
        self.client = ObsClient("127.0.0.1", studio.port, studio.password, on_event=on_event)

    def __enter__(self) -> ObsClient:
        self.client.connect()
        return self.client

    def __exit__(self, *exc) -> None:
        self.client.close()


def program(studio: ObsStudio) -> str:
    with connected(studio) as client:
        return client.call("GetCurrentProgramScene")["currentProgramSceneName"]


def enabled(studio: ObsStudio, scene: str, source: str) -> bool | None:
    with connected(studio) as client:
        try:
            item = client.call("GetSceneItemId", sceneName=scene, sourceName=source)["sceneItemId"]
        except ObsRefused:
            return None
        return client.call("GetSceneItemEnabled", sceneName=scene, sceneItemId=item)["sceneItemEnabled"]


async def until(predicate: Callable[[], object], timeout: float = 10, what: str = "") -> None:
    """Poll (off the event loop for OBS calls) until ``predicate`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        if await asyncio.to_thread(predicate):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        await asyncio.sleep(0.1)


@pytest.fixture
async def live_obs(aiohttp_server, tmp_path: Path, obs: ObsStudio) -> AsyncIterator[LiveShow]:
    """A live show whose config points at the test OBS (not started yet: tests start it when they want)."""
    settings = Settings(config_path=show_config(tmp_path, obs.port, obs.password), db_path=tmp_path / "s.db")
    async with serve(aiohttp_server, settings) as show:
        yield show


__all__ = [
    "CAMERA",
    "LOGO",
    "SCENES",
    "add_sources",
    "connected",
    "enabled",
    "program",
    "show_config",
    "until",
]
