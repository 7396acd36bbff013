"""Points as people read them: one formatter per locale, the same digits as ``static/js/format.js``.

Pages and printed sheets write points with the show's fixed decimals (``ShowConfig.decimals``):
Vietnamese "1.234,50", English "1,234.50", in Babel's CLDR patterns for the locale (Babel ships its
data: nothing is fetched). Files for machines (CSV, xlsx) keep plain numbers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel.numbers import format_decimal

MINUS = "\u2212"  # the typographic minus, as wide as a plus: a negative score lines up with the others
LOCALES = {"vi": "vi_VN", "en": "en_US"}  # the pages' Intl.NumberFormat locales (format.js)


def points(value: int | float | Decimal | None, decimals: int = 0, lang: str = "vi") -> str:
    """``value`` with exactly ``decimals`` decimals in ``lang`` ("vi" by default); "" for None."""
    if value is None:
        return ""
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    # Rounded here, half away from zero like Intl.NumberFormat in the browser (Babel rounds half to
    # even); Babel then only writes the digits, and a rounded zero has no sign ("0,00", never "-0,00").
    rounded = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = format_decimal(abs(rounded), format=_pattern(decimals), locale=LOCALES.get(lang, LOCALES["vi"]))
    return (MINUS if rounded < 0 else "") + text


@cache
def _pattern(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


def signed(value: int | float | Decimal | None, decimals: int = 0, lang: str = "vi") -> str:
    """Points with a plus for a gain (changes, adjustments)."""
    if value is None:
        return ""
    return ("+" if value > 0 else "") + points(value, decimals, lang)
