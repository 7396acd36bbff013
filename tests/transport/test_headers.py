"""The security headers (server/transport/headers.py) on every answer, errors aiohttp makes itself included."""

from __future__ import annotations

import re

from aiohttp import web

from server.transport.headers import add_security_headers, style_nonce


async def test_every_answer_carries_the_headers_with_a_fresh_nonce(aiohttp_client) -> None:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text=f'<style nonce="{style_nonce(request)}"></style>', content_type="text/html")

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("a handler's crash")

    async def gone(request: web.Request) -> web.Response:
        raise web.HTTPGone()

    app = web.Application()
    add_security_headers(app)
    for path, handler in [("/control", page), ("/overlay/program", page), ("/boom", boom), ("/gone", gone)]:
        app.router.add_get(path, handler)
    client = await aiohttp_client(app)
    nonces = []
    for path, status, framed in [
        ("/control", 200, False),
        ("/control", 200, False),
        ("/overlay/program", 200, True),
        ("/boom", 500, False),
        ("/gone", 410, False),
        ("/nowhere", 404, False),
    ]:
        response = await client.get(path)
        assert response.status == status, path
        csp = response.headers["Content-Security-Policy"]
        assert ("frame-ancestors 'self'" if framed else "frame-ancestors 'none'") in csp, path
        assert response.headers["X-Frame-Options"] == ("SAMEORIGIN" if framed else "DENY")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
        if status == 200:
            assert f'nonce="{nonce}"' in await response.text()  # the page's style carries the header's nonce
        nonces.append(nonce)
    assert len(set(nonces)) == len(nonces)
