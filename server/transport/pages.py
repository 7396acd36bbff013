"""The pages people operate: the producer's controller, the host's screen, the judges' and the teams' pads, and
the audience's phone page (``/audience``, reached from the QR code's short address ``/a``).

Rendered with jinja2 from the show config (theme, title) and the string catalogue; every
script, style and font they load is served from here (studios are often offline). A page opened
with its ``?token=`` trades it for a cookie and drops it from the address (server/transport/signin.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
from aiohttp import web

from server.core.config import OVERLAYS, ShowConfig
from server.i18n import LANGUAGES, strings
from server.transport.assets import add_assets
from server.transport.headers import style_nonce
from server.transport.keys import ACCESS
from server.transport.signin import cookie_token, exchange

ROOT = Path(__file__).resolve().parents[2]
PAGES = {"/control": "control.html", "/host": "host.html", "/judge": "judge.html", "/team": "team.html"}
ROLES = {"/control": "producer", "/host": "host", "/judge": "judge", "/team": "team"}
# Pages refused outright to a wrong token, by the words they say (the pads say it themselves, so a
# team can take its pad back; the controller shows nothing of the show to a wrong token).
REFUSED = {"/control": "control.unauthorized", "/host": "host.unauthorized"}

# The audience page's own strings and the words of the refusals a phone can get (votes, limits).
AUDIENCE_STRINGS = ("audience.", "vote.", "wire.vote", "wire.joins", "wire.bad_device", "wire.audience_", "wire.events")


def add_pages(app: web.Application, config: ShowConfig, desk: bool = True) -> None:
    """Every page; without ``desk`` (an edge process) only the audience's, the controller and pads live
    on the owner process."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([ROOT / "controller" / "templates", ROOT / "audience" / "templates"]),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )

    def page(path: str, template: str):
        async def handler(request: web.Request) -> web.Response:
            lang = request.query.get("lang", config.contest.language)
            lang = lang if lang in LANGUAGES else "vi"
            t = strings(lang)
            # Whose page this is (a team pad must know its team before the show starts; the
            # public view it gets says nothing about who it is). Only the token's holder sees it.
            role, given = ROLES[path], request.query.get("token", "")
            # The token in the address, else the one this browser was signed in with (its cookie).
            actor = request.app[ACCESS].actor(given or cookie_token(request, config.id, role))
            me = actor.id if actor is not None and actor.role == role else ""
            if path in REFUSED and (actor is None or actor.role != role):
                return _refused(env, t, lang, config, REFUSED[path], style_nonce(request))
            if given and actor is not None and actor.role == role:
                return exchange(request, config.id, role, given)
            html = env.get_template(template).render(
                t=t,
                nonce=style_nonce(request),
                strings_json=json.dumps(t, ensure_ascii=False).replace("</", "<\\/"),
                lang=lang,
                theme=config.contest.theme,
                title=config.contest.title,
                overlays=OVERLAYS,
                me=me,
            )
            return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-store"})

        return handler

    async def audience(request: web.Request) -> web.Response:
        lang = request.query.get("lang", config.contest.language)
        lang = lang if lang in LANGUAGES else "vi"
        t = strings(lang)
        # Only the page's own strings: every byte goes to thousands of phones.
        own = {key: text for key, text in t.items() if key.startswith(AUDIENCE_STRINGS)}
        html = env.get_template("audience.html").render(
            t=t,
            nonce=style_nonce(request),
            strings_json=json.dumps(own, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/"),
            lang=lang,
            theme=config.contest.theme,
            title=config.contest.title,
        )
        return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-store"})

    for path, template in PAGES.items() if desk else ():
        app.router.add_get(path, page(path, template))
    app.router.add_get("/audience", audience)
    app.router.add_get("/favicon.ico", _no_icon)
    add_assets(app, "/static/", ROOT / "static")
    add_assets(app, "/controller/", ROOT / "controller" / "static")
    add_assets(app, "/audience/static/", ROOT / "audience" / "static")


def _refused(
    env: jinja2.Environment, t: dict[str, str], lang: str, config: ShowConfig, key: str, nonce: str
) -> web.Response:
    """A small page saying the link is not valid, with status 403, in the page's language."""
    html = env.get_template("refused.html").render(
        t=t, lang=lang, theme=config.contest.theme, title=config.contest.title, text=t[key], nonce=nonce
    )
    return web.Response(status=403, text=html, content_type="text/html", headers={"Cache-Control": "no-store"})


async def _no_icon(request: web.Request) -> web.Response:
    return web.Response(status=204)
