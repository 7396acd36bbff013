"""The online quiz over HTTP, against the real server on loopback: registration with a code, the attempt
saved as it goes and resumed on another device, the answer key never sent, the leaderboard, the judges'
blind marking, and every bad request refused with what is wrong."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from server.app import create_stage_app
from server.core.quiz.attempt import identity
from server.online.otp import ConsoleSender
from server.transport.quiz_api import QUIZ
from tests.online.conftest import QUIZ_FILE


class Site:
    def __init__(self, server, sender: ConsoleSender) -> None:
        self.server, self.sender = server, sender
        self.url = f"http://127.0.0.1:{server.port}"
        self.sessions: list[aiohttp.ClientSession] = []

    @property
    def api(self):
        return self.server.app[QUIZ]

    def device(self) -> aiohttp.ClientSession:
        """A phone: its own cookies."""
        session = aiohttp.ClientSession(self.url, cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.sessions.append(session)
        return session

    async def call(self, device: aiohttp.ClientSession, path: str, body: Any = None, **kw) -> tuple[int, dict]:
        method = device.get if body is None and not kw.get("data") else device.post
        async with method(f"/quiz/api/{path}", json=body, **kw) as response:
            return response.status, await response.json()

    async def sign_up(self, device, contact: str, name: str = "Nguyễn Văn An", unit: str = "Xã Hòa Xá") -> dict:
        status, answer = await self.call(
            device, "code", {"contact": contact, "name": name, "unit": unit, "consent": True}
        )
        assert status == 200 and answer["ok"], answer
        code = self.sender.sent[identity(contact)]
        status, answer = await self.call(device, "verify", {"contact": contact, "code": code})
        assert status == 200 and answer["ok"], answer
        return answer

    async def hand_in(self, contact: str, name: str, essay: str) -> None:
        """An entrant signs up on a phone of their own, starts, writes ``essay`` and hands in."""
        phone = self.device()
        await self.sign_up(phone, contact, name=name)
        await self.call(phone, "start", {})
        await self.call(phone, "essay", {"text": essay})
        await self.call(phone, "submit", {})


@pytest.fixture
async def site(aiohttp_server, tmp_path) -> AsyncIterator[Site]:
    sender = ConsoleSender()
    app = create_stage_app(QUIZ_FILE, tmp_path / "quiz.db", sender=sender, rehearsal=True)
    server = await aiohttp_server(app, host="127.0.0.1")
    site = Site(server, sender)
    yield site
    for session in site.sessions:
        await session.close()


async def test_an_entrant_registers_takes_the_quiz_resumes_on_another_device_and_hands_in(site: Site) -> None:
    phone = site.device()
    me = await site.sign_up(phone, "0912 345 678")
    assert me["entrant"]["name"] == "Nguyễn Văn An" and me["attempt"] is None
    status, started = await site.call(phone, "start", {})
    attempt = started["attempt"]
    assert status == 200 and len(attempt["questions"]) == 20 and attempt["answers"] == [None] * 20
    assert attempt["deadline"] - attempt["started"] == 30 * 60_000
    # The key never leaves the server: a question is its text and its choices, in this entrant's order.
    assert all(set(q) == {"text", "choices"} for q in attempt["questions"]) and '"answer":' not in json.dumps(started)
    for item in range(5):
        assert (await site.call(phone, "answer", {"item": item, "choice": item % 4}))[1]["ok"]
    assert (await site.call(phone, "essay", {"text": "Mỗi thôn một tổ công nghệ số."}))[1]["ok"]

    laptop = site.device()  # the same entrant on another device: a new code, the same attempt
    status, again = await site.call(laptop, "code", {"contact": "+84912345678"})
    assert again == {"ok": True, "to": "09****5678", "registered": True}
    _, resumed = await site.call(laptop, "verify", {"contact": "0912345678", "code": site.sender.sent["0912345678"]})
    assert resumed["attempt"]["answers"][:6] == [0, 1, 2, 3, 0, None]
    assert resumed["attempt"]["essay"] == "Mỗi thôn một tổ công nghệ số."
    assert resumed["attempt"]["questions"] == attempt["questions"]

    _, done = await site.call(laptop, "submit", {})
    result = done["attempt"]["result"]
    assert result["count"] == 20 and 0 <= result["correct"] <= 5 and done["attempt"]["finished"] is not None
    status, late = await site.call(phone, "answer", {"item": 6, "choice": 0})
    assert status == 409 and late["error"]["key"] == "quiz.already_submitted"
    _, board = await site.call(phone, "board")
    assert board["registered"] == 1 and board["finished"] == 1
    assert board["standings"][0]["name"] == "Nguyễn Văn An" and "contact" not in json.dumps(board)
    units = {u["unit"]: u for u in board["participation"]}
    assert units["Xã Hòa Xá"] == {"unit": "Xã Hòa Xá", "registered": 1, "started": 1, "finished": 1}


async def test_one_attempt_per_identity(site: Site) -> None:
    phone = site.device()
    await site.sign_up(phone, "an@example.vn")
    assert (await site.call(phone, "start", {}))[1]["ok"]
    status, again = await site.call(phone, "start", {})
    assert status == 409 and again["error"]["key"] == "quiz.already_started"
    other = site.device()  # registering again with the same email, written otherwise, signs in instead
    _, ask = await site.call(
        other, "code", {"contact": "AN@Example.vn", "name": "Ai đó", "unit": "Xã Viên An", "consent": True}
    )
    assert ask["registered"] is True
    assert len(site.api.book.entrants) == 1


@pytest.mark.parametrize(
    ("path", "body", "status", "key"),
    [
        ("code", {"contact": "12345"}, 400, "quiz.contact_invalid"),
        ("code", {"contact": "0912345678", "name": "A", "unit": "Hà Nội", "consent": True}, 400, "quiz.no_such_unit"),
        ("code", {"contact": "0912345678", "name": "A", "unit": "Xã Hòa Xá"}, 400, "quiz.consent_needed"),
        (
            "code",
            {"contact": "0912345678", "name": " ", "unit": "Xã Hòa Xá", "consent": True},
            400,
            "quiz.name_invalid",
        ),
        ("code", {"contact": "0912345678", "phone": "x"}, 400, "wire.unknown_field"),
        ("code", [1, 2], 400, "wire.not_object"),
        ("verify", {"contact": "0912345678", "code": "000000"}, 409, "quiz.code_expired"),
        ("start", {}, 401, "quiz.signed_out"),
        ("answer", {"item": 0, "choice": 1}, 401, "quiz.signed_out"),
        ("essays", None, 401, "quiz.wrong_token"),
    ],
)
async def test_bad_requests_are_refused_with_what_is_wrong(site: Site, path, body, status, key) -> None:
    got, answer = await site.call(site.device(), path, body)
    assert (got, answer["ok"], answer["error"]["key"]) == (status, False, key), answer
    assert answer["error"]["message"] and site.api.book.version == 0


async def test_bodies_that_are_not_json_or_too_big_are_refused(site: Site) -> None:
    phone = site.device()
    status, answer = await site.call(phone, "code", data=b"{not json", headers={"Content-Type": "application/json"})
    assert status == 400 and answer["error"]["key"] == "wire.body_not_json"
    status, answer = await site.call(phone, "code", data=b'{"contact": "' + b"x" * 70_000 + b'"}')
    assert status == 413 and answer["error"]["key"] == "wire.body_too_large"


async def test_a_wrong_code_counts_down_and_a_new_code_waits_a_minute(site: Site) -> None:
    phone = site.device()
    ask = {"contact": "0987654321", "name": "Bình", "unit": "Xã Viên An", "consent": True}
    assert (await site.call(phone, "code", ask))[1]["ok"]
    right = site.sender.sent["0987654321"]
    wrong = "000000" if right != "000000" else "111111"
    _, answer = await site.call(phone, "verify", {"contact": "0987654321", "code": wrong})
    assert answer["error"]["key"] == "quiz.code_wrong" and answer["error"]["params"] == {"left": 4}
    status, answer = await site.call(phone, "code", ask)
    assert status == 409 and answer["error"]["key"] == "quiz.code_wait"
    assert (await site.call(phone, "verify", {"contact": "0987654321", "code": right}))[1]["ok"]


async def test_judges_mark_essays_by_code_and_the_marks_count_in_the_standings(site: Site) -> None:
    for n, contact in enumerate(["0900000001", "0900000002"]):
        await site.hand_in(contact, f"Thí sinh {n}", f"Bài viết số {n}")
    tokens = {holder: token for token, holder in site.api.tokens.items()}
    judge = site.device()
    auth = {"Authorization": f"Bearer {tokens['judge:gk-1']}"}
    async with judge.get("/quiz/api/essays", headers=auth) as response:
        essays = await response.json()
    assert [c["id"] for c in essays["criteria"]] == ["content", "practice", "writing"]
    assert len(essays["essays"]) == 2 and "Thí sinh" not in json.dumps(essays)  # blind
    code = essays["essays"][0]["essay"]
    marks = {"content": "18", "practice": "15.5", "writing": "8"}
    async with judge.post("/quiz/api/marks", json={"essay": code, "marks": marks}, headers=auth) as response:
        assert (await response.json())["ok"]
    bad = {"essay": code, "marks": {**marks, "writing": "12"}}
    async with judge.post("/quiz/api/marks", json=bad, headers=auth) as response:
        refusal = await response.json()
    assert response.status == 409 and refusal["error"]["key"] == "quiz.mark_out_of_range"
    _, board = await site.call(judge, "board")
    marked = [s for s in board["standings"] if s["essay"] is not None]
    assert len(marked) == 1 and marked[0]["essay"] == "41.50"
    assert Decimal(marked[0]["total"]) == Decimal(marked[0]["points"]) + Decimal("41.50")
