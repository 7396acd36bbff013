"""One-time codes that prove an entrant holds the phone number or the email they registered with, and the
signed session an entrant's browser keeps afterwards.

A code goes out through a ``Sender``: ``ConsoleSender`` prints it on the organizer's console (tests,
one machine, a hall where the organizers read codes out); an SMS or email gateway is a class with the
same ``send`` (docs/online-quiz.md). Codes live in memory: a server restarted meanwhile asks for a new one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any, Protocol

from server.core.quiz.attempt import QuizError

log = logging.getLogger("showcaller.codes")

CODE_DIGITS = 6
CODE_LIFE_MS = 10 * 60_000  # a code is good for ten minutes
RESEND_AFTER_MS = 60_000  # one code a minute to an identity
SENDS_MOST = 5  # codes to one identity in an hour at most
SENDS_WINDOW_MS = 60 * 60_000
TRIES_MOST = 5  # wrong codes before a code is void


class Sender(Protocol):
    """Delivers a one-time code to a phone number or an email address."""

    async def send(self, contact: str, code: str, title: str) -> None: ...


class ConsoleSender:
    """Prints each code on the organizer's console (and keeps the last one per contact, for tests)."""

    def __init__(self) -> None:
        self.sent: dict[str, str] = {}

    async def send(self, contact: str, code: str, title: str) -> None:
        self.sent[contact] = code
        log.warning("one-time code for %s (%s): %s", contact, title, code)


@dataclass
class _Pending:
    code: str
    issued: int
    details: dict[str, Any]  # what the entrant registered with, until the code proves the contact
    sends: list[int] = field(default_factory=list)
    tries: int = 0


class Codes:
    """The codes sent and not yet used, per identity."""

    def __init__(self) -> None:
        self._pending: dict[str, _Pending] = {}

    def issue(self, identity: str, now: int, details: dict[str, Any]) -> str:
        """A new code for ``identity``, or ``QuizError`` if one went out too recently or too often."""
        self._forget(now)
        pending = self._pending.get(identity)
        if pending is not None:
            wait = pending.issued + RESEND_AFTER_MS - now
            if wait > 0:
                raise QuizError("quiz.code_wait", seconds=(wait + 999) // 1000)
        sends = [t for t in (pending.sends if pending else []) if now - t < SENDS_WINDOW_MS]
        if len(sends) >= SENDS_MOST:
            raise QuizError("quiz.code_too_many")
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        sends.append(now)
        self._pending[identity] = _Pending(code, now, details, sends)
        return code

    def check(self, identity: str, code: str, now: int) -> dict[str, Any]:
        """The details registered with ``identity`` if ``code`` is its code (then used up), or ``QuizError``."""
        pending = self._pending.get(identity)
        if pending is None or now - pending.issued > CODE_LIFE_MS or pending.tries >= TRIES_MOST:
            raise QuizError("quiz.code_expired")
        if not hmac.compare_digest(pending.code, code.strip()):
            pending.tries += 1
            raise QuizError("quiz.code_wrong", left=TRIES_MOST - pending.tries)
        del self._pending[identity]
        return pending.details

    def _forget(self, now: int) -> None:
        if len(self._pending) > 10_000:
            for key in [k for k, p in self._pending.items() if now - p.sends[-1] > SENDS_WINDOW_MS]:
                del self._pending[key]


class Sessions:
    """A session: its subject (an entrant's id, a voter's identity) signed with the stage database's key;
    nothing to store, nothing lost in a restart; a second device signs in with a new code."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def token(self, subject: str) -> str:
        return f"{subject}.{self._sign(subject)}"

    def subject(self, token: str | None) -> str | None:
        """Whose session ``token`` is, or None."""
        if not token or "." not in token:
            return None
        subject, _, signature = token.rpartition(".")  # an email has dots; the signature has none
        return subject if hmac.compare_digest(signature, self._sign(subject)) else None

    def _sign(self, subject: str) -> str:
        return hmac.new(self._secret, subject.encode(), hashlib.sha256).hexdigest()[:32]


def masked(contact: str) -> str:
    """A contact as the page shows it back (``09****5678``, ``a***@example.vn``)."""
    if "@" in contact:
        name, _, domain = contact.partition("@")
        return f"{name[:1]}***@{domain}"
    return contact[:2] + "*" * (len(contact) - 6) + contact[-4:]
