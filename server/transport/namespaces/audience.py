"""``/audience``: the hall's phones. Each phone votes as the identity the server issued it (a fresh one,
within its address's allowance, for a phone that presents none this show signed); votes go to the ballot
box, limited per phone and per network address."""

from __future__ import annotations

from typing import Any

from server.core import commands as c
from server.core.errors import ShowError
from server.transport import protocol as p
from server.transport.hub import Hub, Session
from server.transport.limits import AddressBuckets, TokenBucket, network_address
from server.transport.namespaces.role import RoleNamespace


class AudienceNamespace(RoleNamespace):
    """Any phone with a device id: the audience's view, its own ballot and its votes, as the identity
    the server issued it (``server/transport/identity.py``)."""

    role = "audience"
    rate, burst = 2.0, 10  # a (re)connecting page spends a few on the clock and `mine`
    max_payload = p.MAX_AUDIENCE_PAYLOAD
    # Per network address, against scripted stuffing; generous, since a hall's phones may all share
    # one address (the venue's Wi-Fi, a carrier's NAT).
    address_votes = (200.0, 5000)  # votes a second, burst
    address_joins = (100.0, 5000)  # new connections a second, burst

    def __init__(self, hub: Hub) -> None:
        super().__init__(hub)
        self.addresses: dict[str, str] = {}  # sid -> network address
        self.limits = AddressBuckets()  # (what, address) -> bucket

    def _bucket(self, what: str, address: str) -> TokenBucket:
        return self.limits.bucket(what, address, *(self.address_votes if what == "vote" else self.address_joins))

    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        address = network_address(environ)
        if not self._bucket("join", address).take():
            raise self.refuse("rate_limited", "wire.joins_limited")
        auth = auth if isinstance(auth, dict) else {}
        self.authenticate(auth)  # a malformed id is refused, as ever
        try:
            identity = await self.hub.ballots.phones.identify(auth["device"], address)
        except ShowError as exc:  # an edge before the owner wrote the secret
            raise self.refuse("unavailable", exc.words.key) from None
        if identity is None:
            raise self.refuse("rate_limited", "wire.joins_limited")
        device, fresh = identity
        if fresh:  # before the snapshot: the page keeps it and presents it from now on
            await self.emit(p.IDENTITY, {"device": device}, to=sid, ignore_queue=True)
        self.addresses[sid] = address
        await super().on_connect(sid, environ, {**auth, "device": device})

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.addresses.pop(sid, None)
        await super().on_disconnect(sid, reason)

    def authenticate(self, auth: Any) -> tuple[c.Actor, str]:
        device = auth.get("device")
        if not isinstance(device, str) or not 8 <= len(device) <= 64:
            raise self.refuse("unauthorized", "wire.bad_device")
        return c.Actor("audience"), "audience"

    async def handle(self, sid: str, session: Session, event: Any, payload: Any) -> dict[str, Any]:
        service = self.hub.service
        if event == p.MINE:
            return p.ok(**await self.hub.ballots.ballot_of(session.device))
        if event != p.VOTE:
            if event in (p.SYNC, p.TIME):
                return await super().handle(sid, session, event, payload)
            raise p.ProtocolError("unknown_event", "wire.audience_unknown_event", event=str(event)[:40])
        vote = p.parse_vote(payload, session.device, service.clock())
        if not self._bucket("vote", self.addresses.get(sid, "")).take():
            return p.error("rate_limited", "wire.votes_limited")
        return await self.hub.ballots.cast(vote)
