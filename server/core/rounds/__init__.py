"""The registry of round types: one module each, listed once below; everything else is derived.

Adding a round type: write its module (a ``Round`` subclass with its settings and hooks, see
``base.py``), add its ``ROUND`` to ``ROUNDS``, and give it a test and a config example.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, Union

from server.core.rounds import audience, buzzer, judged, obstacle, packages, speed, turns
from server.core.rounds.base import Capabilities, Round, Settings

ROUNDS: tuple[Round, ...] = (
    judged.ROUND,
    turns.ROUND,
    speed.ROUND,
    buzzer.ROUND,
    packages.ROUND,
    audience.ROUND,
    obstacle.ROUND,
)

# Sudden-death tie-breaks are played as a buzzer round for no points (``server.core.context.tiebreak_segment``).
SUDDEN_DEATH = buzzer.ROUND

BY_NAME: dict[str, Round] = {r.name: r for r in ROUNDS}
NAMES: tuple[str, ...] = tuple(BY_NAME)

# A round's name as configs, views, events and logs write it (``Segment.round``).
RoundType = StrEnum("RoundType", [(r.name.upper(), r.name) for r in ROUNDS])  # type: ignore[misc]

if TYPE_CHECKING:
    Scoring = Settings
else:
    # The settings of every round, as a tagged union the config is decoded with (the tag is the name).
    Scoring = Union[tuple(r.settings for r in ROUNDS)]  # noqa: UP007


def round_of(segment: Any) -> Round:
    """The round a segment plays."""
    return BY_NAME[segment.round]


def capabilities(config: Any, segment: Any) -> dict[str, bool]:
    """What a segment offers the pages, as the views carry it."""
    caps: Capabilities = round_of(segment).capabilities(config, segment)
    return {name: getattr(caps, name) for name in caps.__struct_fields__}
