"""The initiatives stage over HTTP, against the real server on loopback: a unit submits with pictures and
a PDF, the organizers approve, verified phones vote once each, the judges score, the ranking weighs both;
files are checked for what they claim to be, and every bad request is refused with what is wrong."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from server.app import create_stage_app
from server.online.otp import ConsoleSender, Sessions
from server.transport.initiatives_api import INITIATIVES
from tests.online.conftest import ROOT

FILE = ROOT / "show_configs" / "ung-hoa-2025.initiatives.yaml"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"x" * 64


class Gallery:
    def __init__(self, server, sender: ConsoleSender) -> None:
        self.server, self.sender = server, sender
        self.url = f"http://127.0.0.1:{server.port}"
        self.sessions: list[aiohttp.ClientSession] = []

    @property
    def api(self):
        return self.server.app[INITIATIVES]

    def token(self, holder: str) -> dict[str, str]:
        return {"Authorization": "Bearer " + next(t for t, h in self.api.tokens.items() if h == holder)}

    async def phone(self, contact: str) -> aiohttp.ClientSession:
        """A verified phone: its own cookies."""
        session = aiohttp.ClientSession(self.url, cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.sessions.append(session)
        async with session.post("/initiatives/api/code", json={"contact": contact}) as response:
            assert (await response.json())["ok"]
        code = self.sender.sent[contact]
        async with session.post("/initiatives/api/verify", json={"contact": contact, "code": code}) as response:
            assert (await response.json())["ok"]
        return session


@pytest.fixture
async def gallery(aiohttp_server, tmp_path) -> AsyncIterator[Gallery]:
    sender = ConsoleSender()
    app = create_stage_app(FILE, tmp_path / "stages.db", sender=sender, rehearsal=True)
    site = Gallery(await aiohttp_server(app, host="127.0.0.1"), sender)
    yield site
    for session in site.sessions:
        await session.close()


def form(title: str, unit: str = "Xã Hòa Xá", images: tuple[bytes, ...] = (PNG,), document: bytes | None = PDF):
    data = aiohttp.FormData()
    data.add_field("unit", unit)
    data.add_field("title", title)
    data.add_field("summary", f"{title}: người dân làm thủ tục trên VNeID, cán bộ hướng dẫn tại nhà văn hóa thôn.")
    data.add_field("video", "https://www.youtube.com/watch?v=abc")
    for n, image in enumerate(images):
        data.add_field("image", image, filename=f"anh-{n}.png", content_type="image/png")
    if document is not None:
        data.add_field("document", document, filename="mo-ta.pdf", content_type="application/pdf")
    return data


async def test_submitted_approved_voted_scored_and_ranked(gallery: Gallery) -> None:
    unit = await gallery.phone("0912000001")
    ids = []
    for title in ("Tổ công nghệ số cộng đồng", "Chợ 4.0 không tiền mặt"):
        async with unit.post("/initiatives/api/submit", data=form(title)) as response:
            answer = await response.json()
        assert answer["ok"] and answer["initiative"]["status"] == "pending", answer
        ids.append(answer["initiative"]["id"])
    async with unit.get(answer["initiative"]["images"][0]) as response:
        assert response.status == 200 and await response.read() == PNG
    async with unit.get("/initiatives/api/gallery") as response:
        assert (await response.json())["initiatives"] == []  # nothing before the organizers approve

    organizer = aiohttp.ClientSession(gallery.url, headers=gallery.token("organizer"))
    gallery.sessions.append(organizer)
    for initiative in ids:
        async with organizer.post("/initiatives/api/review", json={"initiative": initiative, "approved": True}) as r:
            assert (await r.json())["ok"]

    for n in range(3):
        phone = await gallery.phone(f"093000000{n}")
        async with phone.post("/initiatives/api/vote", json={"initiative": ids[1]}) as response:
            assert (await response.json())["ok"]
        if n == 0:
            async with phone.post("/initiatives/api/vote", json={"initiative": ids[1]}) as response:
                again = await response.json()
            assert response.status == 409 and again["error"]["key"] == "initiative.already_voted"
            async with phone.post("/initiatives/api/vote", json={"initiative": ids[0]}) as response:
                assert (await response.json())["ok"]  # one vote per initiative, not one in all
    async with unit.get("/initiatives/api/gallery") as response:
        shown = {i["id"]: i for i in (await response.json())["initiatives"]}
    assert (shown[ids[0]]["votes"], shown[ids[0]]["share"]) == (1, 25.0)
    assert (shown[ids[1]]["votes"], shown[ids[1]]["share"]) == (3, 75.0)
    assert "contact" not in str(shown)

    judge = aiohttp.ClientSession(gallery.url, headers=gallery.token("judge:gk-1"))
    gallery.sessions.append(judge)
    marks = {ids[0]: {"impact": 40, "novelty": 30, "scale": 30}, ids[1]: {"impact": 20, "novelty": 10, "scale": 10}}
    for initiative, given in marks.items():
        async with judge.post("/initiatives/api/scores", json={"initiative": initiative, "marks": given}) as response:
            assert (await response.json())["ok"]
    async with unit.get("/initiatives/api/ranking") as response:
        ranking = (await response.json())["ranking"]
    # first: 0.7 x 100 + 0.3 x 33.33 = 80.00; second: 0.7 x 40 + 0.3 x 100 = 58.00
    assert [(r["initiative"], r["score"]) for r in ranking] == [(ids[0], "80.00"), (ids[1], "58.00")]


@pytest.mark.parametrize(
    ("images", "document", "key"),
    [
        ((b"GIF89a" + b"\x00" * 10,), None, "initiative.not_an_image"),
        ((PNG,), b"<html>not a pdf</html>", "initiative.not_a_pdf"),
        ((PNG,) * 6, None, "initiative.too_many_images"),
    ],
)
async def test_files_are_what_they_claim_or_the_submission_is_refused(gallery: Gallery, images, document, key) -> None:
    unit = await gallery.phone("0912000002")
    async with unit.post("/initiatives/api/submit", data=form("Mô hình", images=images, document=document)) as response:
        answer = await response.json()
    assert response.status in (400, 409) and answer["error"]["key"] == key, answer
    assert gallery.api.book.initiatives == {}


@pytest.mark.parametrize(
    ("path", "body", "status", "key"),
    [
        ("vote", {"initiative": "m001"}, 401, "quiz.signed_out"),
        ("submit", None, 401, "quiz.signed_out"),
        ("review", {"initiative": "m001", "approved": True}, 401, "quiz.wrong_token"),
        ("scores", {"initiative": "m001", "marks": {}}, 401, "quiz.wrong_token"),
        ("code", {"contact": "nope"}, 400, "quiz.contact_invalid"),
        ("code", {"contact": "0912000003", "extra": 1}, 400, "wire.unknown_field"),
    ],
)
async def test_bad_requests_are_refused_with_what_is_wrong(gallery: Gallery, path, body, status, key) -> None:
    session = aiohttp.ClientSession(gallery.url)
    gallery.sessions.append(session)
    async with session.post(f"/initiatives/api/{path}", json=body) as response:
        answer = await response.json()
    assert (response.status, answer["error"]["key"]) == (status, key), answer


async def test_a_file_name_that_is_not_ours_is_never_a_path(gallery: Gallery) -> None:
    session = aiohttp.ClientSession(gallery.url)
    gallery.sessions.append(session)
    for name in ("..%2F..%2Fstages.db", "stages.db", "x" * 50 + ".png"):
        async with session.get(f"/initiatives/api/files/{name}") as response:
            assert response.status == 404, name


def test_a_session_reads_back_its_subject_and_nothing_forged() -> None:
    sessions = Sessions(b"the database's key")
    assert sessions.subject(sessions.token("ten.nguoi@email.vn")) == "ten.nguoi@email.vn"  # dots in an email
    assert sessions.subject(sessions.token("e00001")) == "e00001"
    forged = sessions.token("e00001").replace("e00001", "e00002")
    assert sessions.subject(forged) is None and sessions.subject("") is None and sessions.subject(None) is None
