"""The initiatives' pages in Chromium: a unit submits from a phone (390x844), the organizers approve on a
laptop (1366x768), a verified phone votes and sees the count and share move, a judge scores, and the
ranking shows the finalists. Each page stays under 200 KB on first load."""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.app import create_stage_app
from server.online.otp import ConsoleSender
from server.transport.initiatives_api import INITIATIVES
from tests.browser.conftest import screenshot
from tests.browser.test_quiz_pages import FIRST_LOAD_MOST, QuizSite
from tests.online.conftest import ROOT

FILE = ROOT / "show_configs" / "ung-hoa-2025.initiatives.yaml"


@pytest.fixture
async def site(aiohttp_server, tmp_path, browser) -> AsyncIterator[QuizSite]:
    sender = ConsoleSender()
    app = create_stage_app(FILE, tmp_path / "stages.db", sender=sender, rehearsal=True)
    yield QuizSite(await aiohttp_server(app, host="127.0.0.1"), sender, browser)


async def sign_in(site: QuizSite, page, contact: str) -> None:
    await page.fill("#contact", contact)
    await page.click("#ask button[type=submit]")
    await page.wait_for_selector("#verify:not([hidden])")
    await page.fill("#code", site.sender.sent[contact])
    await page.click("#verify button[type=submit]")
    await page.wait_for_selector("#signed:not([hidden])")


def a_picture(folder: Path) -> Path:
    """A real PNG (a 160x90 band of the contest's colours), as a unit's photo would be."""
    rows = b"".join(b"\x00" + bytes((11, 95, 165) if y < 60 else (242, 183, 5)) * 160 for y in range(90))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 160, 90, 8, 2, 0, 0, 0)
    path = folder / "anh.png"
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    )
    return path


async def submit_on_page(unit, title: str, picture: Path, document: Path | None = None) -> None:
    """Xã Hòa Xá's initiative through the unit's form, a picture with it (and a document)."""
    await unit.click("#submit-box summary")
    await unit.select_option("#unit", "Xã Hòa Xá")
    await unit.fill("#submit [name=title]", title)
    await unit.fill("#submit [name=summary]", "Mỗi tối thứ Bảy, tổ hướng dẫn bà con cài VNeID và nộp hồ sơ trực tuyến.")
    await unit.set_input_files("#submit [name=image]", str(picture))
    if document is not None:
        await unit.set_input_files("#submit [name=document]", str(document))
    await unit.click("#submit button[type=submit]")
    await unit.wait_for_selector("#submitted:has-text('chờ ban tổ chức duyệt')")


async def test_submit_approve_vote_score_in_the_browser(site: QuizSite, tmp_path: Path) -> None:
    unit = await site.open("/initiatives/", "phone")
    assert unit.bytes < FIRST_LOAD_MOST, unit.bytes
    await sign_in(site, unit, "0912000001")
    pdf = tmp_path / "mo-ta.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%mo ta\n")
    await submit_on_page(unit, "Tổ công nghệ số cộng đồng thôn Hòa Xá", a_picture(tmp_path), pdf)
    await screenshot(unit, "initiatives-submitted-phone")

    api = site.server.app[INITIATIVES]
    organizer = next(t for t, h in api.tokens.items() if h == "organizer")
    desk = await site.open(f"/initiatives/desk?token={organizer}", "laptop")
    await desk.wait_for_selector("#list article")
    await desk.click("#list article button.primary")
    await desk.wait_for_selector("#list article .done-mark")
    assert "token" not in desk.url

    voter = await site.open("/initiatives/?lang=en", "phone")
    await voter.wait_for_selector("#cards article")
    await voter.click("#cards article button.primary")  # not signed in yet: asked to verify first
    await voter.wait_for_selector("#sign-error:has-text('Verify your phone or email first')")
    await sign_in(site, voter, "voter@example.vn")
    await voter.click("#cards article button.primary")
    await voter.wait_for_selector("#cards article .voted")
    assert "1 vote(s) · 100%" in (await voter.text_content("#cards article .tally")).replace("\xa0", " ")
    await screenshot(voter, "initiatives-gallery-phone-en")

    judge = next(t for t, h in api.tokens.items() if h == "judge:gk-1")
    scoring = await site.open(f"/initiatives/desk?token={judge}", "laptop")
    card = scoring.locator("#list article").first
    await card.locator("input[name=impact]").fill("35")
    await card.locator("input[name=novelty]").fill("25")
    await card.locator("input[name=scale]").fill("31")  # over 30
    await card.locator("button[type=submit]").click()
    await card.locator(".error:has-text('từ 0 đến 30')").wait_for()
    await card.locator("input[name=scale]").fill("28")
    await card.locator("button[type=submit]").click()
    await card.locator(".done-mark").wait_for()
    await scoring.wait_for_selector("#ranking tr.finalist td:has-text('91.60')")  # 0.7 x 88 + 0.3 x 100
    await screenshot(scoring, "initiatives-desk-laptop")
    for page in (unit, desk, voter, scoring):
        assert page.errors == [], page.errors
