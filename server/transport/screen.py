"""The hall screen: ``/screen``, for a projector or an LED wall in the hall (no token, like the overlays).

Full screen on the show's solid background, driven by the public view (``/overlay`` namespace). The
wall's shape comes from the query: ``?w=3840&h=1080`` (its pixels) or ``?aspect=32:9``; 16:9 without
either. The page lays itself out for that shape (a wide strip puts the QR code, the question and the
timer side by side) rather than scaling a 16:9 picture into it.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import jinja2
from aiohttp import web

from server.core.config import ShowConfig
from server.i18n import LANGUAGES, strings
from server.transport.address import join_boot
from server.transport.assets import add_assets
from server.transport.headers import style_nonce
from server.transport.overlays import join_url

ROOT = Path(__file__).resolve().parents[2]
MIN_PX, MAX_PX = 64, 16384
MIN_RATIO, MAX_RATIO = Fraction(1, 4), Fraction(16, 1)  # a portrait column up to a long ribbon
DEFAULT_RATIO = Fraction(16, 9)


class ShapeError(ValueError):
    """A ``w``/``h``/``aspect`` query the screen cannot lay out for; the message says which and why."""


def screen_shape(query: dict[str, str]) -> tuple[int, int, Fraction]:
    """The wall's width and height in pixels (0 when not given) and its aspect ratio, from the query."""
    width, height = _pixels(query, "w"), _pixels(query, "h")
    if (width is None) != (height is None):
        raise ShapeError("give both w and h (the wall's pixels, e.g. ?w=3840&h=1080), or aspect (e.g. ?aspect=32:9)")
    if width is not None and height is not None:
        if "aspect" in query:
            raise ShapeError("give either w and h, or aspect, not both")
        ratio = Fraction(width, height)
    else:
        ratio = _aspect(query["aspect"]) if "aspect" in query else DEFAULT_RATIO
        width = height = 0
    if not MIN_RATIO <= ratio <= MAX_RATIO:
        raise ShapeError(f"the screen's shape must be between 1:4 and 16:1 (width:height), got {_ratio(ratio)}")
    return width, height, ratio


def _pixels(query: dict[str, str], key: str) -> int | None:
    raw = query.get(key)
    if raw is None:
        return None
    if not _whole(raw) or not MIN_PX <= int(raw) <= MAX_PX:
        raise ShapeError(f"{key}: expected a whole number of pixels from {MIN_PX} to {MAX_PX}, got '{raw[:20]}'")
    return int(raw)


def _aspect(raw: str) -> Fraction:
    left, sep, right = raw.replace("x", ":").replace("/", ":").partition(":")
    if not sep or not _whole(left) or not _whole(right) or not (0 < int(left) <= 1000 and 0 < int(right) <= 1000):
        raise ShapeError(f"aspect: expected width:height as whole numbers, e.g. 16:9 or 32:9, got '{raw[:20]}'")
    return Fraction(int(left), int(right))


def _whole(raw: str) -> bool:
    """A whole number in ASCII digits ("²" and "٣" are digits to str.isdigit, not to int)."""
    return raw.isascii() and raw.isdigit()


def _ratio(ratio: Fraction) -> str:
    return f"{ratio.numerator}:{ratio.denominator}"


def add_screen(app: web.Application, config: ShowConfig) -> None:
    """``GET /screen`` and its static files under ``/screen/static/``."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROOT / "screen" / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )

    async def screen(request: web.Request) -> web.Response:
        try:
            width, height, ratio = screen_shape(dict(request.query))
        except ShapeError as exc:
            raise web.HTTPBadRequest(text=f"/screen: {exc}") from None
        lang = request.query.get("lang", config.contest.language)
        lang = lang if lang in LANGUAGES else "vi"
        url = join_url(request)
        boot = {
            "shape": {"width": width, "height": height, "ratio": float(ratio), "aspect": _ratio(ratio)},
            "strings": {k: v for k, v in strings(lang).items() if k.startswith(("screen.", "common."))},
            "join": join_boot(url),
            "logo": "/show/logo" if config.contest.logo else None,
        }
        html = env.get_template("screen.html").render(
            nonce=style_nonce(request),
            lang=lang,
            theme=config.contest.theme,
            title=config.contest.title,
            boot_json=json.dumps(boot, ensure_ascii=False).replace("</", "<\\/"),
        )
        return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-store"})

    app.router.add_get("/screen", screen)
    add_assets(app, "/screen/static/", ROOT / "screen" / "static")
