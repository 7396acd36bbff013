"""Tokens out of the address bar: a page opened with ``?token=`` trades it for a session cookie.

The page answers ``303 See Other`` to the same address without the token (other parameters kept)
and sets an HttpOnly, SameSite=Strict cookie; the page and its socket then sign in with the cookie.
One cookie per show and role (``showcaller-<show>-team``): the newest link opened in a browser wins
for that role, and a pad rendered for one team refuses to connect as another (``auth.me``).
A token in ``auth.token`` or an ``Authorization`` header still works for scripts and Companion.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote, unquote

from aiohttp import web

PREFIX = "showcaller"


def cookie_name(show_id: str, role: str) -> str:
    """The cookie that holds one role's token for one show (shows on other ports of a host differ)."""
    return f"{PREFIX}-{re.sub(r'[^A-Za-z0-9_-]', '_', show_id)}-{role}"


def read_cookie(header: str, name: str) -> str | None:
    """The value of cookie ``name`` in a ``Cookie`` header, or None."""
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return unquote(value.strip())
    return None


def cookie_token(request: web.Request, show_id: str, role: str) -> str | None:
    """The token a request's cookie holds for ``role``, or None."""
    return read_cookie(request.headers.get("Cookie", ""), cookie_name(show_id, role))


def environ_token(environ: dict[str, Any], show_id: str, role: str) -> str | None:
    """The token a socket.io handshake's cookie holds for ``role``, or None."""
    header = environ.get("HTTP_COOKIE", "")
    return read_cookie(header, cookie_name(show_id, role)) if isinstance(header, str) else None


def exchange(request: web.Request, show_id: str, role: str, token: str) -> web.Response:
    """The answer to a page opened with a valid ``?token=``: the cookie, and the address without it."""
    target = str(request.rel_url.with_query([(k, v) for k, v in request.query.items() if k != "token"]))
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        # A link followed from another site: the browser would not send a SameSite=Strict cookie
        # on a redirect of that navigation, so our own page makes the next step (same-site) itself.
        # The refresh replaces the history entry, so the token's address does not stay there either.
        body = f'<!doctype html><meta http-equiv="refresh" content="0;url={html.escape(target)}">'
        response = web.Response(text=body, content_type="text/html")
    else:
        response = web.Response(status=303, headers={"Location": target})
    response.headers["Cache-Control"] = "no-store"
    # Percent-encoded: a token from the environment or the config may hold any character.
    response.set_cookie(
        cookie_name(show_id, role),
        quote(token, safe=""),
        path="/",  # the page, its socket (/socket.io/) and the devices panel's /api/v1/pads
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )
    return response
