"""Security headers on every response: a strict Content-Security-Policy, who may frame a page,
nosniff and no referrer (docs/deploy.md, "Security").

Every script, style, font and picture is served from here, so the policy names no other origin and
allows no inline script; the pages' inline ``<style>`` blocks (the show's theme as CSS variables,
the overlays' zone geometry) carry the response's nonce. Only the overlays may be framed, and only
by this server's own pages (the controller's program monitor); OBS loads them as a top-level page.
"""

from __future__ import annotations

import secrets

from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import CIMultiDict

NONCE = web.RequestKey("style_nonce", str)  # the request's key for its style nonce
FRAMED = ("/overlay/",)  # the pages the controller's program monitor frames


def style_nonce(request: web.Request) -> str:
    """The nonce this response's inline ``<style>`` blocks must carry."""
    nonce = request.get(NONCE)
    if not isinstance(nonce, str):  # a request the middleware never saw (a handler called directly)
        nonce = request[NONCE] = secrets.token_urlsafe(12)  # 96 bits, fresh for each answer
    return nonce


def policy(nonce: str, framed: bool) -> str:
    """The Content-Security-Policy for one response."""
    # connect-src 'self' covers the same origin's ws:/wss: too (CSP level 3, as Chromium does it).
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self'",
            "font-src 'self'",
            "connect-src 'self'",
            "frame-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'self'" if framed else "frame-ancestors 'none'",
        ]
    )


def _add(headers: CIMultiDict[str], request: web.Request) -> None:
    framed = request.path.startswith(FRAMED)
    headers["Content-Security-Policy"] = policy(style_nonce(request), framed)
    headers["X-Frame-Options"] = "SAMEORIGIN" if framed else "DENY"  # frame-ancestors for old browsers
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"  # a token-bearing address never leaves in a Referer


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give the request its style nonce before anything else sees it (or clones it)."""
    style_nonce(request)
    return await handler(request)


async def _on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    _add(response.headers, request)


def add_security_headers(app: web.Application) -> None:
    """The headers on every answer as it goes out: pages, files, the API, and errors aiohttp makes itself
    (a 404, a handler's crash), which no middleware sees."""
    app.middlewares.insert(0, security_headers)
    app.on_response_prepare.append(_on_prepare)
