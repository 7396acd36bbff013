"""Type on the scoreboard: its boxes, stated once (the overlay's CSS reads them), and names measured
in the theme's font so ``check`` can say which team name will not fit.

A team card is ``[name box | score column]``. The score column is as wide as the widest score the
show can have ("−999,99" with its decimals), so a score growing never moves the name's line break.
The overlay fits a name by shrinking it down to ``NAME_MIN``, then its short name, then two lines
broken between words (overlays/static/dom.js ``fitName``); ``name_warnings`` asks the same question.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import NamedTuple

from server.configs.source import LocatedDict, load_yaml
from server.core.config import ShowConfig
from server.core.zones import OVERLAY_ZONES, ZONES

FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"
FONT_FILE = "be-vietnam-pro-{subset}-{weight}-normal.woff2"
SUBSETS = ("latin", "latin-ext", "vietnamese")  # static/fonts/fonts.css splits the font by unicode-range

# The scoreboard (overlays/static/overlay.css, `.layer-scoreboard` and `.team-card`), in stage pixels.
ROW_WIDTH = ZONES[OVERLAY_ZONES["scoreboard"]].w  # the width the cards share: the scoreboard's zone
CARD_GAP = 18
CARD_INSET = 10 + 20 + 20 + 2  # left border, padding left and right, right border
COLUMN_GAP = 14  # between the name box and the score column
NAME_SIZE = 34  # px, weight 700, line height 1.2: two lines fill the 84 px box
NAME_WEIGHT = 700
NAME_MIN = 0.7  # the smallest a name may shrink to, as a share of NAME_SIZE
NAME_LINES = 2
SCORE_SIZE = 56  # px, weight 800
SCORE_WEIGHT = 800
DIGIT = 0.73  # em: every digit gets the widest digit's advance (the web font has no tabular figures)
SCORE_DIGITS = 3  # whole digits of the widest score


def score_sample(decimals: int) -> str:
    """The widest score a show can have, as its column is sized: "−999,99" for two decimals."""
    return "\u2212" + "9" * SCORE_DIGITS + ("," + "9" * decimals if decimals else "")


def score_column(decimals: int) -> int:
    """Width in px of the score column: tabular digits, a minus and the decimal comma."""
    digits = SCORE_DIGITS + decimals
    other = text_width("\u2212" + ("," if decimals else ""), SCORE_SIZE, SCORE_WEIGHT)
    return int(other + digits * DIGIT * SCORE_SIZE + 0.999) + 2


SIDE_MIN = 180  # px: a name box narrower than this beside the score puts the score below the name instead
SIDE_HEIGHT = 84  # px: the name box beside the score (two lines at full size)
STACKED_HEIGHT = 60  # px: the name box above the score (two lines at the smallest size)
CROWN_ROOM = 44  # px: the leader's crown and its gap, beside or above the score, never over the name


class Card(NamedTuple):
    """A team card's layout: "side" (name, then score) or "stacked" (score below), and the name box."""

    layout: str
    name_width: int
    name_height: int
    score_size: int = SCORE_SIZE  # px: smaller where the widest score would not fit below the name


def scoreboard_card(team_count: int, decimals: int) -> Card:
    """How a scoreboard of ``team_count`` cards lays out each card."""
    count = max(1, team_count)
    inner = (ROW_WIDTH - (count - 1) * CARD_GAP) / count - CARD_INSET
    side = int(inner - COLUMN_GAP - score_column(decimals))
    if side >= SIDE_MIN:
        return Card("side", side, SIDE_HEIGHT)
    room = inner - CROWN_ROOM  # the crown sits left of the score
    size = min(SCORE_SIZE, int(SCORE_SIZE * room / score_column(decimals)))
    return Card("stacked", int(inner), STACKED_HEIGHT, size)


def overlay_metrics(config: ShowConfig) -> dict[str, str]:
    """The scoreboard's boxes as CSS custom properties (rendered into overlays/templates/overlay.html)."""
    card = scoreboard_card(len(config.teams), config.decimals)
    return {
        "--card-layout": card.layout,
        "--name-box": f"{card.name_width}px",
        "--name-height": f"{card.name_height}px",
        "--name-size": f"{NAME_SIZE}px",
        "--name-min": str(NAME_MIN),
        "--score-col": f"{score_column(config.decimals) / SCORE_SIZE:.3f}em",  # of the score's own size
        "--score-size": f"{card.score_size}px",
        "--digit": f"{DIGIT}em",
    }


@cache
def _fonts(weight: int) -> tuple:
    from fontTools.ttLib import TTFont  # only `check` and the overlay page need it

    fonts = []
    for subset in SUBSETS:
        font = TTFont(FONTS / FONT_FILE.format(subset=subset, weight=weight))
        fonts.append((font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm))
    return tuple(fonts)


@cache
def _advance(char: str, weight: int) -> float:
    for cmap, hmtx, units in _fonts(weight):
        glyph = cmap.get(ord(char))
        if glyph is not None:
            return hmtx[glyph][0] / units
    return 0.6  # a character the font lacks: the browser's fallback font, about this wide


def text_width(text: str, size: float, weight: int = NAME_WEIGHT) -> float:
    """Width in px of ``text`` set in the theme's font (advance widths; kerning only narrows it)."""
    return sum(_advance(char, weight) for char in text) * size


def fits(name: str, width: float, size: float = NAME_SIZE * NAME_MIN, lines: int = NAME_LINES) -> bool:
    """Whether ``name`` fits ``width`` px at ``size`` px on one line, or on two broken at a space."""
    if text_width(name, size) <= width:
        return True
    words = name.split()
    return lines >= 2 and any(
        text_width(" ".join(words[:i]), size) <= width and text_width(" ".join(words[i:]), size) <= width
        for i in range(1, len(words))
    )


def name_warnings(config: ShowConfig, path: Path) -> list[str]:
    """``FILE:LINE: teams[i].name: …`` for each team whose name cannot fit the scoreboard even at its
    smallest on two lines and that has no short name that fits."""
    box = scoreboard_card(len(config.teams), config.decimals).name_width
    out = []
    nodes = _team_nodes(path)
    for index, team in enumerate(config.teams):
        if fits(team.name, box) or (team.short_name and fits(team.short_name, box)):
            continue
        node = nodes[index] if index < len(nodes) else None
        key = "short_name" if team.short_name else "name"
        line = node.key_lines.get(key, node.line) if isinstance(node, LocatedDict) else 1
        smallest = NAME_SIZE * NAME_MIN
        if team.short_name:
            what = f"neither '{team.name}' nor its short name '{team.short_name}' fits"
        else:
            what = f"'{team.name}' does not fit"
        out.append(
            f"{path}:{line}: teams[{index}].{key}: {what} the scoreboard's name box ({box} px) even at "
            f"{smallest:.0f} px on two lines; give the team a shorter short_name (it is shown where space is short)"
        )
    return out


def _team_nodes(path: Path) -> list:
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except Exception:  # the file parsed a moment ago; without lines the warnings still say which team
        return []
    teams = data.get("teams") if isinstance(data, dict) else None
    return list(teams) if isinstance(teams, list) else []
