"""HTTP adapters: the control API under /api/v1 (for Companion, Stream Deck, scripts) and /healthz."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from server.core.audit import words_of
from server.core.errors import ShowError
from server.show.views import award_json
from server.transport import protocol as p
from server.transport.keys import ACCESS, HUB, SERVICE

log = logging.getLogger(__name__)
API = "/api/"

_STATUS = {
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "unknown_event": 404,
    "too_large": 413,
    "rate_limited": 429,
    "storage": 503,
    "internal": 500,
}


def _no_token() -> dict[str, Any]:
    return p.error("unauthorized", "wire.bearer_missing")


def reply(body: dict[str, Any], status: int | None = None) -> web.Response:
    if status is None:
        status = (
            200
            if body["ok"]
            else _STATUS.get(
                body["error"]["code"], 409 if body["error"]["code"] in ("phase", "rule", "quiz", "initiative") else 400
            )
        )
    return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def _producer(request: web.Request) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    actor = request.app[ACCESS].actor(token.strip()) if scheme.lower() == "bearer" else None
    return actor is not None and actor.role == "producer"


async def healthz(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    hub = request.app[HUB]
    return reply(
        p.ok(show=service.config.id, rev=service.revision, server_time=service.clock(), clients=hub.presence())
    )


async def get_state(request: web.Request) -> web.Response:
    """The producer's view with the producer token, the public view without one."""
    audience = "producer" if _producer(request) else "public"
    if request.headers.get("Authorization") and audience == "public":
        return reply(p.error("unauthorized", "wire.bearer_wrong"))
    return reply(p.ok(**request.app[SERVICE].snapshot(audience)))


async def post_command(request: web.Request) -> web.Response:
    if not _producer(request):
        return reply(_no_token())
    name = request.match_info["name"]
    service = request.app[SERVICE]
    try:
        payload = await json_body(request)
        producer = request.app[ACCESS].actor(request.headers["Authorization"].partition(" ")[2].strip())
        command = p.parse_command("control", name, payload, producer)
        async with service.gate():
            action = service.submit(command)
    except ShowError as exc:
        return reply(p.error_of(exc))
    except Exception:
        log.exception("HTTP command %s failed", name)
        return reply(p.error("internal", "wire.command_failed"))
    return reply(p.ok(rev=action.seq, label=action.label, label_words=words_of(action).wire()))


async def json_body(request: web.Request, most: int = p.MAX_PAYLOAD) -> Any:
    """The request's JSON body (``{}`` if empty), or ``ProtocolError`` saying what is wrong with it."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raw = None
    if raw is None or len(raw) > most:
        raise p.ProtocolError("too_large", "wire.body_too_large", max_payload=most)
    try:
        payload = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        json.dumps(payload, ensure_ascii=False).encode()  # "\ud800" is valid JSON, but not valid text
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise p.ProtocolError("bad_request", "wire.body_not_json", exc=exc) from None
    except UnicodeEncodeError:
        raise p.ProtocolError("bad_request", "wire.body_not_unicode") from None
    except RecursionError:
        raise p.ProtocolError("bad_request", "wire.body_too_deep") from None
    return payload


async def get_awards(request: web.Request) -> web.Response:
    """The whole points ledger (the producer's view holds only the newest awards)."""
    if not _producer(request):
        return reply(_no_token())
    service = request.app[SERVICE]
    awards = [award_json(a) for a in service.state.board.awards]
    return reply(p.ok(rev=service.revision, awards=awards))


async def list_commands(request: web.Request) -> web.Response:
    return reply(p.ok(commands=sorted(p.COMMANDS["control"])))


@web.middleware
async def json_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every error of the API in JSON, as its answers are (a wrong method, a path that is not there)."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or not request.path.startswith(API):
            raise
        if isinstance(exc, web.HTTPMethodNotAllowed):
            body = p.error(
                "method_not_allowed",
                "wire.method_not_allowed",
                method=exc.method[:10],
                allowed=", ".join(sorted(exc.allowed_methods)),
            )
        elif exc.status == 404:
            body = p.error("not_found", "wire.no_such_path", path=request.path[:80])
        else:
            body = p.error("bad_request", "wire.http_refused", status=exc.status, reason=exc.reason)
        return reply(body, exc.status)


def add_routes(app: web.Application, owner: bool = True) -> None:
    """The HTTP API; an edge process of a cluster (server/transport/cluster.py) has only the health check."""
    app.middlewares.append(json_errors)
    app.router.add_get("/healthz", healthz)
    if not owner:
        return
    app.router.add_get("/api/v1/state", get_state)
    app.router.add_get("/api/v1/awards", get_awards)
    app.router.add_get("/api/v1/commands", list_commands)
    app.router.add_post("/api/v1/commands/{name}", post_command)
