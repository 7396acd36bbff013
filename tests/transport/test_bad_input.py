"""Malformed input over socket.io, HTTP and raw engine.io frames.

Every case: a clear error (a code, and a message naming what is wrong), no change to the show
(``live.service.revision`` unchanged), and a server that goes on working: a valid command
right after succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

import aiohttp
import pytest
import socketio

from server.transport import limits
from server.transport.keys import HUB
from server.transport.namespaces import AudienceNamespace, ControlNamespace, TeamNamespace
from server.transport.protocol import MAX_AUDIENCE_PAYLOAD, MAX_PAYLOAD
from tests.transport.conftest import ViewClient

DEVICE = "phone-0001-test"
CHAO_HOI = {"noi-dung": 8, "hinh-thuc": 4, "an-tuong": 4}
ADJUST = {"team": "tam-ky", "points": 1, "reason": "check"}


def assert_error(reply: Any, code: str, *words: str) -> None:
    """An error ACK with ``code`` whose message names each of ``words``."""
    assert isinstance(reply, dict), reply
    assert reply.get("ok") is False, reply
    assert set(reply) == {"ok", "error"}, reply
    assert reply["error"]["code"] == code, reply
    message = reply["error"]["message"]
    assert isinstance(message, str) and message, reply
    assert "Traceback" not in message
    for word in words:
        assert word in message, (word, message)


@pytest.fixture
async def clients(live) -> dict[str, ViewClient]:
    """A live show in its first segment, a judged round, with one client on each namespace."""
    producer = await live.producer()
    assert (await producer.call("start_show"))["ok"] is True
    clients = {
        "control": producer,
        "team": await live.team("tam-ky"),
        "judge": await live.judge("gk-1"),
        "overlay": await live.overlay(),
        "audience": await live.client("/audience", device=DEVICE),
    }
    return clients


async def still_works(live, *clients: ViewClient) -> None:
    """Each client is still connected and served, and the producer can still change the show."""
    for client in clients:
        assert client.sio.connected
        reply = await client.call("time")
        assert reply["ok"] is True, reply
    producer = next(c for c in live.clients if c.namespace == "/control")
    rev = live.service.revision
    reply = await producer.call("adjust_score", ADJUST)
    assert reply == {"ok": True, "rev": rev + 1}


# -- socket.io events ---------------------------------------------------------------------------

SOCKET_CASES = [
    # unknown events
    ("control", "nope", {}, "unknown_event", ["'nope'", "start_show", "adjust_score"]),
    ("control", "", {}, "unknown_event", ["''"]),
    ("control", "snapshot", {}, "unknown_event", ["'snapshot'"]),
    ("team", "start_show", {}, "unknown_event", ["'start_show'", "buzz", "submit_answer"]),
    ("judge", "buzz", {"team": "tam-ky"}, "unknown_event", ["'buzz'", "submit_scores"]),
    ("overlay", "start_show", {}, "unknown_event", ["'start_show'", "none"]),
    ("audience", "start_show", {}, "unknown_event", ["'start_show'", "'vote'"]),
    ("control", "x" * 500, {}, "unknown_event", ["x" * 40]),
    # wrong types
    ("control", "goto_segment", {"index": "two"}, "bad_request", ["goto_segment", "index", "int", "str"]),
    ("control", "adjust_score", {"team": "tam-ky", "points": "abc", "reason": "x"}, "bad_request", ["points"]),
    ("control", "adjust_score", {"team": "tam-ky", "points": True, "reason": "x"}, "bad_request", ["points"]),
    ("control", "adjust_score", {"team": 5, "points": 1, "reason": "x"}, "bad_request", ["team"]),
    ("control", "adjust_score", {"team": "tam-ky", "points": 1, "reason": None}, "bad_request", ["reason"]),
    ("control", "add_time", {"ms": 1.5}, "bad_request", ["ms"]),
    ("control", "add_time", {"ms": [5000]}, "bad_request", ["ms"]),
    ("control", "start_timer", {"duration_ms": "30s"}, "bad_request", ["duration_ms"]),
    ("control", "start_tiebreak", {"teams": "tam-ky"}, "bad_request", ["teams"]),
    ("control", "start_tiebreak", {"teams": [1, 2]}, "bad_request", ["teams"]),
    ("control", "judge_answer", {"team": "tam-ky", "correct": "yes"}, "bad_request", ["correct"]),
    ("control", "show_question", {"question": {"id": "ts-01"}}, "bad_request", ["question"]),
    ("team", "submit_answer", {"answer": 42}, "bad_request", ["answer"]),
    ("team", "choose_package", {"values": "10"}, "bad_request", ["values"]),
    ("judge", "submit_scores", {"team": "tam-ky", "scores": {"noi-dung": "ten"}}, "bad_request", ["scores"]),
    ("judge", "submit_scores", {"team": "tam-ky", "scores": [8, 4, 4]}, "bad_request", ["scores"]),
    ("audience", "vote", {"option": 1}, "bad_request", ["option"]),
    ("audience", "vote", {"option": "A", "nickname": ["Lan"]}, "bad_request", ["nickname"]),
    # numbers far out of range
    ("control", "goto_segment", {"index": 10**30}, "bad_request", ["index", "range"]),
    ("control", "adjust_score", {"team": "tam-ky", "points": "1e999999999", "reason": "x"}, "bad_request", ["points"]),
    (
        "judge",
        "submit_scores",
        {"team": "tam-ky", "scores": {**CHAO_HOI, "noi-dung": 1e300}},
        "bad_request",
        ["scores"],
    ),
    # missing fields
    ("control", "adjust_score", {}, "bad_request", ["team"]),
    ("control", "adjust_score", {"team": "tam-ky", "points": 1}, "bad_request", ["reason"]),
    ("team", "submit_answer", {}, "bad_request", ["answer"]),
    ("judge", "submit_scores", {"team": "tam-ky"}, "bad_request", ["scores"]),
    # unknown fields
    ("control", "start_show", {"foo": 1}, "bad_request", ["'foo'", "no fields"]),
    ("control", "adjust_score", {**ADJUST, "by": "producer"}, "bad_request", ["'by'", "points"]),
    ("control", "adjust_score", {**ADJUST, "at": 0}, "bad_request", ["'at'"]),
    ("team", "buzz", {"points": 10}, "bad_request", ["'points'", "team"]),
    ("judge", "submit_scores", {"team": "tam-ky", "scores": CHAO_HOI, "weight": 2}, "bad_request", ["'weight'"]),
    ("audience", "vote", {"option": "A", "device": "someone-else"}, "bad_request", ["'device'"]),
    # not an object
    ("control", "start_show", "go", "bad_request", ["start_show", "JSON object", "str"]),
    ("control", "start_show", 5, "bad_request", ["JSON object", "int"]),
    ("control", "start_show", 1.5, "bad_request", ["JSON object", "float"]),
    ("control", "start_show", True, "bad_request", ["JSON object", "bool"]),
    ("control", "start_show", [{}], "bad_request", ["JSON object", "list"]),
    ("team", "buzz", ["tam-ky"], "bad_request", ["JSON object"]),
    ("judge", "submit_scores", "8,4,4", "bad_request", ["JSON object"]),
    ("audience", "vote", "A", "bad_request", ["vote", "JSON object"]),
    # binary is not JSON
    ("control", "adjust_score", b"\x00\x01", "bad_request", ["binary"]),
    ("team", "submit_answer", {"answer": b"B"}, "bad_request", ["binary"]),
    # several positional arguments
    ("control", "start_show", ({}, {}), "bad_request", ["one payload", "2 arguments"]),
    ("control", "adjust_score", ("tam-ky", 1, "x"), "bad_request", ["3 arguments"]),
    ("team", "buzz", ({}, None), "bad_request", ["2 arguments"]),
    ("audience", "vote", ({"option": "A"}, {"option": "B"}), "bad_request", ["2 arguments"]),
    # too large
    ("control", "adjust_score", {**ADJUST, "reason": "x" * MAX_PAYLOAD}, "too_large", [str(MAX_PAYLOAD)]),
    ("control", "start_show", {"pad": "ả" * (MAX_PAYLOAD // 2)}, "too_large", [str(MAX_PAYLOAD)]),
    ("team", "submit_answer", {"answer": "B" * (MAX_PAYLOAD + 1)}, "too_large", [str(MAX_PAYLOAD)]),
    ("judge", "submit_scores", ["x" * 20_000], "too_large", [str(MAX_PAYLOAD)]),
    ("overlay", "sync", "x" * 20_000, "too_large", [str(MAX_PAYLOAD)]),
    ("audience", "vote", {"option": "A", "nickname": "n" * MAX_AUDIENCE_PAYLOAD}, "too_large", ["1024"]),
]


@pytest.mark.parametrize(("namespace", "event", "payload", "code", "words"), SOCKET_CASES)
async def test_a_bad_event_gets_a_clear_error_and_changes_nothing(
    live, clients, namespace: str, event: str, payload: Any, code: str, words: list[str]
) -> None:
    client = clients[namespace]
    rev, state = live.service.revision, live.service.state
    reply = await client.call(event, payload)
    assert_error(reply, code, *words)
    assert live.service.revision == rev
    assert live.service.state is state
    await still_works(live, client)
    assert len(live.app[HUB].sessions) == 5


async def test_an_event_with_no_payload_at_all_is_read_as_an_empty_object(live, clients) -> None:
    producer = clients["control"]
    assert_error(await producer.call("adjust_score"), "bad_request", "team")
    assert_error(await producer.call("start_show"), "phase", "show is live")
    await still_works(live, producer)


async def test_fields_naming_nothing_real_are_refused_by_the_rules(live, clients) -> None:
    producer, judge = clients["control"], clients["judge"]
    rev = live.service.revision
    assert_error(await producer.call("adjust_score", {**ADJUST, "team": "hoi-an"}), "not_found", "hoi-an")
    assert_error(await producer.call("adjust_score", {**ADJUST, "points": 0.001}), "invalid", "points")
    assert_error(await producer.call("adjust_score", {**ADJUST, "reason": " "}), "invalid", "reason")
    assert_error(await producer.call("goto_segment", {"index": 99}), "invalid", "index")
    assert_error(await producer.call("show_question", {"question": "no-such"}), "not_found", "no-such")
    assert_error(await judge.call("submit_scores", {"team": "tam-ky", "scores": {"noi-dung": 8}}), "invalid", "scores")
    assert_error(
        await judge.call("submit_scores", {"team": "tam-ky", "scores": {**CHAO_HOI, "noi-dung": 11}}), "invalid", "10"
    )
    assert live.service.revision == rev
    await still_works(live, producer, judge)


@pytest.mark.parametrize("namespace", ["/overlay", "/audience", "/control", "/team", "/judge"])
@pytest.mark.parametrize("auth", ["abc", ["token"], 7], ids=["text", "list", "number"])
async def test_a_connection_with_a_non_object_auth_is_answered_not_left_hanging(live, namespace: str, auth) -> None:
    errors: list[Any] = []
    sio = socketio.AsyncClient(reconnection=False)
    sio.on("connect_error", errors.append, namespace=namespace)
    try:
        if namespace == "/overlay":  # needs no credentials at all
            await sio.connect(live.url, namespaces=[namespace], auth=auth, transports=["websocket"])
            assert (await sio.call("time", namespace=namespace))["ok"] is True
        else:
            with pytest.raises(socketio.exceptions.ConnectionError, match="failed to connect"):
                await sio.connect(live.url, namespaces=[namespace], auth=auth, transports=["websocket"])
            assert [e["data"]["code"] for e in errors] == ["unauthorized"]
    finally:
        await sio.disconnect()
    assert (await (await live.producer()).call("start_show"))["ok"] is True


# -- HTTP ---------------------------------------------------------------------------------------

HTTP_CASES = [
    ("adjust_score", b"{not json", 400, "bad_request", ["not valid JSON"]),
    ("adjust_score", b'{"team": "tam-ky",', 400, "bad_request", ["not valid JSON"]),
    ("adjust_score", b"\xff\xfe{}", 400, "bad_request", ["not valid JSON", "utf-8"]),
    ("adjust_score", b"[" * 5000 + b"]" * 5000, 400, "bad_request", ["nested too deeply"]),
    ("adjust_score", b'{"a":' * 2000 + b"1" + b"}" * 2000, 400, "bad_request", ["nested too deeply"]),
    ("adjust_score", b'{"team": "tam-ky", "points": 1, "reason": "\\ud800"}', 400, "bad_request", ["Unicode"]),
    ("adjust_score", b'["tam-ky", 1, "x"]', 400, "bad_request", ["JSON object", "list"]),
    ("adjust_score", b'"tam-ky"', 400, "bad_request", ["JSON object", "str"]),
    ("adjust_score", b"NaN", 400, "bad_request", ["JSON object", "float"]),
    ("adjust_score", b"{}", 400, "bad_request", ["team"]),
    ("adjust_score", b'{"team": "tam-ky", "points": "abc", "reason": "x"}', 400, "bad_request", ["points"]),
    ("adjust_score", b'{"team": "tam-ky", "points": 1e999, "reason": "x"}', 400, "invalid", ["points"]),
    ("adjust_score", b'{"team": "tam-ky", "points": 1, "reason": "x", "extra": 1}', 400, "bad_request", ["'extra'"]),
    ("goto_segment", b'{"index": "two"}', 400, "bad_request", ["index"]),
    ("goto_segment", b'{"index": 1e30}', 400, "bad_request", ["index"]),
    ("goto_segment", b'{"index": 100000000000000000000000000}', 400, "bad_request", ["index", "range"]),
    ("adjust_score", json.dumps({**ADJUST, "reason": "x" * MAX_PAYLOAD}).encode(), 413, "too_large", ["16384"]),
    ("adjust_score", b" " * (MAX_PAYLOAD + 1), 413, "too_large", ["16384"]),
    ("adjust_score", b"x" * 100_000, 413, "too_large", ["16384"]),
    ("no_such_command", b"{}", 404, "unknown_event", ["no_such_command", "start_show"]),
    ("buzz%20", b"{}", 404, "unknown_event", ["buzz "]),
    ("sync", b"{}", 404, "unknown_event", ["'sync'"]),
    ("vote", b'{"option": "A"}', 404, "unknown_event", ["'vote'"]),
    ("cast_votes", b'{"votes": []}', 404, "unknown_event", ["'cast_votes'"]),
    ("expire", b"{}", 404, "unknown_event", ["'expire'"]),
    ("%F0%9F%8E%89", b"{}", 404, "unknown_event", ["🎉"]),
]


@pytest.mark.parametrize(("name", "body", "status", "code", "words"), HTTP_CASES)
async def test_a_bad_http_command_gets_a_clear_error_and_changes_nothing(
    live, clients, name: str, body: bytes, status: int, code: str, words: list[str]
) -> None:
    rev, state = live.service.revision, live.service.state
    headers = {"Authorization": f"Bearer {live.token('producer')}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{live.url}/api/v1/commands/{name}", data=body, headers=headers) as response:
            assert response.status == status
            assert response.content_type == "application/json"
            assert_error(await response.json(), code, *words)
        assert live.service.revision == rev
        assert live.service.state is state
        async with http.post(f"{live.url}/api/v1/commands/adjust_score", json=ADJUST, headers=headers) as response:
            assert response.status == 200
            assert (await response.json())["rev"] == rev + 1
    await still_works(live, clients["control"])


@pytest.mark.parametrize(
    ("method", "path", "status", "code", "words"),
    [
        ("PUT", "/api/v1/commands/adjust_score", 405, "method_not_allowed", ["PUT", "POST"]),
        ("DELETE", "/api/v1/commands/x", 405, "method_not_allowed", ["DELETE"]),
        ("GET", "/api/v1/commands/x", 405, "method_not_allowed", ["GET", "POST"]),
        ("POST", "/api/v1/state", 405, "method_not_allowed", ["POST", "GET"]),
        ("GET", "/api/v1/nothing", 404, "not_found", ["/api/v1/nothing"]),
    ],
)
async def test_every_api_error_is_json(live, method: str, path: str, status: int, code: str, words: list[str]) -> None:
    rev = live.service.revision
    headers = {"Authorization": f"Bearer {live.token('producer')}"}
    async with aiohttp.ClientSession() as http:
        async with http.request(method, f"{live.url}{path}", headers=headers, data=b"{}") as response:
            assert response.status == status
            assert response.content_type == "application/json"
            assert_error(await response.json(), code, *words)
    assert live.service.revision == rev


# -- the rate limit -----------------------------------------------------------------------------


class LimiterClock:
    """The rate limiters' clock (``limits.time``) for a test: ``ahead`` seconds ahead of the real one, so
    every bucket starts full, and stopped while ``stopped`` holds a time."""

    def __init__(self, ahead: float) -> None:
        self.ahead = ahead
        self.stopped: float | None = None

    def monotonic(self) -> float:
        return time.monotonic() + self.ahead if self.stopped is None else self.stopped


async def test_a_burst_of_commands_beyond_the_limit_is_refused_and_changes_nothing(live, clients, monkeypatch) -> None:
    producer = clients["control"]
    rev = live.service.revision
    # No token comes back during the burst, however long a busy machine takes to commit it: exactly a
    # burst's worth gets through.
    clock = LimiterClock(ahead=ControlNamespace.burst / ControlNamespace.rate)
    monkeypatch.setattr(limits, "time", clock)
    clock.stopped = clock.monotonic()
    replies = await asyncio.gather(
        *(producer.call("adjust_score", ADJUST) for _ in range(ControlNamespace.burst + 40)), return_exceptions=True
    )
    clock.stopped = None
    accepted = [r for r in replies if isinstance(r, dict) and r["ok"]]
    limited = [r for r in replies if isinstance(r, dict) and not r["ok"]]
    assert len(accepted) + len(limited) == len(replies), [r for r in replies if not isinstance(r, dict)]
    assert len(accepted) == ControlNamespace.burst and len(limited) == 40
    for reply in limited:
        assert_error(reply, "rate_limited", "slow down")
    assert live.service.revision == rev + len(accepted)
    assert sorted(r["rev"] for r in accepted) == list(range(rev + 1, rev + len(accepted) + 1))
    assert sum(a.reason == "check" for a in live.service.state.board.awards) == len(accepted)

    # It recovers: once the limiter lets the producer through again, the show changes as before.
    await until_accepted(producer, "time")
    rev = live.service.revision
    assert await until_accepted(producer, "adjust_score", ADJUST) == {"ok": True, "rev": rev + 1}
    assert producer.sio.connected


async def until_accepted(client: ViewClient, event: str, payload: Any = None, timeout: float = 10) -> dict:
    """Retry ``event`` until the rate limiter lets it through (each refusal meanwhile "rate_limited"); its ACK."""
    deadline = time.monotonic() + timeout
    while not (reply := await client.call(event, payload))["ok"]:
        assert_error(reply, "rate_limited", "slow down")
        assert time.monotonic() < deadline, f"still refused after {timeout} s: {reply}"
        await asyncio.sleep(0.05)
    return reply


@pytest.mark.parametrize(("namespace", "kind"), [("audience", AudienceNamespace), ("team", TeamNamespace)])
async def test_a_flood_of_events_is_rate_limited_and_then_recovers(live, clients, namespace: str, kind) -> None:
    client = clients[namespace]
    started = time.monotonic()
    replies = await asyncio.gather(*(client.call("time") for _ in range(kind.burst * 2 + 5)))
    elapsed = time.monotonic() - started
    accepted = [r for r in replies if r["ok"]]
    limited = [r for r in replies if not r["ok"]]
    assert kind.burst <= len(accepted) <= kind.burst + 1 + kind.rate * elapsed
    assert limited
    for reply in limited:
        assert_error(reply, "rate_limited", "slow down")

    await until_accepted(client, "time")  # a token comes back, and the same connection is served
    assert client.sio.connected
    await still_works(live)


# -- raw engine.io / socket.io frames -----------------------------------------------------------


class RawSocket:
    """A websocket that speaks engine.io v4 and socket.io v5 by hand."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, namespace: str) -> None:
        self.ws, self.namespace = ws, namespace
        self.frames: list[str] = []

    async def connect(self, auth: dict[str, Any]) -> None:
        opening = await self.ws.receive_str(timeout=5)
        assert opening.startswith("0{")
        await self.ws.send_str(f"40{self.namespace},{json.dumps(auth)}")
        # The snapshot may come before the CONNECT packet itself.
        while not (frame := await self.next_frame()).startswith((f"40{self.namespace},", f"44{self.namespace},")):
            pass
        assert frame.startswith(f"40{self.namespace},"), frame

    async def next_frame(self, timeout: float = 5) -> str:
        while True:
            message = await self.ws.receive(timeout=timeout)
            if message.type is not aiohttp.WSMsgType.TEXT:
                raise ConnectionResetError(f"the server closed the socket ({message.type.name})")
            if message.data == "2":  # the server's ping
                await self.ws.send_str("3")
                continue
            self.frames.append(message.data)
            return message.data

    async def ack(self, id: int, namespace: str | None = None, timeout: float = 5) -> Any:
        prefix = f"43{namespace or self.namespace},{id}["
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.next_frame(timeout)
                if frame.startswith(prefix):
                    return json.loads(frame[len(prefix) - 1 :])[0]

    async def call(self, id: int, event: str, *args: Any) -> Any:
        await self.ws.send_str(f"42{self.namespace},{id}{json.dumps([event, *args])}")
        return await self.ack(id)

    async def closed(self, timeout: float = 5) -> bool:
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self.next_frame(timeout)
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False


async def raw_socket(http: aiohttp.ClientSession, live, namespace: str, auth: dict[str, Any]) -> RawSocket:
    ws = await http.ws_connect(f"{live.url}/socket.io/?EIO=4&transport=websocket")
    raw = RawSocket(ws, namespace)
    await raw.connect(auth)
    return raw


NESTED = "[" * 900 + "]" * 900

# (frame, what the raw socket gets back: an error ACK (id 9) as (code, word), "open", or "closed")
RAW_FRAMES: list[tuple[str | bytes, Any]] = [
    # engine.io garbage: the server drops this one socket
    ("", "closed"),
    ("x", "closed"),
    ("hello, server", "closed"),
    ("42/control," + json.dumps(["adjust_score", {**ADJUST, "reason": "x" * 70_000}]), "closed"),  # > maxPayload
    # engine.io packets a client has no business sending: ignored
    ("9", "open"),
    ("2", "open"),
    ("3", "open"),
    ("6", "open"),
    (b"\x00\xff\x10garbage", "open"),
    # socket.io frames without an ack id: nothing to answer, the socket stays up
    ("4", "open"),
    ("49", "open"),
    ("4x", "open"),
    ("42/control,", "open"),
    ("42/control,[", "open"),
    ("42/control,{}", "open"),
    ("42/control,[]", "open"),
    ('42/control,"text"', "open"),
    ("42/control,7", "open"),
    ("43/control,99[1]", "open"),
    ("44/control,{}", "open"),
    ("40/nowhere,", "open"),
    ('40/control,{"token":"again"}', "open"),
    # socket.io frames the library can't make an event of, with an ack id: answered, never left waiting
    ("42/control,9{]", ("bad_request", "JSON")),
    ("42/control,9[]", ("bad_request", "list of its name")),
    ('42/control,9{"not": "a list"}', ("bad_request", "list of its name")),
    ('42/control,9["sync"', ("bad_request", "JSON")),
    ("42/control,9" + "[" * 5000 + "]" * 5000, ("bad_request", "nested")),
    ('42/control,9["adjust_score", {"team": "tam-ky", "points": 1' + "0" * 101 + "}]", ("bad_request", "100 digits")),
    ('452-/control,9["adjust_score", {"_placeholder": true, "num": 0}]', ("bad_request", "binary")),
    ('42/nowhere,9["time"]', ("unauthorized", "not connected", "/nowhere")),
    ('42/judge,9["sync"]', ("unauthorized", "not connected", "/judge")),
    # frames that reach the server's own code: an error ACK
    ("42/control,9[1, {}]", ("unknown_event", "text")),
    ("42/control,9[null]", ("unknown_event", "text")),
    ('42/control,9[{"name": "start_show"}]', ("unknown_event", "text")),
    ('42/control,9[["adjust_score"]]', ("unknown_event", "text")),
    ('42/control,9["disconnect"]', ("unknown_event", "'disconnect'")),
    ('42/control,9["connect", {"token": "x"}]', ("unknown_event", "'connect'")),
    ('42/control,9["\\ud800"]', ("unknown_event", "unknown event")),
    ('42/control,9["adjust_score", {"team": "tam-ky", "points": 1, "reason": "\\udfff"}]', ("bad_request", "Unicode")),
    (f'42/control,9["start_show", {NESTED}]', ("bad_request", "JSON object")),
    (f'42/control,9["adjust_score", {{"team": {NESTED}}}]', ("bad_request", "team")),
]


@pytest.mark.parametrize(("frame", "outcome"), RAW_FRAMES, ids=[repr(f)[:40] for f, _ in RAW_FRAMES])
async def test_garbage_frames_never_stop_the_server(live, clients, frame: str | bytes, outcome: Any) -> None:
    rev, state = live.service.revision, live.service.state
    async with aiohttp.ClientSession() as http:
        raw = await raw_socket(http, live, "/control", {"token": live.token("producer")})
        if isinstance(frame, bytes):
            await raw.ws.send_bytes(frame)
        else:
            await raw.ws.send_str(frame)
        if outcome == "closed":
            assert await raw.closed()
        elif outcome == "open":
            assert (await raw.call(1, "time"))["ok"] is True
        else:
            code, word, *elsewhere = outcome  # an ACK on another namespace than the socket's
            assert_error(await raw.ack(9, *elsewhere), code, word)
            assert (await raw.call(1, "time"))["ok"] is True
        assert live.service.revision == rev
        assert live.service.state is state
        if outcome != "closed":
            # Its session is intact: it is still the producer and may still run the show.
            assert (await raw.call(2, "adjust_score", ADJUST)) == {"ok": True, "rev": rev + 1}
            assert (await presence(http, live))["controllers"] == 2
        await raw.ws.close()
    await still_works(live, *clients.values())


async def test_a_binary_attachment_is_refused_as_not_json(live, clients) -> None:
    rev = live.service.revision
    async with aiohttp.ClientSession() as http:
        raw = await raw_socket(http, live, "/control", {"token": live.token("producer")})
        await raw.ws.send_str('451-/control,9["adjust_score",{"_placeholder":true,"num":0}]')
        await raw.ws.send_bytes(b"\x00\x01\x02")
        assert_error(await raw.ack(9), "bad_request", "binary")
        await raw.ws.send_str('451-/control,8["adjust_score",{"team":{"_placeholder":true,"num":0}}]')
        await raw.ws.send_bytes(b"tam-ky")
        assert_error(await raw.ack(8), "bad_request", "binary")
        assert live.service.revision == rev
        assert (await raw.call(1, "adjust_score", ADJUST))["ok"] is True
        await raw.ws.close()
    await still_works(live)


async def test_a_flood_of_malformed_frames_is_cut_off_with_a_reason_and_logged_once(
    live, clients, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with aiohttp.ClientSession() as http:
        raw = await raw_socket(http, live, "/overlay", {})
        for _ in range(5000):  # 13-byte frames, as fast as the socket takes them
            if raw.ws.closed:
                break
            await raw.ws.send_str("42/overlay,{}")
        with contextlib.suppress(ConnectionResetError):
            while not (frame := await raw.next_frame()).startswith('42/overlay,["disconnecting"'):
                pass
        said = json.loads(frame[len("42/overlay,") :])[1]
        assert said["code"] == "rate_limited" and "malformed" in said["message"], said
        assert await raw.closed()
    lines = [r.getMessage() for r in caplog.records if "malformed" in r.getMessage()]
    assert 1 <= len(lines) <= 2, lines
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a client's bad frames"
    await still_works(live, *clients.values())


async def test_a_team_pad_cannot_fake_its_own_disconnect(live, clients) -> None:
    """A "disconnect" event from a client must not free its team for a second device."""
    async with aiohttp.ClientSession() as http:
        raw = await raw_socket(http, live, "/team", {"token": live.token("team", "dien-ban")})
        assert_error(await raw.call(9, "disconnect"), "unknown_event", "'disconnect'")
        assert_error(await raw.call(8, "connect", {"token": live.token("team", "dien-ban")}), "unknown_event")
        assert (await presence(http, live))["teams"] == ["dien-ban", "tam-ky"]
        errors: list[Any] = []
        second = socketio.AsyncClient(reconnection=False)
        second.on("connect_error", errors.append, namespace="/team")
        with pytest.raises(socketio.exceptions.ConnectionError):
            await second.connect(
                live.url, namespaces=["/team"], auth={"token": live.token("team", "dien-ban")}, transports=["websocket"]
            )
        await second.disconnect()
        assert [e["data"]["code"] for e in errors] == ["in_use"]
        assert (await raw.call(1, "time"))["ok"] is True
        await raw.ws.close()
    await still_works(live)


async def presence(http: aiohttp.ClientSession, live) -> dict[str, Any]:
    async with http.get(f"{live.url}/healthz") as response:
        return (await response.json())["clients"]
