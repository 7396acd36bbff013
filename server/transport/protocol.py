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

# -- server -> client events ---------------------------------------------------------------
SNAPSHOT = "snapshot"  # {rev, view, server_time}: the whole view; replace what you have
PATCH = "patch"  # {rev, base, patch}: a JSON merge patch; apply only if your rev == base
PRESENCE = "presence"  # /control only: who is connected
TAKEN_OVER = "taken_over"  # /team: another device took this team's pad over

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

    def __init__(self, code: str, message: str, vi: str = "") -> None:
        super().__init__(message, vi)
        self.code = code


def ok(**fields: Any) -> dict[str, Any]:
    return {"ok": True, **fields}


def error(code: str, message: str, vi: str = "") -> dict[str, Any]:
    """A refusal: ``message`` in English, ``message_vi`` in Vietnamese (the English one if none is given)."""
    return {"ok": False, "error": {"code": code, "message": message, "message_vi": vi or message}}


def error_of(exc: ShowError) -> dict[str, Any]:
    return error(exc.code, exc.message, exc.vi)


def parse_command(namespace: str, event: str, payload: Any, actor: c.Actor) -> c.Command:
    """Turn an event and its JSON payload into a command from ``actor``, or raise ProtocolError."""
    kind = COMMANDS.get(namespace, {}).get(event)
    if kind is None:
        known = ", ".join(sorted(COMMANDS.get(namespace, {})))
        raise ProtocolError(
            "unknown_event",
            f"unknown event '{str(event)[:40]}'; commands here: {known or 'none'}",
            vi=f"không có sự kiện '{str(event)[:40]}'; các lệnh ở đây: {known or 'không có'}",
        )
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
        raise ProtocolError(
            "bad_request",
            f"{event}: expected a JSON object, got {type(payload).__name__}",
            vi=f"{event}: cần một đối tượng JSON, nhận được {type(payload).__name__}",
        )
    fields = set(kind.__struct_fields__) - set(skip)
    unknown = [k for k in payload if k not in fields]
    if unknown:
        allowed = ", ".join(sorted(fields))
        raise ProtocolError(
            "bad_request",
            f"{event}: unknown field '{str(unknown[0])[:40]}'; allowed: {allowed or 'no fields'}",
            vi=f"{event}: không có trường '{str(unknown[0])[:40]}'; các trường được phép: {allowed or 'không có'}",
        )
    try:
        value = msgspec.convert(payload, kind)
    except msgspec.ValidationError as exc:
        raise ProtocolError("bad_request", f"{event}: {_explain(exc)}", vi=f"{event}: {_explain_vi(exc)}") from None
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
    return ProtocolError(
        "bad_request", f"{event}: {path}: number out of range", vi=f"{event}: {path}: số nằm ngoài phạm vi cho phép"
    )


def _explain(exc: msgspec.ValidationError) -> str:
    text = str(exc)
    match = re.match(r"(.*) - at `\$\.?(.*)`$", text)
    if match:
        return f"{match.group(2) or 'payload'}: {match.group(1)[0].lower()}{match.group(1)[1:]}"
    return text[0].lower() + text[1:]


# msgspec's validation sentences, in Vietnamese; anything else is quoted as it is.
_MSGSPEC_VI = (
    (re.compile(r"Expected `(.+?)`, got `(.+?)`"), r"cần `\1`, nhận được `\2`"),
    (re.compile(r"Object missing required field `(.+?)`"), r"thiếu trường bắt buộc `\1`"),
    (re.compile(r"Invalid decimal string"), "chuỗi số thập phân không hợp lệ"),
    (re.compile(r"Invalid enum value (.+)"), r"giá trị không hợp lệ \1"),
    (re.compile(r"Integer value out of range"), "số nguyên nằm ngoài phạm vi"),
)


def _explain_vi(exc: msgspec.ValidationError) -> str:
    """``_explain`` in Vietnamese."""
    text, where, tail = str(exc), "", ""
    match = re.match(r"(.*) - at `\$\.?(.*)`$", text)
    if match:
        text, where = match.group(1), match.group(2) or "payload"
    elif " - at " in text:
        text, _, tail = text.partition(" - at ")
    for pattern, words in _MSGSPEC_VI:
        if pattern.fullmatch(text):
            text = pattern.sub(words, text)
            break
    else:
        text = f"dữ liệu không hợp lệ ({text})"
    if tail:
        text += f" (tại {tail})"
    return f"{where}: {text}" if where else text


def parse_vote(payload: Any, device: str, at: int) -> c.Vote:
    """An audience vote event: ``{"option": "A", "nickname": "Lan"}``."""
    if not isinstance(payload, dict):
        raise ProtocolError(
            "bad_request",
            'vote: expected a JSON object like {"option": "A"}',
            vi='vote: cần một đối tượng JSON như {"option": "A"}',
        )
    option, nickname = payload.get("option"), payload.get("nickname", "")
    extra = set(payload) - {"option", "nickname"}
    if extra:
        field = str(sorted(extra)[0])[:40]
        raise ProtocolError("bad_request", f"vote: unknown field '{field}'", vi=f"vote: không có trường '{field}'")
    if not isinstance(option, str) or not 0 < len(option) <= 64:
        raise ProtocolError(
            "bad_request",
            "vote.option: expected the option's letter or id",
            vi="vote.option: cần chữ cái hoặc mã của phương án",
        )
    if not isinstance(nickname, str) or len(nickname) > 100:
        raise ProtocolError(
            "bad_request",
            "vote.nickname: expected text of at most 100 characters",
            vi="vote.nickname: cần văn bản dài tối đa 100 ký tự",
        )
    return c.Vote(device, option, at, nickname)
