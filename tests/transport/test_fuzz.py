"""Seeded fuzzing of the live server: thousands of malformed events and HTTP requests.

Each reply must be a well-formed ACK: ``{"ok": False, "error": {"code", "message", "key", "params"}}`` with a
code a client can act on (never "internal"), or ``ok: True`` for a payload that happened to
be a valid command. The show changes only by the accepted commands (and by the timer's own
expiry): every action in the log after the start is one of them. No client is ever dropped.

Set SHOWCALLER_FUZZ_SEED to replay another run.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import string
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
import socketio
from yarl import URL

from server import i18n
from server.core.commands import SYSTEM
from server.transport.keys import HUB
from server.transport.namespaces import NAMESPACES
from server.transport.protocol import COMMANDS, MAX_PAYLOAD
from tests.wording import vi

SEED = int(os.environ.get("SHOWCALLER_FUZZ_SEED", "20241109"))
SOCKET_EVENTS = 3200
HTTP_REQUESTS = 1200
CONNECTIONS = 60
MAX_FRAME = 60_000  # stay under engine.io's maxPayload (64 KiB), which closes the socket by design

TEAMS = ["tam-ky", "dien-ban", "nam-tra-my"]
JUDGES = ["gk-1", "gk-2", "gk-3"]
QUESTIONS = ["kn-01", "kn-05", "ts-01", "ts-02", "kg-01", "kg-03", "tb-01"]
CRITERIA = ["noi-dung", "hinh-thuc", "an-tuong", "y-tuong", "kha-thi", "trinh-bay"]
KNOWN_CODES = {
    "unknown_event",
    "bad_request",
    "too_large",
    "rate_limited",
    "unauthorized",
    "forbidden",
    "not_found",
    "phase",
    "rule",
    "invalid",
}
STATUS = {"unauthorized": 401, "forbidden": 403, "not_found": 404, "unknown_event": 404, "too_large": 413}
STATUS.update({"rate_limited": 429, "phase": 409, "rule": 409, "invalid": 400, "bad_request": 400})

ALL_COMMANDS = sorted({name for commands in COMMANDS.values() for name in commands})
EVENT_NAMES = [
    *ALL_COMMANDS,
    "vote",
    "sync",
    "time",
    "connect",
    "disconnect",
    "connect_error",
    "snapshot",
    "patch",
    "presence",
    "taken_over",
    "cast_votes",
    "expire",
    "message",
    "*",
    "",
    "__init__",
    "on_connect",
    "trigger_event",
    "StartShow",
    "START_SHOW",
    "start-show",
    " start_show",
    "start_show\x00",
    "bắt_đầu",
]


# -- random values --------------------------------------------------------------------------------

ODD_TEXT = [
    "",
    " ",
    "\x00",
    "\t\n\r",
    "null",
    "None",
    "true",
    "0",
    "-1",
    "1e999",
    "NaN",
    "Infinity",
    "sNaN",
    "{}",
    "[]",
    "'; DROP TABLE actions; --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%s%s%n",
    "{0}{1}",
    "Đội Thành phố Tam Kỳ",
    "Nguyễn Thị Thu Hà",
    "👩🏽‍💻🎉",
    "\u202etxet lanoitceridib",
    "\u200b\u200d\ufeff",
    "\U0010ffff",
    "ﷺ",
    "A",
    "b",
    "tam-ky",
    "gk-1",
    "ts-01",
]


def text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(ODD_TEXT)
    if roll < 0.6:
        return "".join(rng.choice(string.printable) for _ in range(rng.randint(1, 40)))
    if roll < 0.8:
        return "".join(chr(rng.randint(0x20, 0x2FFF)) for _ in range(rng.randint(1, 30)))
    if roll < 0.97:
        return "".join(chr(rng.choice([rng.randint(1, 0xD7FF), rng.randint(0xE000, 0x10FFFF)])) for _ in range(20))
    return rng.choice("xảé😀") * rng.randint(MAX_PAYLOAD // 8, MAX_PAYLOAD)  # huge


def number(rng: random.Random) -> Any:
    return rng.choice(
        [
            0,
            1,
            -1,
            2,
            5,
            10,
            11,
            0.5,
            -0.25,
            1.005,
            1e-9,
            3.999,
            10_000,
            10_001,
            2**31,
            2**53,
            2**63,
            -(2**64),
            10**30,
            1e308,
            -1e308,
            float("inf"),
            float("nan"),
            rng.randint(-1000, 1000),
            rng.uniform(-100, 100),
        ]
    )


def value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 4 or roll < 0.15:
        return rng.choice([None, True, False])
    if roll < 0.4:
        return number(rng)
    if roll < 0.65:
        return text(rng)
    if roll < 0.8:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    if roll < 0.83:
        nested: Any = 0
        for _ in range(rng.randint(10, 200)):
            nested = [nested] if rng.random() < 0.5 else {"k": nested}
        return nested
    return {key(rng): value(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def key(rng: random.Random) -> str:
    fields = ["team", "answer", "points", "reason", "index", "step", "question", "judge", "scores", "values"]
    fields += ["option", "nickname", "ms", "duration_ms", "seed", "teams", "correct", "at", "by", "votes", "device"]
    return rng.choice(fields) if rng.random() < 0.6 else text(rng)[:30]


FIELD_VALUES: dict[str, Any] = {
    "team": lambda rng: rng.choice([*TEAMS, "hoi-an", "", "TAM-KY", None, 1, ["tam-ky"]]),
    "judge": lambda rng: rng.choice([*JUDGES, "gk-4", "", None]),
    "teams": lambda rng: rng.choice([TEAMS, TEAMS[:2], ["tam-ky", "tam-ky"], [], "tam-ky", [1]]),
    "answer": lambda rng: rng.choice(["A", "b", "C", "D", "E", "VNeID", " ", "", 5, None, text(rng)]),
    "points": lambda rng: rng.choice([number(rng), "2.5", "abc", "1e999999999", "-0", True]),
    "reason": lambda rng: rng.choice(["fuzz", "phạt", "", " ", "x" * 201, None, text(rng)]),
    "index": lambda rng: rng.choice([0, 1, 2, 3, 4, 5, -1, 99, None, "two", 2.0, 2**64]),
    "step": lambda rng: rng.choice([1, -1, 0, 2, -5, None, "next", 10**20]),
    "question": lambda rng: rng.choice([*QUESTIONS, "kn-99", None, "", 1]),
    "correct": lambda rng: rng.choice([True, False, None, "yes", 1, 0]),
    "values": lambda rng: rng.choice([[10], [10, 20, 30], [], "10", [None], [1e999]]),
    "scores": lambda rng: {rng.choice(CRITERIA): number(rng) for _ in range(rng.randint(0, 4))},
    "duration_ms": lambda rng: rng.choice([1, 1000, 30_000, 3_600_000, 3_600_001, 0, -5, None, 1.5, "30"]),
    "ms": lambda rng: rng.choice([1000, -1000, 0, 600_000, 600_001, 5.5, None, "5"]),
    "seed": lambda rng: rng.choice([0, 1, 42, 2**32, 2**70, -1, None, "seed"]),
    "option": lambda rng: rng.choice(["A", "B", "C", "D", "a", "tam-ky", "", "Z" * 65, 1, None]),
    "nickname": lambda rng: rng.choice(["Lan", "", "x" * 101, None, text(rng)]),
}


def plausible(rng: random.Random, fields: list[str]) -> dict[str, Any]:
    """A payload shaped like a real one, with each field kept, dropped or bent."""
    out: dict[str, Any] = {}
    for name in fields:
        if rng.random() < 0.85:
            out[name] = FIELD_VALUES[name](rng) if name in FIELD_VALUES else value(rng)
    if rng.random() < 0.15:
        out[key(rng)] = value(rng)
    return out


def fields_of(namespace: str, event: str) -> list[str] | None:
    if namespace == "audience" and event == "vote":
        return ["option", "nickname"]
    kind = COMMANDS.get(namespace, {}).get(event) or COMMANDS["control"].get(event)
    if kind is None:
        return None
    return [f for f in kind.__struct_fields__ if f not in ("at", "by")]


def event_name(rng: random.Random, namespace: str) -> Any:
    roll = rng.random()
    if roll < 0.45:
        own = sorted(COMMANDS[namespace]) + (["vote"] if namespace == "audience" else [])
        return rng.choice(own or ALL_COMMANDS)
    if roll < 0.85:
        return rng.choice(EVENT_NAMES)
    return text(rng)[:200]


def payload_for(rng: random.Random, namespace: str, event: Any) -> Any:
    roll = rng.random()
    fields = fields_of(namespace, event) if isinstance(event, str) else None
    if fields is not None and roll < 0.45:
        return plausible(rng, fields)
    if roll < 0.55:
        return None
    if roll < 0.58:
        return tuple(value(rng) for _ in range(rng.randint(2, 4)))  # several positional arguments
    if roll < 0.6:
        return rng.choice([b"\x00\xff", {"team": b"tam-ky"}])  # binary attachments
    if roll < 0.8:
        return {key(rng): value(rng) for _ in range(rng.randint(0, 6))}
    return value(rng)


def frame_size(event: Any, payload: Any) -> int:
    args = list(payload) if isinstance(payload, tuple) else [] if payload is None else [payload]
    try:
        return len(json.dumps([event, *args]))
    except TypeError:  # binary: sent as attachments
        return 100


# -- checks ---------------------------------------------------------------------------------------


def check_error(reply: Any, context: Any, echo: int = 0) -> str:
    """The error code of a well-formed refusal; its message may quote at most ``echo`` bytes of the input."""
    assert isinstance(reply, dict), context
    assert reply.get("ok") is False and set(reply) == {"ok", "error"}, (context, reply)
    error = reply["error"]
    assert set(error) == {"code", "message", "key", "params"}, (context, reply)
    assert error["code"] in KNOWN_CODES, (context, reply)  # "internal" means the server failed, not the client
    assert i18n.known(error["key"]) and isinstance(error["params"], dict), (context, reply)
    for text in (error["message"], vi(error)):
        assert isinstance(text, str) and 0 < len(text) <= 500 + echo, (context, reply)
        assert "Traceback" not in text and 'File "' not in text, (context, reply)
    return error["code"]


def actions_since(live, rev: int) -> list[Any]:
    service = live.service
    return list(service.engine.log.actions(service.config.id, after=rev))


def check_unchanged(live, rev: int, context: Any) -> None:
    """Nothing but the timer's own expiry may have happened since ``rev``."""
    if live.service.revision != rev:
        actions = actions_since(live, rev)
        assert all(a.command.by == SYSTEM for a in actions), (context, actions)


def check_log(live, start: int, accepted: dict[int, Any]) -> None:
    """Every action after ``start`` is an accepted command or the timer's own expiry."""
    actions = actions_since(live, start)
    assert [a.seq for a in actions] == list(range(start + 1, live.service.revision + 1))
    by_clients = {a.seq for a in actions if a.command.by != SYSTEM}
    assert by_clients == set(accepted), (sorted(by_clients ^ set(accepted)), accepted)


def drop_nulls(view: Any) -> Any:
    """A view as patches leave it: a merge patch removes a key to make it null (see server.show.patch)."""
    if isinstance(view, dict):
        return {k: drop_nulls(v) for k, v in view.items() if v is not None}
    if isinstance(view, list):
        return [drop_nulls(v) for v in view]
    return view


@pytest.fixture
def unlimited(monkeypatch):
    """Lift the rate limits so that every event reaches the parser (test_bad_input tests the limits)."""
    for kind in NAMESPACES:
        monkeypatch.setattr(kind, "rate", 1e9)
        monkeypatch.setattr(kind, "burst", 10**9)


# -- the fuzzers ----------------------------------------------------------------------------------


OPEN_QUESTION = [("show_question", None), ("open_answers", None)]
SETUPS = {  # where each run starts: the rules then accept a few of the random commands
    "judged-vote": [("goto_segment", {"index": 1}), ("open_voting", None)],
    "turns": [("goto_segment", {"index": 2}), *OPEN_QUESTION],
    "speed": [("goto_segment", {"index": 3}), *OPEN_QUESTION],
    "audience": [("goto_segment", {"index": 4}), *OPEN_QUESTION],
}


@pytest.mark.parametrize("setup", list(SETUPS))
async def test_socket_fuzz(live, unlimited, setup: str) -> None:
    seed = SEED + list(SETUPS).index(setup)
    rng = random.Random(seed)
    producer = await live.producer()
    for command, payload in [("start_show", None), *SETUPS[setup]]:
        assert (await producer.call(command, payload))["ok"], command
    clients = {
        "control": producer,
        "team": await live.team("tam-ky"),
        "judge": await live.judge("gk-1"),
        "audience": await live.client("/audience", device="fuzz-phone-0001"),
        "overlay": await live.overlay(),
    }
    sids = {ns: client.sio.get_sid(f"/{ns}") for ns, client in clients.items()}
    start = live.service.revision
    accepted: dict[int, Any] = {}
    codes: dict[str, int] = {}
    namespaces = ["control", "team", "judge", "audience", "overlay"]

    for i in range(SOCKET_EVENTS):
        namespace = rng.choices(namespaces, weights=[3, 3, 2, 2, 1])[0]
        event = event_name(rng, namespace)
        payload = payload_for(rng, namespace, event)
        if frame_size(event, payload) > MAX_FRAME:
            payload = {"huge": "x" * MAX_PAYLOAD}
        context = (i, namespace, event, repr(payload)[:300])
        rev = live.service.revision
        reply = await clients[namespace].call(event, payload, timeout=10)
        if isinstance(reply, dict) and reply.get("ok") is True:
            if event in ("sync", "time"):
                assert set(reply) >= {"ok", "server_time"}, context
                check_unchanged(live, rev, context)
                continue
            known = set(COMMANDS[namespace]) | ({"vote"} if namespace == "audience" else set())
            assert event in known, context
            fields = {"ok", "rev", "poll", "option"} if event == "vote" else {"ok", "rev"}
            assert set(reply) == fields and reply["rev"] > rev, (context, reply)
            accepted[reply["rev"]] = context
            continue
        code = check_error(reply, context, echo=frame_size(event, payload))
        codes[code] = codes.get(code, 0) + 1
        check_unchanged(live, rev, context)

    # Every kind of refusal was met, and some random payloads were real commands.
    print(f"socket fuzz from {setup}, seed {seed}: {len(accepted)} accepted, refusals {codes}")
    assert {"unknown_event", "bad_request", "too_large", "forbidden", "phase", "rule"} <= set(codes), codes
    assert accepted
    check_log(live, start, accepted)

    # No one was dropped or de-registered, and every view still follows the show.
    hub = live.app[HUB]
    for namespace, client in clients.items():
        assert client.sio.connected, namespace
        assert (namespace, sids[namespace]) in hub.sessions, namespace
        assert "taken_over" not in [event for event, _ in client.events]
        for _ in range(5):  # the timer may expire meanwhile
            reply = await client.call("sync")
            await client.wait_for(lambda client=client, reply=reply: client.rev >= reply["rev"])
            if client.rev == reply["rev"]:
                break
        assert drop_nulls(client.view) == drop_nulls(reply["view"]), namespace
    assert hub.team_pads == {"tam-ky": sids["team"]}
    assert (await producer.call("adjust_score", {"team": "tam-ky", "points": 1, "reason": "after"}))["ok"]


# aiohttp's router matches {name} as [^{}/]+ (once decoded, %2F is fine): a name with { or } never
# reaches the API and gets aiohttp's own plain-text 404.
UNROUTABLE = str.maketrans("", "", "{}")
RAW_NAMES = ["%FF", "%ED%A0%80", "%C0%AF", "%00", "%2F", "a%2Fb", "%25", "a%", "%zz", "start_show%00", "%E2%80%AE"]


def http_name(rng: random.Random) -> tuple[str, str]:
    """A command name and the path segment that carries it."""
    roll = rng.random()
    if roll < 0.05:
        raw = rng.choice(RAW_NAMES)
        return raw, raw
    if roll < 0.55:
        name = rng.choice(sorted(COMMANDS["control"]))
    elif roll < 0.8:
        name = rng.choice(EVENT_NAMES)
    else:
        name = text(rng)[:300]
    name = name.translate(UNROUTABLE)
    if not name.strip("."):  # "." and ".." are path segments, not names
        name = "dot"
    return name, quote(name, safe="")


def http_headers(rng: random.Random, live) -> tuple[dict[str, str], bool]:
    producer = live.token("producer")
    roll = rng.random()
    if roll < 0.6:
        auth, good = rng.choice([f"Bearer {producer}", f"bearer {producer}", f"BEARER   {producer}  "]), True
    else:
        auth, good = (
            rng.choice(
                [
                    None,
                    "",
                    "Bearer",
                    f"Basic {producer}",
                    producer,
                    f"Bearer {live.token('team', 'tam-ky')}",
                    f"Bearer {live.token('judge', 'gk-1')}",
                    f"Bearer {producer[:-1]}",
                    f"Bearer {producer}x",
                    "Bearer " + "".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(1, 300))),
                ]
            ),
            False,
        )
    headers = {} if auth is None else {"Authorization": auth}
    if rng.random() < 0.5:
        headers["Content-Type"] = rng.choice(
            ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "x/y; a=b"]
        )
    if rng.random() < 0.2:
        headers["X-" + "".join(rng.choice(string.ascii_letters) for _ in range(8))] = "".join(
            rng.choice(string.ascii_letters + string.digits + " -_") for _ in range(rng.randint(0, 200))
        )
    return headers, good


def http_body(rng: random.Random, name: str) -> bytes:
    roll = rng.random()
    fields = fields_of("control", name)
    if fields is not None and roll < 0.35:
        return json.dumps(plausible(rng, fields), ensure_ascii=rng.random() < 0.5).encode()
    if roll < 0.55:
        return json.dumps(value(rng), ensure_ascii=rng.random() < 0.5).encode()
    if roll < 0.6:
        return rng.choice([b"", b" ", b"\n", b"null", b"{}", b"[]"])
    if roll < 0.7:
        return bytes(rng.randint(0, 255) for _ in range(rng.randint(1, 200)))
    if roll < 0.8:
        whole = json.dumps({key(rng): value(rng) for _ in range(3)}).encode()
        return whole[: rng.randint(0, max(0, len(whole) - 1))]
    if roll < 0.85:
        return b'{"team": "tam-ky", "points": 1, "reason": "\\ud8' + rng.choice([b"00", b"3d"]) + b'"}'
    if roll < 0.9:
        depth = rng.randint(500, 6000)
        return rng.choice([b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth])
    if roll < 0.95:
        return rng.choice([b"NaN", b"-Infinity", b'{"points": NaN}', b"1e999", b'"\\u0000"', b"\xef\xbb\xbf{}"])
    return rng.choice([b" ", b"x", b"["]) * rng.randint(MAX_PAYLOAD - 10, 100_000)  # too large


async def test_http_fuzz(live) -> None:
    rng = random.Random(SEED + 100)
    producer = await live.producer()
    assert (await producer.call("start_show"))["ok"]
    start = live.service.revision
    accepted: dict[int, Any] = {}
    statuses: dict[int, int] = {}
    async with aiohttp.ClientSession() as http:
        for i in range(HTTP_REQUESTS):
            name, segment = http_name(rng)
            headers, good = http_headers(rng, live)
            body = http_body(rng, name)
            url = URL(f"{live.url}/api/v1/commands/{segment}", encoded=True)
            context = (i, name, headers, body[:200])
            rev = live.service.revision
            async with http.post(url, data=body, headers=headers) as response:
                assert response.content_type == "application/json", (context, response.status, await response.text())
                reply = await response.json()
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if not good:
                    assert response.status == 401 and check_error(reply, context) == "unauthorized", (context, reply)
                    check_unchanged(live, rev, context)
                elif reply.get("ok") is True:
                    assert response.status == 200 and name in COMMANDS["control"], (context, reply)
                    assert set(reply) == {"ok", "rev", "label", "label_words"} and reply["rev"] > rev, (context, reply)
                    accepted[reply["rev"]] = context
                else:
                    code = check_error(reply, context, echo=len(body) + len(name))
                    assert response.status == STATUS[code], (context, response.status, reply)
                    check_unchanged(live, rev, context)
        assert {200, 400, 401, 404, 409, 413} <= set(statuses), statuses
        print(f"HTTP fuzz, seed {SEED + 100}: {len(accepted)} accepted, statuses {statuses}")
        check_log(live, start, accepted)
        async with http.get(f"{live.url}/healthz") as response:
            assert (await response.json())["clients"]["controllers"] == 1
    assert producer.sio.connected
    assert (await producer.call("adjust_score", {"team": "tam-ky", "points": 1, "reason": "after"}))["ok"]


AUTH_KEYS = ["token", "device", "takeover", "role", "judge", "team"]


def random_auth(rng: random.Random, live) -> Any:
    tokens = [live.token("producer"), live.token("team", "nam-tra-my"), live.token("judge", "gk-3")]
    if rng.random() < 0.6:
        auth: Any = {
            rng.choice(AUTH_KEYS): rng.choice([*tokens, "fuzz-device-01", value(rng), True])
            for _ in range(rng.randint(1, 3))
        }
    else:  # not a number: socket.io would read its leading digits as a packet id (a client library quirk)
        auth = rng.choice([text(rng)[:100], [value(rng)], True, None])
    return auth if len(json.dumps(auth)) < MAX_FRAME else {"token": "x" * MAX_PAYLOAD}


async def test_connection_fuzz(live) -> None:
    """Random credentials on every namespace: each attempt connects or is refused with a code, never hangs."""
    rng = random.Random(SEED + 200)
    hub = live.app[HUB]
    outcomes: dict[str, int] = {}
    for i in range(CONNECTIONS):
        namespace = rng.choice(["/control", "/judge", "/team", "/overlay", "/audience"])
        auth = random_auth(rng, live)
        errors: list[Any] = []
        client = socketio.AsyncClient(reconnection=False)
        client.on("connect_error", errors.append, namespace=namespace)
        try:
            await client.connect(live.url, namespaces=[namespace], auth=auth, transports=["websocket"], wait_timeout=5)
        except socketio.exceptions.ConnectionError as exc:
            assert "failed to connect" in str(exc), (i, namespace, auth, exc)
            assert len(errors) == 1, (i, namespace, auth, errors)
            assert errors[0]["data"]["code"] in ("unauthorized", "in_use"), (i, namespace, auth, errors)
            outcomes["refused"] = outcomes.get("refused", 0) + 1
        else:
            assert (await client.call("time", namespace=namespace))["ok"] is True
            outcomes["connected"] = outcomes.get("connected", 0) + 1
        finally:
            await client.disconnect()
        await asyncio.sleep(0)
    assert outcomes.get("refused") and outcomes.get("connected"), outcomes
    async with asyncio.timeout(5):
        while hub.sessions:
            await asyncio.sleep(0.01)
    assert hub.team_pads == {}
    assert live.service.revision == 0
