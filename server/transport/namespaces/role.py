"""What every role's namespace does: admit a token holder into its view's room, limit and size-check
each event, hand commands to the service, and answer every event with an ACK. No rules live here."""

from __future__ import annotations

import logging
from typing import Any

import socketio

from server.core import commands as c
from server.core.errors import ShowError
from server.core.words import Words
from server.transport import protocol as p
from server.transport.hub import Hub, Session
from server.transport.limits import TokenBucket, payload_size
from server.transport.signin import environ_token

log = logging.getLogger(__name__)


class RoleNamespace(socketio.AsyncNamespace):
    """One role's socket.io namespace (``/<role>``); subclasses say who may connect and what they may send."""

    role = ""
    rate, burst = 10.0, 30
    max_payload = p.MAX_PAYLOAD

    def __init__(self, hub: Hub) -> None:
        super().__init__(f"/{self.role}")
        self.hub = hub

    # -- connection -----------------------------------------------------------------------

    # A namespace for the holders of one kind of token: the access role it takes, and its refusal's words.
    token_role = ""
    wrong_token = ""  # the catalogue key of the refusal
    audience = "public"  # the view its token holders get, unless ``audience_of`` says per holder

    def authenticate(self, auth: Any) -> tuple[c.Actor, str]:
        """(actor, audience) for this connection, or raise ConnectionRefusedError."""
        actor = self.hub.access.actor(auth.get("token"))
        if actor is None or actor.role != self.token_role:
            raise self.refuse("unauthorized", self.wrong_token)
        return actor, self.audience_of(actor)

    def audience_of(self, actor: c.Actor) -> str:
        """Which view a token holder gets (its room)."""
        return self.audience

    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        auth = auth if isinstance(auth, dict) else {}
        cookie = self.token_role and not auth.get("token")
        if cookie:  # a page signed in with its cookie (server/transport/signin.py); auth.token wins
            auth = {**auth, "token": environ_token(environ, self.hub.service.config.id, self.token_role)}
        actor, audience = self.authenticate(auth)
        me = auth.get("me")
        if cookie and isinstance(me, str) and me and me != actor.id:
            # This browser has opened another pad's link since the page was drawn: never become that one.
            raise self.refuse("unauthorized", self.wrong_token)
        await self.admit(sid, actor, audience, auth)
        self.hub.sessions[(self.role, sid)] = Session(
            actor, audience, TokenBucket(self.rate, self.burst), self.device(auth)
        )
        await self.enter_room(sid, audience)
        self.hub.joined()
        # To this connection only, so never through a cluster's Redis (``ignore_queue``).
        await self.emit(p.SNAPSHOT, self.hub.service.snapshot(audience), to=sid, ignore_queue=True)
        self.hub.presence_changed()

    async def admit(self, sid: str, actor: c.Actor, audience: str, auth: dict) -> None:
        """A last say on a connection (the team pad's one-device rule)."""

    def device(self, auth: dict) -> str:
        """Which device this is (a phone's id, a tablet's pad id), as the client says."""
        device = auth.get("device", auth.get("pad", ""))
        return device if isinstance(device, str) else ""

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.hub.sessions.pop((self.role, sid), None)
        self.hub.presence_changed()

    def refuse(self, code: str, key: str, /, **params: Any) -> socketio.exceptions.ConnectionRefusedError:
        """A refused connection: the client's connect_error gets {"message", "data": {code, message, key, params}}."""
        data = p.refusal(code, Words(key, params))
        return socketio.exceptions.ConnectionRefusedError(data["message"], data)

    # -- events ---------------------------------------------------------------------------

    async def trigger_event(self, event: Any, *args: Any) -> Any:
        sid = args[0] if args else None
        if event in ("connect", "disconnect") and not self.server.manager.is_connected(sid, self.namespace):
            # The server's own call while (dis)connecting; a connected client sending an event
            # of that name gets an error like any other unknown event.
            return await super().trigger_event(event, *args)
        session = self.hub.sessions.get((self.role, sid))
        if session is None:
            return p.error("unauthorized", "wire.not_connected")
        try:
            if not session.bucket.take():
                return p.error("rate_limited", "wire.events_limited")
            if len(args) > 2:
                return p.error("bad_request", "wire.too_many_arguments", args=len(args) - 1)
            payload = args[1] if len(args) == 2 else None
            if payload_size(payload) > self.max_payload:
                return p.error("too_large", "wire.payload_too_large", max_payload=self.max_payload)
            return await self.handle(sid, session, event, payload)
        except ShowError as exc:
            return p.error_of(exc)
        except Exception:  # never a traceback to a user, never a crashed server
            log.exception("event %r on /%s failed", event, self.role)
            return p.error("internal", "wire.event_failed")

    async def handle(self, sid: str, session: Session, event: Any, payload: Any) -> dict[str, Any]:
        """The ACK for one event: a snapshot, the server's clock, or a command handed to the service."""
        service = self.hub.service
        if event == p.SYNC:
            return p.ok(**service.snapshot(session.audience))
        if event == p.TIME:
            return p.ok(server_time=service.clock())
        if not isinstance(event, str):
            raise p.ProtocolError("unknown_event", "wire.event_not_text")
        command = p.parse_command(self.role, event, payload, session.actor)
        async with service.gate():
            action = service.submit(command, sync=False)
        try:
            await self.hub.publish()  # on air while the disk syncs
        finally:
            service.sync()  # and on disk before the ACK
        return p.ok(rev=action.seq)
