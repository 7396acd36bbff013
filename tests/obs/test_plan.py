"""Where OBS should be, worked out from the show alone (no OBS needed)."""

from __future__ import annotations

from pathlib import Path

from server.configs import load_show
from server.core.state import Board
from server.obs.plan import ObsTarget, obs_target, overlay_source, scenes_needed
from tests.obs.obs_studio import CAMERA, LOGO, SCENES, show_config


def test_each_segment_has_its_scene_cue_and_overlays(tmp_path: Path) -> None:
    config = load_show(show_config(tmp_path, 4455, "x"))
    assert scenes_needed(config) == SCENES
    before = obs_target(config, Board(on_air=frozenset({"scoreboard"})))
    assert before.scene is None and before.sources[overlay_source("scoreboard")] is True
    greeting = obs_target(config, Board(segment=0, on_air=frozenset({"judges"})))
    assert greeting.scene == "Chào hỏi" and (greeting.transition, greeting.transition_ms) == ("Fade", 500)
    assert greeting.sources[CAMERA] is True and greeting.sources[LOGO] is False
    assert list(greeting.sources)[:2] == [LOGO, CAMERA]  # the cue's sources first, then the overlays
    assert greeting.sources[overlay_source("judges")] and not greeting.sources[overlay_source("winner")]
    assert obs_target(config, Board(segment=1)).sources[CAMERA] is False


def test_a_segment_without_a_scene_keeps_the_last_one_and_a_tiebreak_the_final_set(tmp_path: Path) -> None:
    path = show_config(tmp_path, 4455, "x", cues=False)
    path.write_text(path.read_text(encoding="utf-8").replace('      scene: "Kỹ năng số"\n', "", 1), encoding="utf-8")
    config = load_show(path)
    assert obs_target(config, Board(segment=2)).scene == "Sáng tạo số"
    tiebreak = obs_target(config, Board(segment=len(config.rundown)))
    assert tiebreak.scene == "Khán giả"
    shown = obs_target(config, Board(segment=0), overlays_shown=frozenset({"timer"}))
    assert shown.sources[overlay_source("timer")] is True
    assert obs_target(config, Board(segment=0)) != ObsTarget()
