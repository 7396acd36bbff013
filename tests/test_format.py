"""server/format.py: points with the show's fixed decimals, one formatter per locale."""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.configs import load_show
from server.format import points, signed
from tests.configs.test_check import VALID, write


@pytest.mark.parametrize(
    ("value", "decimals", "lang", "text"),
    [
        (214.53, 2, "vi", "214,53"),
        (164.2, 2, "vi", "164,20"),
        (59.2, 2, "en", "59.20"),
        (1234.5, 2, "vi", "1.234,50"),
        (1234.5, 2, "en", "1,234.50"),
        (Decimal("14.33"), 2, "vi", "14,33"),
        (0, 2, "vi", "0,00"),
        (-2.5, 2, "vi", "\u22122,50"),  # a true minus: as wide as the digits' neighbours on air
        (-0.001, 2, "vi", "0,00"),  # never "-0,00"
        (2.675, 2, "vi", "2,68"),  # half away from zero, like Intl.NumberFormat
        (40, 0, "vi", "40"),
        (7.5, 0, "en", "8"),
        (None, 2, "vi", ""),
    ],
)
def test_points(value, decimals: int, lang: str, text: str) -> None:
    assert points(value, decimals, lang) == text


def test_signed() -> None:
    assert signed(Decimal("2.5"), 2, "vi") == "+2,50"
    assert signed(-3, 0, "en") == "\u22123"
    assert signed(0, 1, "vi") == "0,0"


def test_show_decimals_default_from_judged_rounds(tmp_path) -> None:
    # VALID has one judged round (default 2 decimals) and a speed round.
    assert load_show(write(tmp_path, VALID)).decimals == 2
    no_judged = VALID.split("  - id: greet")[0]
    assert load_show(write(tmp_path, no_judged)).decimals == 0
    fixed = VALID.replace("  logo: logo.svg\n", "  logo: logo.svg\n  decimals: 1\n")
    assert load_show(write(tmp_path, fixed)).decimals == 1
