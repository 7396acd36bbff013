"""Who may do what, checked with real clients against a real server.

Every refusal must leave the show exactly as it was (``live.service.revision`` unchanged),
and every role must see only what it is entitled to see.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
import socketio

from server.transport.keys import HUB
from server.transport.namespaces import AudienceNamespace, OverlayNamespace
from server.transport.protocol import COMMANDS
from tests.transport.conftest import ViewClient

TEAMS = ("tam-ky", "dien-ban", "nam-tra-my")
JUDGES = ("gk-1", "gk-2", "gk-3")
SPEED = 3  # "Tăng tốc số": ts-01 is multiple choice, answer B
AUDIENCE_SEGMENT = 4  # "Khán giả cùng tham gia": kg-01, answer B
CHAO_HOI = {"noi-dung": 8, "hinh-thuc": 4, "an-tuong": 4.5}  # a valid score sheet for "Chào hỏi"

PRODUCER_ONLY = sorted(set(COMMANDS["control"]) - set(COMMANDS["team"]) - set(COMMANDS["judge"]))
EVERY_COMMAND = sorted({name for commands in COMMANDS.values() for name in commands} | {"vote"})


def error_code(reply: Any) -> str:
    assert isinstance(reply, dict), reply
    assert reply["ok"] is False, reply
    assert isinstance(reply["error"]["message"], str) and reply["error"]["message"], reply
    return reply["error"]["code"]


async def refusal(live, namespace: str, auth: Any) -> dict[str, Any]:
    """Connect with ``auth`` and expect a refusal; returns what the server sent with it."""
    errors: list[Any] = []
    sio = socketio.AsyncClient(reconnection=False)
    sio.on("connect_error", errors.append, namespace=namespace)
    try:
        with pytest.raises(socketio.exceptions.ConnectionError, match="failed to connect"):
            await sio.connect(live.url, namespaces=[namespace], auth=auth, transports=["websocket"])
    finally:
        await sio.disconnect()
    assert len(errors) == 1, errors
    return errors[0]


def refusal_code(data: dict[str, Any]) -> str:
    """The machine-readable code of a refusal: ``{"message": ..., "data": {"code", "message"}}``."""
    assert isinstance(data, dict), data
    assert isinstance(data["message"], str) and data["message"], data
    assert data["data"]["message"] == data["message"], data
    return data["data"]["code"]


async def presence(live) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(f"{live.url}/healthz") as response:
        return (await response.json())["clients"]


async def settle(*clients: ViewClient, rev: int) -> None:
    for client in clients:
        await client.wait_for(lambda client=client: client.rev >= rev)


async def producer_call(producer: ViewClient, event: str, payload: Any = None) -> int:
    reply = await producer.call(event, payload)
    assert reply["ok"] is True, (event, payload, reply)
    return reply["rev"]


# -- connections ----------------------------------------------------------------------------


@pytest.mark.parametrize("namespace", ["/control", "/judge", "/team"])
@pytest.mark.parametrize(
    "auth",
    [{}, {"token": ""}, {"token": "not-a-token"}, {"token": None}, {"token": 12345}, {"token": ["x"]}],
    ids=["no-token", "empty", "wrong", "null", "number", "list"],
)
async def test_a_missing_or_wrong_token_is_refused(live, namespace: str, auth: dict) -> None:
    data = await refusal(live, namespace, auth)
    assert refusal_code(data) == "unauthorized"
    assert "token" in data["message"]
    clients = await presence(live)
    assert clients["controllers"] == 0 and clients["teams"] == [] and clients["judges"] == []
    assert not live.app[HUB].sessions
    assert live.service.revision == 0


@pytest.mark.parametrize(
    ("namespace", "role", "subject"),
    [
        ("/control", "judge", "gk-1"),
        ("/control", "team", "tam-ky"),
        ("/judge", "producer", ""),
        ("/judge", "team", "dien-ban"),
        ("/team", "producer", ""),
        ("/team", "judge", "gk-2"),
    ],
)
async def test_a_token_only_opens_its_own_namespace(live, namespace: str, role: str, subject: str) -> None:
    data = await refusal(live, namespace, {"token": live.token(role, subject)})
    assert refusal_code(data) == "unauthorized"
    assert not live.app[HUB].sessions


@pytest.mark.parametrize("auth", [{}, {"device": "short"}, {"device": 12345678}, {"device": "x" * 65}])
async def test_the_audience_needs_a_device_id(live, auth: dict) -> None:
    data = await refusal(live, "/audience", auth)
    assert refusal_code(data) == "unauthorized"
    assert "device" in data["message"]


async def test_the_right_tokens_connect(live) -> None:
    producer = await live.producer()
    judge = await live.judge("gk-1")
    team = await live.team("tam-ky")
    await live.overlay()
    await live.client("/audience", device="phone-0001")
    assert producer.view["phase"] == "setup" and "awards" in producer.view
    assert judge.view["me"]["judge"] == "gk-1"
    assert "awards" not in team.view and "me" not in team.view
    clients = await presence(live)
    assert clients.pop("obs")["configured"] is True  # the demo show has an obs section (no OBS runs here)
    assert clients == {
        "teams": ["tam-ky"],
        "judges": ["gk-1"],
        "overlays": 1,
        "monitors": 0,
        "audience": 1,
        "controllers": 1,
    }


# -- a team pad acts for its own team only ----------------------------------------------------


async def test_a_team_pad_acts_only_for_its_own_team(live) -> None:
    producer = await live.producer()
    tam_ky = await live.team("tam-ky")
    dien_ban = await live.team("dien-ban")
    await producer_call(producer, "start_show")
    await producer_call(producer, "goto_segment", {"index": SPEED})

    # No question on screen: choosing a package for another team is forbidden before any round rule.
    reply = await tam_ky.call("choose_package", {"team": "dien-ban", "values": [10]})
    assert error_code(reply) == "forbidden"
    assert "Điện Bàn" in reply["error"]["message"]
    assert error_code(await tam_ky.call("choose_package", {"team": "tam-ky", "values": [10]})) == "rule"

    await producer_call(producer, "show_question")
    reply = await tam_ky.call("place_star", {"team": "nam-tra-my"})
    assert error_code(reply) == "forbidden"

    await producer_call(producer, "open_answers")
    rev = live.service.revision
    for event, payload in [
        ("buzz", {"team": "dien-ban"}),
        ("submit_answer", {"team": "dien-ban", "answer": "B"}),
        ("submit_answer", {"team": "nam-tra-my", "answer": "A"}),
        ("buzz", {"team": "no-such-team"}),
    ]:
        reply = await tam_ky.call(event, payload)
        assert error_code(reply) in ("forbidden", "not_found"), (event, payload, reply)
        assert live.service.revision == rev
    assert error_code(await tam_ky.call("submit_answer", {"team": "dien-ban", "answer": "B"})) == "forbidden"
    assert live.service.state.board.question.answers == {}

    # Its own team: implicitly, or by naming it.
    assert (await tam_ky.call("submit_answer", {"answer": "B"}))["ok"] is True
    assert (await dien_ban.call("submit_answer", {"team": "dien-ban", "answer": "a"}))["ok"] is True
    assert sorted(live.service.state.board.question.answers) == ["dien-ban", "tam-ky"]
    assert live.service.revision == rev + 2


async def test_a_judge_enters_only_their_own_scores(live) -> None:
    producer = await live.producer()
    gk1 = await live.judge("gk-1")
    await producer_call(producer, "start_show")  # "Chào hỏi", a judged round
    rev = live.service.revision
    for payload in [
        {"judge": "gk-2", "team": "tam-ky", "scores": CHAO_HOI},
        {"judge": "gk-3", "team": "dien-ban", "scores": CHAO_HOI},
    ]:
        reply = await gk1.call("submit_scores", payload)
        assert error_code(reply) == "forbidden", reply
        assert "own" in reply["error"]["message"]
    assert live.service.revision == rev
    assert live.service.state.board.judged == {}

    assert (await gk1.call("submit_scores", {"team": "tam-ky", "scores": CHAO_HOI}))["ok"] is True
    assert (await gk1.call("submit_scores", {"judge": "gk-1", "team": "dien-ban", "scores": CHAO_HOI}))["ok"]
    assert sorted(live.service.state.board.judged["chao-hoi"].scores) == ["gk-1"]


@pytest.mark.parametrize("namespace", ["/team", "/judge"])
async def test_producer_commands_are_unknown_on_team_and_judge_pads(live, namespace: str) -> None:
    assert {"start_show", "adjust_score", "reveal_answer", "judge_answer", "undo", "reveal_scores"} <= set(
        PRODUCER_ONLY
    )
    pad = await (live.team("tam-ky") if namespace == "/team" else live.judge("gk-1"))
    for event in PRODUCER_ONLY:
        payload = {"team": "tam-ky", "points": 5, "reason": "x"} if event == "adjust_score" else {}
        reply = await pad.call(event, payload)
        assert error_code(reply) == "unknown_event", (event, reply)
        assert event in reply["error"]["message"]
    allowed = sorted(COMMANDS[namespace.strip("/")])
    assert all(name in reply["error"]["message"] for name in allowed)
    assert live.service.revision == 0
    assert live.service.state.board.phase == "setup"
    # The same commands work for the producer.
    producer = await live.producer()
    assert await producer_call(producer, "start_show") == 1


async def test_a_team_pad_cannot_enter_scores_and_a_judge_cannot_buzz(live) -> None:
    producer = await live.producer()
    team = await live.team("tam-ky")
    judge = await live.judge("gk-1")
    await producer_call(producer, "start_show")
    reply = await team.call("submit_scores", {"judge": "gk-1", "team": "tam-ky", "scores": CHAO_HOI})
    assert error_code(reply) == "unknown_event"
    for event in ("buzz", "submit_answer", "choose_package", "place_star", "vote"):
        assert error_code(await judge.call(event, {"team": "tam-ky"})) == "unknown_event"
    assert live.service.revision == 1


async def test_an_overlay_can_send_no_command(live, monkeypatch) -> None:
    monkeypatch.setattr(OverlayNamespace, "burst", 100)  # more events than a burst; the limit is tested elsewhere
    overlay = await live.overlay()
    assert len(EVERY_COMMAND) > 25
    for event in EVERY_COMMAND:
        reply = await overlay.call(event, {})
        assert error_code(reply) == "unknown_event", (event, reply)
        assert "commands here: none" in reply["error"]["message"]
    assert (await overlay.call("sync"))["rev"] == 0
    assert (await overlay.call("time"))["ok"] is True
    assert live.service.revision == 0


async def test_the_audience_may_only_vote_sync_and_ask_the_time(live, monkeypatch) -> None:
    monkeypatch.setattr(AudienceNamespace, "burst", 100)  # the rate limit has its own test in test_bad_input
    producer = await live.producer()
    phone = await live.client("/audience", device="phone-0001")
    assert (await phone.call("sync"))["ok"] is True
    assert (await phone.call("time"))["ok"] is True
    for event in ("start_show", "buzz", "submit_answer", "submit_scores", "adjust_score", "cast_votes", "undo"):
        reply = await phone.call(event, {})
        assert error_code(reply) == "unknown_event", (event, reply)
        assert "'vote'" in reply["error"]["message"]
    assert error_code(await phone.call("vote", {"option": "B"})) in ("phase", "rule")  # no poll yet
    assert live.service.revision == 0

    await producer_call(producer, "start_show")
    await producer_call(producer, "goto_segment", {"index": AUDIENCE_SEGMENT})
    await producer_call(producer, "show_question")
    rev = await producer_call(producer, "open_answers")
    await phone.wait_for(lambda: phone.rev >= rev and (phone.view["poll"] or {}).get("open"))
    reply = await phone.call("vote", {"option": "B", "nickname": "Lan"})
    assert reply["ok"] is True and reply["rev"] == rev + 1


# -- HTTP -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong-token",
        "Bearer {team}",
        "Bearer {judge}",
        "Basic {producer}",
        "{producer}",
        "Token {producer}",
    ],
)
async def test_http_commands_need_the_producer_bearer_token(live, header: str | None) -> None:
    headers = {}
    if header is not None:
        headers["Authorization"] = header.format(
            team=live.token("team", "tam-ky"), judge=live.token("judge", "gk-1"), producer=live.token("producer")
        )
    async with aiohttp.ClientSession() as http:
        for name, body in [("start_show", {}), ("adjust_score", {"team": "tam-ky", "points": 5, "reason": "x"})]:
            async with http.post(f"{live.url}/api/v1/commands/{name}", json=body, headers=headers) as response:
                assert response.status == 401
                reply = await response.json()
            assert error_code(reply) == "unauthorized"
            assert "Bearer" in reply["error"]["message"]
        assert live.service.revision == 0
        assert live.service.state.board.phase == "setup"
        bearer = {"Authorization": f"Bearer {live.token('producer')}"}
        async with http.post(f"{live.url}/api/v1/commands/start_show", headers=bearer) as response:
            assert response.status == 200
            assert (await response.json())["rev"] == 1


async def test_http_state_is_public_without_a_token_and_refused_with_a_wrong_one(live) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{live.url}/api/v1/state") as response:
            assert response.status == 200
            assert "awards" not in (await response.json())["view"]
        for token in (live.token("team", "tam-ky"), "nope"):
            async with http.get(f"{live.url}/api/v1/state", headers={"Authorization": f"Bearer {token}"}) as response:
                assert response.status == 401
                assert error_code(await response.json()) == "unauthorized"
        bearer = {"Authorization": f"Bearer {live.token('producer')}"}
        async with http.get(f"{live.url}/api/v1/state", headers=bearer) as response:
            assert "awards" in (await response.json())["view"]


# -- what each role sees ----------------------------------------------------------------------


async def test_the_correct_answer_stays_hidden_until_the_reveal(live) -> None:
    producer = await live.producer()
    team = await live.team("tam-ky")
    other = await live.team("dien-ban")
    overlay = await live.overlay()
    judge = await live.judge("gk-1")
    public_clients = (team, other, overlay, judge)
    await producer_call(producer, "start_show")
    await producer_call(producer, "goto_segment", {"index": SPEED})

    async def check(rev: int, phase: str, revealed: bool = False) -> None:
        await settle(producer, *public_clients, rev=rev)
        assert producer.view["question"]["phase"] == phase
        assert producer.view["question"]["answer"] == "B"
        async with aiohttp.ClientSession() as http, http.get(f"{live.url}/api/v1/state") as response:
            over_http = (await response.json())["view"]
        for view in [c.view for c in public_clients] + [over_http]:
            question = view["question"]
            assert question["phase"] == phase
            assert question.get("answer") == ("B" if revealed else None)  # a patch drops a key to make it null
            if not revealed:  # nor may a grade give it away
                assert all(a.get("correct") is None for a in question["answers"].values()), question["answers"]

    await check(await producer_call(producer, "show_question"), "ready")
    await check(await producer_call(producer, "open_answers"), "open")
    assert (await team.call("submit_answer", {"answer": "B"}))["ok"] is True
    reply = await other.call("submit_answer", {"answer": "C"})
    assert reply["ok"] is True
    await check(reply["rev"], "open")
    assert producer.view["question"]["answers"]["tam-ky"]["correct"] is True
    # While answers are open, no team sees what another one answered.
    assert team.view["question"]["answers"] == {"tam-ky": {"answered": True}, "dien-ban": {"answered": True}}
    await check(await producer_call(producer, "close_answers"), "closed")
    assert overlay.view["question"]["answers"]["dien-ban"]["text"] == "C"
    await check(await producer_call(producer, "reveal_answer"), "revealed", revealed=True)
    assert overlay.view["question"]["answers"]["tam-ky"]["correct"] is True
    assert overlay.view["question"]["answers"]["dien-ban"]["correct"] is False


async def test_judges_scores_stay_hidden_until_revealed(live) -> None:
    producer = await live.producer()
    judges = {j: await live.judge(j) for j in JUDGES}
    team = await live.team("tam-ky")
    overlay = await live.overlay()
    await producer_call(producer, "start_show")

    sheets = {"gk-1": CHAO_HOI, "gk-2": {"noi-dung": 9, "hinh-thuc": 5, "an-tuong": 5}}
    for judge, sheet in sheets.items():
        reply = await judges[judge].call("submit_scores", {"team": "tam-ky", "scores": sheet})
        assert reply["ok"] is True
    rev = reply["rev"]
    await settle(producer, team, overlay, *judges.values(), rev=rev)

    assert producer.view["judged"]["chao-hoi"]["scores"] == {j: {"tam-ky": s} for j, s in sheets.items()}
    for client in (team, overlay, *judges.values()):
        judged = client.view["judged"]["chao-hoi"]
        assert judged["scores"] == {"gk-1": {}, "gk-2": {}}, judged
        assert judged["submitted"] == {"gk-1": ["tam-ky"], "gk-2": ["tam-ky"]}  # who has scored is public
    assert judges["gk-1"].view["me"]["judged"]["chao-hoi"]["scores"] == {"tam-ky": CHAO_HOI}
    assert judges["gk-2"].view["me"]["judged"]["chao-hoi"]["scores"] == {"tam-ky": sheets["gk-2"]}
    assert judges["gk-3"].view["me"]["judged"]["chao-hoi"]["scores"] == {}

    # Not revealable before every judge has scored; then the producer reveals.
    assert error_code(await producer.call("reveal_scores", {"team": "tam-ky"})) == "rule"
    assert (await judges["gk-3"].call("submit_scores", {"team": "tam-ky", "scores": CHAO_HOI}))["ok"] is True
    rev = await producer_call(producer, "reveal_scores", {"team": "tam-ky"})
    await settle(producer, team, overlay, *judges.values(), rev=rev)
    everyone = {**sheets, "gk-3": CHAO_HOI}
    for client in (producer, team, overlay, *judges.values()):
        assert client.view["judged"]["chao-hoi"]["scores"] == {j: {"tam-ky": s} for j, s in everyone.items()}
    assert [t["score"] for t in overlay.view["teams"] if t["id"] == "tam-ky"] != [0]


# -- one pad per team -------------------------------------------------------------------------


async def test_a_second_pad_is_refused_unless_it_takes_over(live) -> None:
    producer = await live.producer()
    first = await live.team("tam-ky")
    token = live.token("team", "tam-ky")

    data = await refusal(live, "/team", {"token": token})
    assert refusal_code(data) == "in_use"
    assert "take it over" in data["message"]
    assert first.sio.connected
    assert (await first.call("time"))["ok"] is True
    for takeover in ("yes", 1, False):  # only a literal true takes over
        assert refusal_code(await refusal(live, "/team", {"token": token, "takeover": takeover})) == "in_use"

    second = await live.team("tam-ky", takeover=True)
    await asyncio.wait_for(_until(lambda: not first.sio.connected), 5)
    assert [event for event, _ in first.events].count("taken_over") == 1
    assert live.app[HUB].team_pads["tam-ky"] == second.sio.get_sid("/team")
    assert (await presence(live))["teams"] == ["tam-ky"]

    await producer_call(producer, "start_show")
    await producer_call(producer, "goto_segment", {"index": SPEED})
    await producer_call(producer, "show_question")
    await producer_call(producer, "open_answers")
    assert (await second.call("submit_answer", {"answer": "B"}))["ok"] is True

    # A pad that leaves frees its team for the next device.
    await second.close()
    await asyncio.wait_for(_until(lambda: "tam-ky" not in live.app[HUB].team_pads), 5)
    third = await live.team("tam-ky")
    assert (await third.call("time"))["ok"] is True


async def _until(predicate) -> None:
    while not predicate():
        await asyncio.sleep(0.01)
