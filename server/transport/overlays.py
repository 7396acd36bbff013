"""The broadcast overlays: pages OBS loads as browser sources, and what they show besides the view.

``/overlay/<name>`` is one overlay, ``/overlay/program`` all of them in layers. ``?preview=1``
shows sample data (``&on=scoreboard,timer`` picks the program's layers); ``?always=1`` ignores
the producer's on-air toggles (for a source OBS shows and hides by itself). ``/join.svg`` is the
QR code of the audience's join address, ``/a`` that short address itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
from aiohttp import web

from server.configs.typeset import overlay_metrics
from server.core.config import OVERLAYS, ShowConfig
from server.core.zones import OVERLAY_ZONES, SAFE, ZONES
from server.i18n import LANGUAGES, strings
from server.show.preview import Preview
from server.show.service import now_ms
from server.transport.address import PUBLIC_URL, join_boot, lan_address, qr_svg, request_reach
from server.transport.assets import ShowFile, add_assets
from server.transport.headers import style_nonce

ROOT = Path(__file__).resolve().parents[2]
__all__ = ["JOIN_PATH", "PUBLIC_URL", "add_overlays", "join_url", "lan_address"]  # lan_address: old home

PROGRAM = "program"
PROGRAM_PREVIEW = ("scoreboard", "question", "timer", "buzzer")  # a quiz moment, unless ?on=a,b names others
JOIN_PATH = "/a"
AUDIENCE_PAGE = "/audience"


def add_overlays(app: web.Application, config: ShowConfig, config_dir: Path, public_url: str | None) -> None:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROOT / "overlays" / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    preview = Preview(config)
    metrics = overlay_metrics(config)  # the scoreboard's boxes, as `check` measures names against them
    logo = (config_dir / config.contest.logo).resolve() if config.contest.logo else None
    app[PUBLIC_URL] = public_url

    async def overlay(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name != PROGRAM and name not in OVERLAYS:
            raise web.HTTPNotFound(
                text=f"no overlay '{name[:40]}'; overlays: {', '.join(OVERLAYS)}, or {PROGRAM} for all in layers",
            )
        lang = request.query.get("lang", config.contest.language)
        lang = lang if lang in LANGUAGES else "vi"
        layers = list(OVERLAYS) if name == PROGRAM else [name]
        url = join_url(request)
        sample = preview.views(now_ms()) if request.query.get("preview") == "1" else None
        if sample is not None and name == PROGRAM:
            on = [n for n in request.query.get("on", ",".join(PROGRAM_PREVIEW)).split(",") if n in OVERLAYS]
            for view in sample.values():
                view["on_air"] = on
        boot = {
            "name": name,
            "layers": layers,
            "preview": sample,
            "always": request.query.get("always") == "1",
            "monitor": request.query.get("monitor") == "1",  # a controller's program monitor, not OBS
            "strings": {k: v for k, v in strings(lang).items() if k.startswith(("overlay.", "common."))},
            "join": join_boot(url),
            "logo": "/show/logo" if logo else None,
        }
        html = env.get_template("overlay.html").render(
            nonce=style_nonce(request),
            name=name,
            layers=layers,
            lang=lang,
            theme=config.contest.theme,
            metrics=metrics,
            safe=SAFE,  # the layers' geometry: one table for the pixels and the rules (server/core/zones.py)
            zones=ZONES,
            overlay_zones=OVERLAY_ZONES,
            title=config.contest.title,
            boot_json=json.dumps(boot, ensure_ascii=False).replace("</", "<\\/"),
        )
        return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-store"})

    async def join_qr(request: web.Request) -> web.Response:
        return qr_svg(join_url(request))

    async def join(request: web.Request) -> web.Response:
        raise web.HTTPFound(AUDIENCE_PAGE + (f"?{request.query_string}" if request.query_string else ""))

    no_logo = "this show has no logo (contest.logo in the show config)"

    async def no_file(request: web.Request) -> web.Response:
        raise web.HTTPNotFound(text=no_logo)

    show_logo = ShowFile(logo, no_logo).handle if logo is not None else no_file

    # The questions' pictures (an obstacle's picture behind its tiles): only files the config names as media.
    no_media = "no question of this show has that media file"
    media = {
        q.media: ShowFile((config_dir / q.media).resolve(), no_media) for q in config.questions.values() if q.media
    }

    async def show_media(request: web.Request) -> web.Response:
        file = media.get(request.match_info["path"])
        if file is None:
            raise web.HTTPNotFound(text=no_media)
        return await file.handle(request)

    app.router.add_get("/overlay/{name}", overlay)
    app.router.add_get("/join.svg", join_qr)
    app.router.add_get(JOIN_PATH, join)
    app.router.add_get("/show/logo", show_logo)
    app.router.add_get("/show/media/{path:.+}", show_media)
    add_assets(app, "/overlays/", ROOT / "overlays" / "static")


def join_url(request: web.Request) -> str:
    """Where phones join: the address devices reach this server at (server/transport/address.py)."""
    return request_reach(request).base + JOIN_PATH
