"""The online stages' pages, in Vietnamese first and English with ``?lang=en``. The quiz: the entrant's
(``/quiz/``), the hall screen's leaderboard (``/quiz/board``) and the judges' marking (``/quiz/judge``).
The initiatives: the public gallery where units submit and the community votes (``/initiatives/``) and
the desk where the organizers review and the judges score (``/initiatives/desk``). Light on purpose (a
phone on a commune's 3G): no framework, the strings they use only, fonts served from here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from server.i18n import LANGUAGES, strings
from server.transport.assets import add_assets
from server.transport.headers import style_nonce
from server.transport.initiatives_api import INITIATIVES
from server.transport.quiz_api import QUIZ

ROOT = Path(__file__).resolve().parents[2]
STRINGS = ("quiz.", "initiative.", "wire.")  # the pages' own words and the refusals they may show


def add_quiz_pages(app: web.Application) -> None:
    _add_pages(app, QUIZ, {"/quiz/": "quiz.html", "/quiz/board": "board.html", "/quiz/judge": "judge.html"})
    app.router.add_get("/quiz", _to("/quiz/"))


def add_initiatives_pages(app: web.Application) -> None:
    _add_pages(app, INITIATIVES, {"/initiatives/": "gallery.html", "/initiatives/desk": "desk.html"})
    app.router.add_get("/initiatives", _to("/initiatives/"))


def _add_pages(app: web.Application, key: web.AppKey[Any], pages: dict[str, str]) -> None:
    static = f"{next(iter(pages))}static/"  # the stage's own address for online/static
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROOT / "online" / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )

    def page(template: str):
        async def handler(request: web.Request) -> web.Response:
            config = request.app[key].service.config
            lang = request.query.get("lang", config.language)
            lang = lang if lang in LANGUAGES else "vi"
            t = {k: v for k, v in strings(lang).items() if k.startswith(STRINGS)}
            html = env.get_template(template).render(
                t=t,
                lang=lang,
                other_lang="en" if lang == "vi" else "vi",
                nonce=style_nonce(request),
                strings_json=json.dumps(t, ensure_ascii=False).replace("</", "<\\/"),
                theme=config.theme,
                title=config.title,
                organizer=config.organizer,
                static=static,
            )
            return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-store"})

        return handler

    for path, template in pages.items():
        app.router.add_get(path, page(template))
    add_assets(app, static, ROOT / "online" / "static")
    add_assets(app, "/static/fonts/", ROOT / "static" / "fonts")


def _to(path: str):
    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(path + (f"?{request.query_string}" if request.query_string else ""))

    return redirect
