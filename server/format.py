"""Points as people read them: one formatter per locale, the same digits as ``static/js/format.js``.

Pages and printed sheets write points with the show's fixed decimals (``ShowConfig.decimals``):
Vietnamese "1.234,50", English "1,234.50". Files for machines (CSV, xlsx) keep plain numbers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

MINUS = "\u2212"  # the typographic minus, as wide as a plus: a negative score lines up with the others
_SEPARATORS = {"vi": (".", ","), "en": (",", ".")}  # (thousands, decimal point)


def points(value: int | float | Decimal | None, decimals: int = 0, lang: str = "vi") -> str:
    """``value`` with exactly ``decimals`` decimals in ``lang`` ("vi" by default); "" for None."""
    if value is None:
        return ""
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    # Half away from zero, like Intl.NumberFormat's default in the browser.
    rounded = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    group, point = _SEPARATORS.get(lang, _SEPARATORS["vi"])
    text = f"{abs(rounded):,.{decimals}f}".replace(",", "\0").replace(".", point).replace("\0", group)
    return (MINUS if rounded < 0 else "") + text


def signed(value: int | float | Decimal | None, decimals: int = 0, lang: str = "vi") -> str:
    """Points with a plus for a gain (changes, adjustments)."""
    if value is None:
        return ""
    return ("+" if value > 0 else "") + points(value, decimals, lang)
