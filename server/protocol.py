"""The real-time protocol in one place: namespaces, event names, payloads, error codes.

Documented for client authors in docs/protocol.md; keep the two in step.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import msgspec

from server.core import commands as c
from server.core.errors import ShowError

# -- server -> client events ---------------------------------------------------------------
SNAPSHOT = "snapshot"  # {rev, view, server_time}: the whole view; replace what you have
PATCH = "patch"  # {rev, base, patch}: a JSON merge patch; apply only if your rev == base
PRESENCE = "presence"  # /control only: who is connected
TAKEN_OVER = "taken_over"  # /team: another device took this team's pad over

# -- client -> server events on every namespace --------------------------------------------
SYNC = "sync"  # ACK: {ok, rev, view, server_time}
TIME = "time"  # ACK: {ok, server_time}; for the clock offset

MAX_PAYLOAD = 16 * 1024  # bytes of JSON per event
MAX_AUDIENCE_PAYLOAD = 1024
MAX_INT = 2**53 - 1  # integers every JSON client reads exactly
MAX_DIGITS = 15  # decimals below 10**16


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_PRODUCER_COMMANDS = [
    c.StartShow,
    c.GotoSegment,
    c.EndShow,
    c.StartTiebreak,
    c.ShowQuestion,
    c.OpenAnswers,
    c.CloseAnswers,
    c.RevealAnswer,
    c.ResetQuestion,
    c.Buzz,
    c.SubmitAnswer,
    c.JudgeAnswer,
    c.ChoosePackage,
    c.PlaceStar,
    c.StartTimer,
    c.PauseTimer,
    c.ResumeTimer,
    c.AddTime,
    c.ResetTimer,
    c.SubmitScores,
    c.LockScores,
    c.UnlockScores,
    c.RevealScores,
    c.OpenVoting,
    c.CloseVoting,
    c.AdjustScore,
    c.Undo,
    c.Redo,
    c.SetOverlay,
]

# Which command events each namespace takes, and which field the connection fills in itself.
COMMANDS: dict[str, dict[str, type[c.Command]]] = {
    "control": {_snake(k.__name__): k for k in _PRODUCER_COMMANDS},
    "team": {_snake(k.__name__): k for k in (c.Buzz, c.SubmitAnswer, c.ChoosePackage, c.PlaceStar)},
    "judge": {"submit_scores": c.SubmitScores},
    "overlay": {},
    "audience": {},
}
IDENTITY_FIELD = {"team": "team", "judge": "judge"}


class ProtocolError(ShowError):
    """A malformed or unknown event; ``code`` says which kind."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def ok(**fields: Any) -> dict[str, Any]:
    return {"ok": True, **fields}


def error(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


def error_of(exc: ShowError) -> dict[str, Any]:
    return error(exc.code, exc.message)


def parse_command(namespace: str, event: str, payload: Any, actor: c.Actor) -> c.Command:
    """Turn an event and its JSON payload into a command from ``actor``, or raise ProtocolError."""
    kind = COMMANDS.get(namespace, {}).get(event)
    if kind is None:
        known = ", ".join(sorted(COMMANDS.get(namespace, {}))) or "none"
        raise ProtocolError("unknown_event", f"unknown event '{str(event)[:40]}'; commands here: {known}")
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise ProtocolError("bad_request", f"{event}: expected a JSON object, got {type(payload).__name__}")
    fields = set(kind.__struct_fields__) - {"at", "by"}
    unknown = [k for k in payload if k not in fields]
    if unknown:
        allowed = ", ".join(sorted(fields)) or "no fields"
        raise ProtocolError("bad_request", f"{event}: unknown field '{str(unknown[0])[:40]}'; allowed: {allowed}")
    payload = dict(payload)
    identity = IDENTITY_FIELD.get(actor.role)
    if identity and identity in fields:
        payload.setdefault(identity, actor.id)
    try:
        command = msgspec.convert(payload, kind)
    except msgspec.ValidationError as exc:
        raise ProtocolError("bad_request", f"{event}: {_explain(exc)}") from None
    for name in fields:
        _check_numbers(event, getattr(command, name), name)
    return msgspec.structs.replace(command, by=actor)


def _check_numbers(event: str, value: Any, path: str) -> None:
    """Refuse numbers no show needs, before the rules do arithmetic on them (1e999999999 overflows)."""
    if isinstance(value, Decimal):
        if value.is_finite() and value.adjusted() > MAX_DIGITS:
            raise ProtocolError("bad_request", f"{event}: {path}: number out of range")
    elif isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > MAX_INT:
            raise ProtocolError("bad_request", f"{event}: {path}: number out of range")
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            _check_numbers(event, item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_numbers(event, item, f"{path}.{key}")


def _explain(exc: msgspec.ValidationError) -> str:
    text = str(exc)
    match = re.match(r"(.*) - at `\$\.?(.*)`$", text)
    if match:
        return f"{match.group(2) or 'payload'}: {match.group(1)[0].lower()}{match.group(1)[1:]}"
    return text[0].lower() + text[1:]


def parse_vote(payload: Any, device: str, at: int) -> c.Vote:
    """An audience vote event: ``{"option": "A", "nickname": "Lan"}``."""
    if not isinstance(payload, dict):
        raise ProtocolError("bad_request", 'vote: expected a JSON object like {"option": "A"}')
    option, nickname = payload.get("option"), payload.get("nickname", "")
    extra = set(payload) - {"option", "nickname"}
    if extra:
        raise ProtocolError("bad_request", f"vote: unknown field '{str(sorted(extra)[0])[:40]}'")
    if not isinstance(option, str) or not 0 < len(option) <= 64:
        raise ProtocolError("bad_request", "vote.option: expected the option's letter or id")
    if not isinstance(nickname, str) or len(nickname) > 100:
        raise ProtocolError("bad_request", "vote.nickname: expected text of at most 100 characters")
    return c.Vote(device, option, at, nickname)
