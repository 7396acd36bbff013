"""Phones' identities: the server issues each phone an id signed with the show's secret, the phone
presents it on every connect, and a vote counts against a verified identity only. A phone that
presents anything else (its own id, a forged one) gets a fresh identity, never the one it claimed;
fresh identities are limited per network address, so one address cannot mint thousands a second.

The secret is made once and kept beside the show's database (``<db>.phones.key``); in a cluster the
owner also writes it to Redis for the edges (``server/transport/cluster.py``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

from server.core.errors import ShowError
from server.transport.limits import AddressBuckets

PHONES_PER_ADDRESS = 100  # fresh identities an address may take at once (a hall behind one NAT: raise it)
_PREFIX = "ph-"


def secret_path(db_path: Path) -> Path:
    """Where a show database keeps its phones' secret."""
    return db_path.with_name(db_path.name + ".phones.key")


def load_secret(db_path: Path) -> bytes:
    """The phones' secret kept beside ``db_path``, made (readable by this user only) on first use."""
    path = secret_path(db_path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:  # first start: a secret of our own, written once
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32) + "\n")
    text = path.read_text().strip()
    if len(text) < 32:
        raise ValueError(f"{path}: the phones' secret is too short (delete the file to make a new one)")
    return text.encode()


class PhoneIds:
    """Signs and checks phone identities (``ph-<id>.<signature>``, 41 characters) for one show."""

    def __init__(self, secret: bytes, show_id: str) -> None:
        self.secret, self.show_id = secret, show_id

    def _sign(self, ident: str) -> str:
        digest = hmac.new(self.secret, f"{self.show_id}:{ident}".encode(), hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def issue(self) -> str:
        """A new identity."""
        ident = _PREFIX + secrets.token_urlsafe(12)
        return f"{ident}.{self._sign(ident)}"

    def verify(self, claimed: object) -> bool:
        """Whether ``claimed`` is an identity this show issued."""
        if not isinstance(claimed, str) or not claimed.startswith(_PREFIX) or claimed.count(".") != 1:
            return False
        ident, signature = claimed.split(".")
        return hmac.compare_digest(signature, self._sign(ident))


class Phones:
    """Who a connecting phone is: its verified identity, or a fresh one within its address's allowance."""

    def __init__(
        self, secret: bytes | Callable[[], Awaitable[bytes | None]], show_id: str, per_address: int = PHONES_PER_ADDRESS
    ) -> None:
        """``secret``: the show's (the owner's file), or how an edge reads it (from Redis)."""
        self.show_id, self.per_address = show_id, per_address
        self.ids = PhoneIds(secret, show_id) if isinstance(secret, bytes) else None
        self._secret = None if isinstance(secret, bytes) else secret
        self.limits = AddressBuckets()

    async def signer(self) -> PhoneIds:
        """The show's signer (an edge reads the secret from Redis once the owner has written it)."""
        if self.ids is None:
            assert self._secret is not None
            secret = await self._secret()
            if secret is None:
                raise ShowError("wire.owner_not_started")
            self.ids = PhoneIds(secret, self.show_id)
        return self.ids

    async def identify(self, claimed: object, address: str) -> tuple[str, bool] | None:
        """(identity, fresh): the claimed one if this show signed it, else a new one; None when this
        address has used up its allowance of new ones (it refills over a minute)."""
        ids = await self.signer()
        if ids.verify(claimed):
            return str(claimed), False
        rate = max(1.0, self.per_address / 60)
        if not self.limits.bucket("phone", address, rate, self.per_address).take():
            return None
        return ids.issue(), True
