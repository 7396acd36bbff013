"""Where OBS should be for a moment of the show: a pure function of the config and the board.

The link (``server/obs/link.py``) brings OBS there after every change and after every reconnect,
so OBS always ends up where the show is, whatever it missed.
"""

from __future__ import annotations

from msgspec import Struct

from server.core.config import OVERLAYS, ShowConfig
from server.core.state import Board

SOURCE_PREFIX = "showcaller "


def overlay_source(overlay: str) -> str:
    """The OBS browser source of an overlay, as ``obs-setup`` names it."""
    return f"{SOURCE_PREFIX}{overlay}"


class ObsTarget(Struct, frozen=True):
    scene: str | None = None  # the program scene; None: leave OBS's as it is
    sources: dict[str, bool] = {}  # source name -> shown, in that scene
    transition: str | None = None
    transition_ms: int | None = None


def obs_target(config: ShowConfig, board: Board, overlays_shown: frozenset[str] | None = None) -> ObsTarget:
    """OBS for the segment on air: its scene (or the last one a segment before it named), the
    sources its cue shows or hides, and each overlay's browser source shown while it is on air.

    ``overlays_shown`` overrides ``board.on_air`` (the link keeps an overlay's source up while
    its exit animation plays).
    """
    index = min(board.segment, len(config.rundown) - 1)  # a tie-break stays on the last segment's set
    scene = next((s.obs.scene for s in reversed(config.rundown[: index + 1]) if s.obs.scene), None)
    shown = board.on_air if overlays_shown is None else overlays_shown
    overlays = {overlay_source(o): o in shown for o in OVERLAYS}
    if index < 0:
        return ObsTarget(None, overlays)
    cue = config.rundown[index].obs
    sources = {name: False for name in cue.hide} | {name: True for name in cue.show}
    return ObsTarget(scene, sources | {k: v for k, v in overlays.items() if k not in sources}, *_transition(cue))


def _transition(cue) -> tuple[str | None, int | None]:
    return cue.transition, cue.transition_ms


def scenes_needed(config: ShowConfig) -> list[str]:
    """Every scene the rundown names, in rundown order, once."""
    return list(dict.fromkeys(s.obs.scene for s in config.rundown if s.obs.scene))
