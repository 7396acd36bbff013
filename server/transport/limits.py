"""Rate and size limits on what clients send: token buckets per connection and per network address
(behind the proxies trusted to name it), a payload's size on the wire."""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Iterable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import CIMultiDict, CIMultiDictProxy

from server.transport import protocol as p

FORGET_ADDRESSES_AFTER = 100_000  # buckets kept before the idle addresses' are forgotten


class TokenBucket:
    """At most ``rate`` events a second on average, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class AddressBuckets(dict[tuple[str, str], TokenBucket]):
    """One bucket per (what, network address): against scripted stuffing from one address."""

    def bucket(self, what: str, address: str, rate: float, burst: int) -> TokenBucket:
        """The bucket of ``what`` (votes, joins) from ``address``, new ones starting full."""
        bucket = self.get((what, address))
        if bucket is None:
            if len(self) > FORGET_ADDRESSES_AFTER:  # forget idle addresses rather than grow without end
                self.clear()
            bucket = self[(what, address)] = TokenBucket(rate, burst)
        return bucket


class TrustedProxies:
    """The peers (addresses or networks) whose ``X-Forwarded-*`` headers are believed; none by default."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        # ValueError names the entry that is neither an address nor a network (e.g. 127.0.0.1, 10.0.0.0/8)
        self.networks = tuple(_network(entry) for entry in entries)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, str) or not self.networks:
            return False
        try:
            ip = ipaddress.ip_address(address.strip().strip("[]"))
        except ValueError:
            return False  # "unknown", an obfuscated name: never a proxy of ours
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d
        return any(ip in network for network in self.networks)


def _network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        raise ValueError(
            f"trusted proxy {entry!r}: not an IP address or network (e.g. 127.0.0.1, 10.0.0.0/8)"
        ) from None


TRUSTED_PROXIES = web.AppKey("trusted_proxies", TrustedProxies)
_FORWARDED = ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded")


def client_address(peer: str, forwarded_for: str, trusted: TrustedProxies) -> str:
    """The client's address: the peer's own unless it is a trusted proxy, else the right-most address in
    ``X-Forwarded-For`` that is not a trusted proxy (the ones left of it are whatever the client wrote)."""
    address = peer
    if peer not in trusted:
        return peer
    for hop in reversed([hop.strip() for hop in forwarded_for.split(",") if hop.strip()]):
        address = hop
        if hop not in trusted:
            break
    return address


ADDRESS = "showcaller.address"  # a connection's environ: its network address, once aiohttp's request is let go


def network_address(environ: dict[str, Any]) -> str:
    """The phone's network address; behind a trusted proxy (``--trusted-proxy``), the one it forwarded."""
    known = environ.get(ADDRESS)
    if isinstance(known, str):
        return known
    request = environ.get("aiohttp.request")
    if request is None:
        return ""
    peer = request.remote or ""
    trusted = request.app.get(TRUSTED_PROXIES) or TrustedProxies()
    return client_address(peer, ",".join(request.headers.getall("X-Forwarded-For", [])), trusted)


@web.middleware
async def proxy_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Believe a trusted proxy's ``X-Forwarded-Proto`` (the page's scheme, the socket's Origin check);
    drop the ``X-Forwarded-*`` headers anyone else sends, so python-socketio never reads them."""
    trusted = request.app.get(TRUSTED_PROXIES) or TrustedProxies()
    if request.remote in trusted:
        proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        if proto in ("http", "https") and proto != request.scheme:
            request = request.clone(scheme=proto)
    elif any(name in request.headers for name in _FORWARDED):
        headers = CIMultiDict(request.headers)
        for name in _FORWARDED:
            headers.popall(name, None)
        request = request.clone(headers=CIMultiDictProxy(headers))
    return await handler(request)


def payload_size(payload: Any) -> int:
    """Bytes of ``payload`` as JSON; a payload that is not JSON is refused with ProtocolError."""
    try:
        return len(json.dumps(payload, ensure_ascii=False).encode())
    except TypeError:
        raise p.ProtocolError("bad_request", "wire.payload_binary") from None
    except UnicodeEncodeError:
        raise p.ProtocolError("bad_request", "wire.payload_not_unicode") from None
    except ValueError:
        return 1 << 30
