"""The judges' and teams' pads as the producer hands them out: each pad's signed-in address and its
QR code, for the controller's devices panel. Producer only: a pad's URL carries its token.

``GET /api/v1/pads`` (``Authorization: Bearer <producer token>``, or the controller's cookie) lists them
with where the hall's devices reach the server; ``GET /pads/<role>/<id>.svg?token=<producer token>``
(or with the cookie) is one pad's QR code (an ``<img>`` cannot send a header, hence the query).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.core.config import ShowConfig
from server.transport import protocol as p
from server.transport.address import qr_svg, request_reach
from server.transport.http import reply
from server.transport.keys import ACCESS, SERVICE
from server.transport.signin import cookie_token

PAGE = {"judge": "/judge", "team": "/team"}  # a pad's page by role


def pads(access, config: ShowConfig, base: str) -> list[dict[str, str]]:
    """Every judge's and team's pad: role, id, name and the URL that opens it signed in."""
    people = [("judge", j.id, j.name) for j in config.judges] + [("team", t.id, t.name) for t in config.teams]
    return [
        {"role": role, "id": pid, "name": name, "url": f"{base}{PAGE[role]}?token={access.token(role, pid)}"}
        for role, pid, name in people
    ]


def _refused(where: str) -> dict[str, Any]:
    return p.error("unauthorized", "wire.pads_producer_only", where=where)


def _is_producer(request: web.Request, token: str) -> bool:
    """Whether the request is the producer's: by the token given, else by the controller's cookie."""
    token = token.strip() or cookie_token(request, request.app[SERVICE].config.id, "producer") or ""
    actor = request.app[ACCESS].actor(token)
    return actor is not None and actor.role == "producer"


async def list_pads(request: web.Request) -> web.Response:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    if not _is_producer(request, token):
        return reply(_refused("Authorization: Bearer <token>"))
    where = request_reach(request, desk=True)
    listed = pads(request.app[ACCESS], request.app[SERVICE].config, where.base)
    for pad in listed:
        # Signed in by the cookie, the QR code's <img> sends the cookie too: no token in the address.
        pad["qr"] = f"/pads/{pad['role']}/{pad['id']}.svg" + (f"?token={token}" if token else "")
    network = {"base": where.base, "hall": where.hall, "why": where.why}
    return reply(p.ok(network=network, pads=listed))


async def pad_qr(request: web.Request) -> web.Response:
    if not _is_producer(request, request.query.get("token", "")):
        return reply(_refused("?token=<token>"))
    role, pid = request.match_info["role"], request.match_info["id"]
    listed = pads(request.app[ACCESS], request.app[SERVICE].config, request_reach(request, desk=True).base)
    pad = next((x for x in listed if x["role"] == role and x["id"] == pid), None)
    if pad is None:
        known = ", ".join(f"{x['role']}/{x['id']}" for x in listed)
        return reply(p.error("not_found", "wire.no_pad", role=role[:20], pid=pid[:40], known=known))
    # Quiet zone of 4 modules: tablet cameras read it off a laptop screen.
    response = qr_svg(pad["url"], scale=8, border=4, sized=False)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def add_pads(app: web.Application) -> None:
    """The pads' routes (the owner process only: an edge has no tokens)."""
    app.router.add_get("/api/v1/pads", list_pads)
    app.router.add_get("/pads/{role}/{id}.svg", pad_qr)
