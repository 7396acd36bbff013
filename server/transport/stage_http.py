"""What the online stages' HTTP APIs share: JSON handlers that answer ``{"ok": …}`` and never a traceback,
bodies read into structs with the field that is wrong named, the heap frozen after waves of connections,
tokens for the judges and the organizers, and the one-time codes that verify a phone number or an email
and open a signed session (a cookie per stage)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from server.core.errors import ShowError
from server.core.quiz.attempt import identity
from server.online.otp import Codes, Sender, Sessions, masked
from server.online.stage_link import EdgeLink
from server.transport import protocol as p
from server.transport.heap import JoinWaves
from server.transport.http import json_body, reply
from server.transport.limits import AddressBuckets, network_address

log = logging.getLogger(__name__)

SEEN_MOST = 100_000  # connections remembered as counted
CODES_PER_ADDRESS = (0.5, 60)  # a hall's Wi-Fi shares an address: a burst of sixty, then one every 2 s
SESSION_DAYS = 30


def add_routes(app: web.Application, key: web.AppKey[Any], base: str, routes: tuple[tuple[str, str, str], ...]) -> None:
    """``routes`` (method, path under ``base``, the name of ``app[key]``'s handler); the heap frozen after
    waves of new connections (``server.transport.heap``)."""
    app.middlewares.append(_new_connections(JoinWaves()))
    for method, path, name in routes:
        app.router.add_route(method, base + path, _handler(key, name))


def _new_connections(waves: JoinWaves) -> Callable:
    """Count each new connection as a join: once a wave of them has come, the heap they made is frozen,
    so that collections stop re-scanning thousands of connections."""
    seen: set[int] = set()  # the connections' ids (one reused by a later connection merely is not counted)

    @web.middleware
    async def middleware(request: web.Request, handler: Callable) -> web.StreamResponse:
        connection = id(request.protocol)
        if connection not in seen:
            if len(seen) > SEEN_MOST:
                seen.clear()
            seen.add(connection)
            waves.joined()
        return await handler(request)

    return middleware


def _handler(key: web.AppKey[Any], name: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        try:
            answer = await getattr(request.app[key], name)(request)
            return answer if isinstance(answer, web.Response) else reply(answer)
        except ShowError as exc:
            return reply(p.error_of(exc))
        except Exception:  # never a traceback to a user
            log.exception("%s failed", request.path)
            return reply(p.error("internal", "wire.event_failed"))

    return handle


async def read_body(request: web.Request, base: str, kind: type[Any], most: int) -> Any:
    """The request's JSON body as a ``kind`` struct, or ``ProtocolError`` naming what is wrong."""
    return p.parse_payload(request.path.removeprefix(base), await json_body(request, most), kind)


def holder(request: web.Request, tokens: dict[str, str], role: str) -> str:
    """The subject of a judge's or the organizers' token (``Authorization: Bearer``, else ``?token=``)."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    token = given.strip() if scheme.lower() == "bearer" else request.query.get("token", "")
    kind, _, subject = tokens.get(token, "").partition(":")
    if kind != role:
        raise p.ProtocolError("unauthorized", "quiz.wrong_token", role=role)
    return subject


class Verifier:
    """One-time codes to a contact, and the session they open: a signed cookie under ``path``."""

    def __init__(self, sender: Sender, secret: bytes, cookie: str, path: str, title: str) -> None:
        self.sender = sender
        self.codes = Codes()
        self.owner: EdgeLink | None = None  # an edge's: the owner sends and checks the codes
        self.sessions = Sessions(secret)
        self.cookie, self.path, self.title = cookie, path, title
        self.buckets = AddressBuckets()

    @staticmethod
    def identity(contact: str) -> str:
        """The identity a contact stands for, or the refusal that says how to write one."""
        found = identity(contact)
        if found is None:
            raise p.ProtocolError("bad_request", "quiz.contact_invalid")
        return found

    async def send(self, request: web.Request, who: str, now: int, details: dict[str, Any]) -> str:
        """Send ``who`` a code (``details`` kept until it comes back); the contact as the page shows it."""
        address = network_address({"aiohttp.request": request})
        if not self.buckets.bucket("code", address, *CODES_PER_ADDRESS).take():
            raise p.ProtocolError("rate_limited", "quiz.codes_limited")
        if self.owner is not None:
            await self.owner.ask("code", who, now, details)
        else:
            await self.issue(who, now, details)
        return masked(who)

    async def issue(self, who: str, now: int, details: dict[str, Any]) -> None:
        """Send ``who`` a new code (this process holds the codes: one alone, or a cluster's owner)."""
        await self.sender.send(who, self.codes.issue(who, now, details), self.title)

    async def check(self, who: str, code: str, now: int) -> dict[str, Any]:
        """The details kept with ``who``'s code if ``code`` is it; else the refusal (``Codes.check``)."""
        if self.owner is not None:
            details: dict[str, Any] = await self.owner.ask("check", who, code, now)
            return details
        return self.codes.check(who, code, now)

    def sign_in(self, request: web.Request, response: web.Response, subject: str) -> web.Response:
        response.set_cookie(
            self.cookie,
            self.sessions.token(subject),
            max_age=SESSION_DAYS * 24 * 3600,
            path=self.path,
            httponly=True,
            samesite="Strict",
            secure=request.secure,
        )
        return response

    def sign_out(self, response: web.Response) -> web.Response:
        response.del_cookie(self.cookie, path=self.path)
        return response

    def subject(self, request: web.Request) -> str | None:
        """Whose session the request carries, or None."""
        return self.sessions.subject(request.cookies.get(self.cookie))
