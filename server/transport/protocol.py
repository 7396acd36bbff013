"""The real-time protocol in one place: namespaces, event names, payloads, error codes.

Documented for client authors in docs/protocol.md; keep the two in step.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from server.core import commands as c
from server.core.errors import ShowError
from server.core.words import Words, say

# -- server -> client events ---------------------------------------------------------------
SNAPSHOT = "snapshot"  # {rev, view, server_time}: the whole view; replace what you have
PATCH = "patch"  # {rev, base, patch}: a JSON merge patch; apply only if your rev == base
PRESENCE = "presence"  # /control only: who is connected
TAKEN_OVER = "taken_over"  # /team: another device took this team's pad over
DISCONNECTING = "disconnecting"  # the server closes this connection, and says why: {code, message, key, params}
IDENTITY = "identity"  # /audience: {device}: the identity this phone must present from now on (a new one)

# -- client -> server events on every namespace --------------------------------------------
SYNC = "sync"  # ACK: {ok, rev, view, server_time}
TIME = "time"  # ACK: {ok, server_time}; for the clock offset
VOTE = "vote"  # /audience: {option, nickname?} -> ACK {ok, poll, option, rev}
MINE = "mine"  # /audience: ACK {ok, poll, vote: {option, nickname, at} | null}: this phone's ballot
OBS_TAKE = "obs_take"  # /control: studio mode, transition OBS's preview to program
SEASON_CONFIRM = "season_confirm"  # /control, a season's show: confirm a stage's line-ups
SEASON_CORRECT = "season_correct"  # /control, a season's show: correct points of a played show

T = TypeVar("T")


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
    c.ShowLowerThird,
    c.TakeLook,
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

    def __init__(self, code: str, key: str, /, **params: Any) -> None:
        super().__init__(key, **params)
        self.code = code


def ok(**fields: Any) -> dict[str, Any]:
    return {"ok": True, **fields}


def refusal(code: str, words: Words) -> dict[str, Any]:
    """The ``error`` of a refusal: ``message`` in English, ``key`` and ``params`` for the pages to say it."""
    wire = words.wire()
    return {"code": code, "message": words.text("en"), "key": wire["key"], "params": wire["params"]}


def error(code: str, key: str, /, **params: Any) -> dict[str, Any]:
    """A refusal ACK: the catalogue's ``key`` with ``params`` (docs/protocol.md, "Errors")."""
    return {"ok": False, "error": refusal(code, Words(key, params))}


def error_of(exc: ShowError) -> dict[str, Any]:
    """A refusal ACK for a show error."""
    return {"ok": False, "error": refusal(exc.code, exc.words)}


def parse_command(namespace: str, event: str, payload: Any, actor: c.Actor) -> c.Command:
    """Turn an event and its JSON payload into a command from ``actor``, or raise ProtocolError."""
    kind = COMMANDS.get(namespace, {}).get(event)
    if kind is None:
        known = ", ".join(sorted(COMMANDS.get(namespace, {})))
        known_words = known or say("rule.none")
        raise ProtocolError("unknown_event", "wire.unknown_event", event=str(event)[:40], known=known_words)
    identity = IDENTITY_FIELD.get(actor.role)
    payload = {} if payload is None else payload
    if identity and identity in kind.__struct_fields__ and isinstance(payload, dict):
        payload = {identity: actor.id, **payload}
    command = parse_payload(event, payload, kind, skip=("at", "by"))
    return msgspec.structs.replace(command, by=actor)


def parse_payload(event: str, payload: Any, kind: type[T], skip: tuple[str, ...] = ()) -> T:
    """A JSON payload as a ``kind`` struct, or ``ProtocolError`` naming the field that is wrong."""
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise ProtocolError("bad_request", "wire.not_object", event=event, kind=type(payload).__name__)
    fields = set(kind.__struct_fields__) - set(skip)
    unknown = [k for k in payload if k not in fields]
    if unknown:
        allowed = ", ".join(sorted(fields)) or say("wire.no_fields")
        field = str(unknown[0])[:40]
        raise ProtocolError("bad_request", "wire.unknown_field", event=event, field=field, allowed=allowed)
    try:
        value = msgspec.convert(payload, kind)
    except msgspec.ValidationError as exc:
        key, params = _explain(exc)
        raise ProtocolError("bad_request", key, event=event, **params) from None
    for name in fields:
        _check_numbers(event, getattr(value, name), name)
    return value


def _check_numbers(event: str, value: Any, path: str) -> None:
    """Refuse numbers no show needs, before the rules do arithmetic on them (1e999999999 overflows)."""
    if isinstance(value, Decimal):
        if value.is_finite() and value.adjusted() > MAX_DIGITS:
            raise _out_of_range(event, path)
    elif isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > MAX_INT:
            raise _out_of_range(event, path)
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            _check_numbers(event, item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_numbers(event, item, f"{path}.{key}")


def _out_of_range(event: str, path: str) -> ProtocolError:
    return ProtocolError("bad_request", "wire.out_of_range", event=event, path=path)


# msgspec's validation sentences, each a catalogue key: the words in brackets become its parameters.
_MSGSPEC = (
    (re.compile(r"Expected `(?P<expected>.+?)`, got `(?P<got>.+?)`"), "wire.expected"),
    (re.compile(r"Object missing required field `(?P<field>.+?)`"), "wire.missing_field"),
    (re.compile(r"Invalid decimal string"), "wire.bad_decimal"),
    (re.compile(r"Invalid enum value (?P<value>.+)"), "wire.bad_enum"),
    (re.compile(r"Integer value out of range"), "wire.int_out_of_range"),
)


def _explain(exc: msgspec.ValidationError) -> tuple[str, dict[str, str]]:
    """A validation error as a catalogue key with the path, what was expected and what came."""
    text = str(exc)
    match = re.match(r"(.*) - at `\$\.?(.*)`$", text)
    if not match:
        return "wire.invalid", {"text": text[0].lower() + text[1:]}
    text, path = match.group(1), match.group(2) or "payload"
    for pattern, key in _MSGSPEC:
        found = pattern.fullmatch(text)
        if found:
            return key, {"path": path, **found.groupdict()}
    return "wire.invalid_at", {"path": path, "text": text[0].lower() + text[1:]}


def parse_vote(payload: Any, device: str, at: int) -> c.Vote:
    """An audience vote event: ``{"option": "A", "nickname": "Lan"}``."""
    if not isinstance(payload, dict):
        raise ProtocolError("bad_request", "wire.vote_not_object")
    option, nickname = payload.get("option"), payload.get("nickname", "")
    extra = set(payload) - {"option", "nickname"}
    if extra:
        field = str(sorted(extra)[0])[:40]
        raise ProtocolError("bad_request", "wire.vote_unknown_field", field=field)
    if not isinstance(option, str) or not 0 < len(option) <= 64:
        raise ProtocolError("bad_request", "wire.vote_bad_option")
    if not isinstance(nickname, str) or len(nickname) > 100:
        raise ProtocolError("bad_request", "wire.vote_bad_nickname")
    return c.Vote(device, option, at, nickname)
