"""The rundown drives a real OBS Studio, and the show goes on when OBS is away, crashes or freezes."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from pathlib import Path

import pytest

from server.app import Settings
from server.cli import main
from server.obs.client import ObsRefused
from server.obs.link import EXIT_ANIMATION
from server.obs.plan import overlay_source
from tests.obs.conftest import CAMERA, LOGO, SCENES, add_sources, connected, enabled, program, show_config, until
from tests.obs.obs_studio import ObsStudio
from tests.transport.conftest import LiveShow, ViewClient, serve
from tests.wording import vi


def obs_status(producer: ViewClient) -> dict:
    """The OBS part of the last presence message the controller got."""
    for event, data in reversed(producer.events):
        if event == "presence":
            return data["obs"]
    return {}


async def goto(producer: ViewClient, index: int) -> None:
    reply = await producer.call("goto_segment", {"index": index})
    assert reply["ok"], reply


async def test_the_rundown_switches_scenes_and_sources(live_obs: LiveShow, obs: ObsStudio) -> None:
    await asyncio.to_thread(obs.start)
    await asyncio.to_thread(add_sources, obs)
    producer = await live_obs.producer()
    await until(lambda: obs_status(producer).get("state") == "connected", what="the link to connect")
    assert (await producer.call("start_show"))["ok"]
    await until(lambda: program(obs) == "Chào hỏi", what="the greeting's scene")
    assert await asyncio.to_thread(enabled, obs, "Chào hỏi", CAMERA) is True
    assert await asyncio.to_thread(enabled, obs, "Chào hỏi", LOGO) is False
    # Overlays: their sources follow what is on air (the segment's default look went up with it), and are
    # hidden once the exit animation has played.
    await until(lambda: enabled(obs, "Chào hỏi", overlay_source("scoreboard")), what="the default look's scoreboard")
    sent = time.monotonic()  # before the overlay leaves the air, so before its exit animation starts
    assert (await producer.call("set_overlay", {"overlay": "scoreboard", "visible": False}))["ok"]
    await until(lambda: enabled(obs, "Chào hỏi", overlay_source("scoreboard")) is False, what="the source hidden")
    assert time.monotonic() - sent >= EXIT_ANIMATION  # it stayed up while the exit animation played
    assert (await producer.call("set_overlay", {"overlay": "scoreboard", "visible": True}))["ok"]
    await until(lambda: enabled(obs, "Chào hỏi", overlay_source("scoreboard")), what="the scoreboard source")
    for index, scene in enumerate(SCENES[1:], start=1):
        await goto(producer, index)
        await until(lambda scene=scene: program(obs) == scene, what=f"scene {scene}")
    assert await asyncio.to_thread(enabled, obs, "Sáng tạo số", CAMERA) is False
    await until(lambda: obs_status(producer).get("program") == "Khán giả", what="the controller to see the scene")
    # Undo goes back a segment, and OBS with it.
    assert (await producer.call("undo"))["ok"]
    await until(lambda: program(obs) == "Tăng tốc số", what="undo to switch back")


async def test_a_scene_switched_by_hand_shows_on_the_controller(live_obs: LiveShow, obs: ObsStudio) -> None:
    await asyncio.to_thread(obs.start)
    producer = await live_obs.producer()
    assert (await producer.call("start_show"))["ok"]
    await until(lambda: program(obs) == "Chào hỏi")
    with connected(obs) as operator:
        await asyncio.to_thread(operator.call, "SetCurrentProgramScene", sceneName="Khán giả")
    await until(lambda: obs_status(producer).get("program") == "Khán giả", what="the hand switch on the controller")
    assert obs_status(producer)["target"] == "Chào hỏi" and obs_status(producer)["manual"] is True
    await goto(producer, 1)  # the next segment change takes OBS back
    await until(lambda: obs_status(producer).get("program") == "Sáng tạo số")
    assert obs_status(producer)["manual"] is False


async def test_a_missing_scene_is_reported_not_retried(live_obs: LiveShow, obs: ObsStudio, tmp_path: Path) -> None:
    await asyncio.to_thread(obs.start)
    with connected(obs) as operator:
        await asyncio.to_thread(operator.call, "RemoveScene", sceneName="Sáng tạo số")
    producer = await live_obs.producer()
    assert (await producer.call("start_show"))["ok"]
    await goto(producer, 1)
    await until(lambda: "Sáng tạo số" in (obs_status(producer).get("error") or ""), what="the refusal reported")
    status = obs_status(producer)
    assert status["state"] == "connected"
    assert status["error"] == "OBS refused SetCurrentProgramScene(sceneName='Sáng tạo số')"
    assert vi(status["error_words"]).startswith("OBS từ chối")
    await goto(producer, 2)  # the show goes on, and OBS with it
    await until(lambda: program(obs) == "Kỹ năng số")


async def test_obs_killed_mid_show_catches_up_when_restarted(live_obs: LiveShow, obs: ObsStudio) -> None:
    await asyncio.to_thread(obs.start)
    producer = await live_obs.producer()
    assert (await producer.call("start_show"))["ok"]
    await goto(producer, 1)
    await until(lambda: program(obs) == "Sáng tạo số")
    await asyncio.to_thread(obs.kill)
    await until(lambda: obs_status(producer).get("state") == "offline", what="the controller to see OBS gone")
    assert obs_status(producer)["error"]
    for index in (2, 3):  # the show goes on without OBS
        await goto(producer, index)
    await asyncio.to_thread(obs.start)
    await until(lambda: program(obs) == "Tăng tốc số", timeout=15, what="OBS to catch up")
    await until(lambda: obs_status(producer).get("state") == "connected")


async def test_obs_absent_at_start_catches_up(live_obs: LiveShow, obs: ObsStudio) -> None:
    producer = await live_obs.producer()
    await until(lambda: obs_status(producer).get("state") == "offline", what="OBS reported absent")
    assert "can't reach OBS" in obs_status(producer)["error"]
    assert (await producer.call("start_show"))["ok"]
    await goto(producer, 4)
    await asyncio.to_thread(obs.start)
    await until(lambda: program(obs) == "Khán giả", timeout=15, what="OBS to catch up")


async def test_a_frozen_obs_stalls_nothing_else(live_obs: LiveShow, obs: ObsStudio) -> None:
    await asyncio.to_thread(obs.start)
    producer, overlay = await live_obs.producer(), await live_obs.overlay()
    assert (await producer.call("start_show"))["ok"]
    await until(lambda: program(obs) == "Chào hỏi")
    await until(lambda: obs_status(producer).get("state") == "connected", what="the controller to see OBS up")
    await asyncio.to_thread(obs.freeze)
    try:
        took = []
        for index in (1, 2, 3, 2, 1):
            started = time.monotonic()
            await goto(producer, index)
            await overlay.wait_for(lambda index=index: overlay.view["segment"]["index"] == index, timeout=2)
            took.append(time.monotonic() - started)
        # Waiting on OBS would cost its 2 s request timeout; a busy machine costs far less.
        assert max(took) < 1.5 and sorted(took)[2] < 0.5, f"commands took {took} s with OBS frozen"
        await until(lambda: obs_status(producer).get("state") == "offline", timeout=12, what="the fault shown")
        assert "no answer in time" in obs_status(producer)["error"]
    finally:
        await asyncio.to_thread(obs.thaw)
    await until(lambda: program(obs) == "Sáng tạo số", timeout=15, what="OBS to catch up after thawing")


async def test_obs_setup_creates_scenes_and_says_what_it_cannot(obs: ObsStudio, tmp_path: Path, capsys) -> None:
    obs.scenes = []  # a bare OBS: only the "Chờ" scene
    (obs.home / ".config" / "obs-studio" / "basic" / "scenes" / "showcaller.json").unlink()
    obs._write_config()
    await asyncio.to_thread(obs.start)
    config = show_config(tmp_path, obs.port, obs.password, cues=False)
    assert await asyncio.to_thread(main, ["obs-setup", str(config), "--url", "http://10.0.0.5:8080"]) == 0
    first = capsys.readouterr().out
    with connected(obs) as client:
        scenes = {s["sceneName"] for s in client.call("GetSceneList")["scenes"]}
    assert set(SCENES) <= scenes
    assert "scene 'Chào hỏi': created" in first
    assert "this OBS has no browser source" in first and "http://10.0.0.5:8080/overlay/scoreboard" in first
    assert await asyncio.to_thread(main, ["obs-setup", str(config)]) == 0
    assert "scene 'Khán giả': already there" in capsys.readouterr().out


def test_obs_setup_without_obs_fails_clearly(tmp_path: Path, capsys) -> None:
    config = show_config(tmp_path, 1, "x", cues=False)  # nothing listens on port 1
    assert main(["obs-setup", str(config)]) == 1
    assert "can't reach OBS at 127.0.0.1:1" in capsys.readouterr().err


@pytest.mark.parametrize("how", ["--no-obs", "no obs section"])
async def test_no_obs_runs_quietly(aiohttp_server, tmp_path: Path, caplog, how: str) -> None:
    caplog.set_level(logging.INFO)
    config = show_config(tmp_path, 1, "x", cues=False)
    if how == "no obs section":
        text = config.read_text(encoding="utf-8")
        config.write_text(re.sub(r"\nobs:\n(  .*\n)+", "\n", text), encoding="utf-8")
    settings = Settings(config_path=config, db_path=tmp_path / "s.db", obs=how != "--no-obs")
    async with serve(aiohttp_server, settings) as show:
        producer = await show.producer()
        assert (await producer.call("start_show"))["ok"]
        await until(lambda: obs_status(producer), what="a presence message")
        assert obs_status(producer) == {"configured": False}
        assert (await producer.call("obs_take"))["error"]["code"] == "no_obs"
        assert not [r for r in caplog.records if "OBS" in r.getMessage()]


async def test_studio_mode_sets_the_preview_and_the_producer_takes_it(
    aiohttp_server, tmp_path: Path, obs: ObsStudio
) -> None:
    await asyncio.to_thread(obs.start)
    config = show_config(tmp_path, obs.port, obs.password, transitions=False, studio_mode=True)
    async with serve(aiohttp_server, Settings(config_path=config, db_path=tmp_path / "s.db")) as show:
        await _studio_mode(show, obs)


async def _studio_mode(show: LiveShow, obs: ObsStudio) -> None:
    producer = await show.producer()
    assert (await producer.call("start_show"))["ok"]

    def preview() -> str | None:
        with connected(obs) as client:
            try:
                return client.call("GetCurrentPreviewScene")["currentPreviewSceneName"]
            except ObsRefused:  # studio mode not on yet: the show's link turns it on when it connects
                return None

    await until(lambda: preview() == "Chào hỏi", what="the preview scene")
    assert await asyncio.to_thread(program, obs) == "Chờ"  # nothing goes to air before the cue
    assert (await producer.call("obs_take"))["ok"]
    await until(lambda: program(obs) == "Chào hỏi", what="the take")
    await goto(producer, 1)
    await until(lambda: preview() == "Sáng tạo số")
    assert await asyncio.to_thread(program, obs) == "Chào hỏi"
    await until(lambda: obs_status(producer).get("preview") == "Sáng tạo số", what="the controller to see the preview")
