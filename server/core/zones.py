"""Where each overlay draws: a zone of the 1920×1080 frame per overlay, stated once.

The rules (two overlays whose zones intersect are never on air together), ``check``'s warnings
and the overlay pages' layer geometry (``overlays/templates/overlay.html``) all read this table,
so the pixels on air and the rule cannot drift apart.
"""

from __future__ import annotations

from itertools import combinations

from msgspec import Struct

from server.core.config import OVERLAYS, Look, Segment

FRAME = (1920, 1080)


class Box(Struct, frozen=True):
    """A rectangle in stage pixels (the 1920×1080 frame), from its top left corner."""

    x: int
    y: int
    w: int
    h: int

    def intersects(self, other: Box) -> bool:
        """Whether the two share any area (touching edges do not)."""
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )

    def inside(self, other: Box) -> bool:
        return (
            other.x <= self.x
            and other.y <= self.y
            and self.x + self.w <= other.x + other.w
            and self.y + self.h <= other.y + other.h
        )


SAFE = Box(96, 54, 1728, 972)  # the 90 % title-safe area: every graphic stays inside it

# The frame's zones, inside the title-safe area. The side column (clock and side) sits right of
# the main card, so a question or judges' card, the timer and the buzz order share the screen.
ZONES: dict[str, Box] = {
    "band": Box(96, 54, 1728, 150),  # the top band: scores
    "main": Box(96, 222, 1280, 804),  # the left card below the band: question, judges' scores
    "strap": Box(96, 846, 1180, 180),  # bottom left: a name strap
    "clock": Box(1584, 222, 240, 240),  # top of the side column: the countdown
    "side": Box(1384, 480, 440, 546),  # the side column below the clock: buzz order, speed ranking
    "stage": Box(96, 222, 1728, 804),  # everything below the band: the audience poll, the winner
    "full": Box(96, 54, 1728, 972),  # the whole safe area: season tables
}

OVERLAY_ZONES: dict[str, str] = {
    "scoreboard": "band",
    "lower_third": "strap",
    "question": "main",
    "timer": "clock",
    "buzzer": "side",
    "judges": "main",
    "audience": "stage",
    "standings": "full",
    "bracket": "full",
    "winner": "stage",
}

# Overlays that draw a season's tables: empty in a show run on its own (no season).
SEASON_OVERLAYS = frozenset({"standings", "bracket"})

# Overlays a look keeps on air when it does not name them, as long as they fit beside it: a strap
# introduces someone for a moment, and changing the graphics around it should not cut it short.
KEPT_BY_LOOKS = frozenset({"lower_third"})

assert set(OVERLAY_ZONES) == set(OVERLAYS), "every overlay needs a zone"
assert all(box.inside(SAFE) for box in ZONES.values()), "every zone lies inside the title-safe area"


def zone_of(overlay: str) -> Box:
    """The box an overlay draws in."""
    return ZONES[OVERLAY_ZONES[overlay]]


def collide(a: str, b: str) -> bool:
    """Whether two different overlays would draw over each other."""
    return a != b and zone_of(a).intersects(zone_of(b))


def clashes(overlay: str, others: frozenset[str] | set[str] | tuple[str, ...]) -> list[str]:
    """The overlays among ``others`` that ``overlay`` would draw over, in ``OVERLAYS`` order."""
    return [o for o in OVERLAYS if o in others and collide(overlay, o)]


def collisions(overlays: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    """Every pair of the given overlays that would draw over each other."""
    return [(a, b) for a, b in combinations(dict.fromkeys(overlays), 2) if collide(a, b)]


def fitting(overlays: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The overlays in order, leaving out each that collides with one kept before it."""
    kept: list[str] = []
    for overlay in dict.fromkeys(overlays):
        if not clashes(overlay, tuple(kept)):
            kept.append(overlay)
    return tuple(kept)


def look_picture(look: Look, on_air: frozenset[str]) -> frozenset[str]:
    """What is on air once ``look`` is taken: its overlays, and a strap that fits beside them."""
    kept = {o for o in on_air & KEPT_BY_LOOKS if o not in look.overlays and not clashes(o, look.overlays)}
    return frozenset(look.overlays) | kept


def look_on_air(segment: Segment | None, on_air: frozenset[str]) -> str | None:
    """The id of the segment's look that is on air now (a strap that fits beside it aside), or None."""
    if segment is None:
        return None
    for look in segment.looks:
        if look_picture(look, on_air) == on_air:
            return look.id
    return None
