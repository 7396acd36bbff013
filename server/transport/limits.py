"""Rate and size limits on what clients send: token buckets per connection and per network address,
a payload's size on the wire."""

from __future__ import annotations

import json
import time
from typing import Any

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


def network_address(environ: dict) -> str:
    """The phone's network address; behind a proxy on this machine (nginx), the one it forwarded."""
    request = environ.get("aiohttp.request")
    peer = (request.remote if request is not None else None) or ""
    forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and peer in ("127.0.0.1", "::1"):
        return forwarded.split(",")[-1].strip()
    return peer


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
