"""Every page of the online stages at 390x844 (a phone) and 1366x768 (a laptop), with content in it:
nothing wider than the window (no sideways scrolling, nothing cut off), first load under 200 KB, no error."""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.app import create_stage_app
from server.online.otp import ConsoleSender
from server.transport.initiatives_api import INITIATIVES
from tests.browser.conftest import screenshot
from tests.browser.test_initiatives_pages import FILE as INITIATIVES_FILE
from tests.browser.test_quiz_pages import FIRST_LOAD_MOST, QuizSite
from tests.online.conftest import QUIZ_FILE

# Elements that reach past the window's edges or whose text is squeezed, and the page's own width beyond it.
WIDER = """() => {
  const W = document.documentElement.clientWidth, wide = document.documentElement.scrollWidth;
  const faults = [];
  if (wide > W + 1) faults.push(`the page is ${wide}px wide in ${W}`);
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("[hidden], details:not([open]) > :not(summary)") || !el.getClientRects().length) continue;
    const r = el.getBoundingClientRect();
    const name = `${el.tagName.toLowerCase()}#${el.id}.${el.className}`;
    // Its own text in a column a word or two wide: a title squeezed by what sits beside it.
    const own = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent.trim());
    if (own.join(" ").length > 20 && r.width < 90) faults.push(`${name}: text squeezed into ${Math.round(r.width)}px`);
    if (r.right > W + 1 || r.left < -1) faults.push(`${name}: ${Math.round(r.left)}–${Math.round(r.right)}`);
  }
  return faults.slice(0, 8);
}"""


async def fits(page, name: str) -> None:
    await page.wait_for_load_state("networkidle")
    assert await page.evaluate(WIDER) == [], name
    assert page.bytes < FIRST_LOAD_MOST, (name, page.bytes)
    assert page.errors == [], (name, page.errors)
    await screenshot(page, name)


@pytest.mark.parametrize("size", ["phone", "laptop"])
async def test_the_quiz_pages_fit(aiohttp_server, tmp_path, browser, size: str) -> None:
    sender = ConsoleSender()
    site = QuizSite(
        await aiohttp_server(create_stage_app(QUIZ_FILE, tmp_path / "q.db", sender=sender, rehearsal=True)),
        sender,
        browser,
    )
    service = site.api.service
    for n, unit in enumerate(["Xã Quảng Phú Cầu", "Xã Tảo Dương Văn", "Thị trấn Vân Đình"]):
        entrant = await service.register(f"Nguyễn Thị Phương Thảo {n + 1}", unit, f"090000000{n}")
        await service.begin(entrant.id)
        await service.answer(entrant.id, 0, 1)
        await service.write_essay(entrant.id, "Chuyển đổi số bắt đầu từ người dân: " + "dịch vụ công trực tuyến " * 40)
        await service.finish(entrant.id)
    register = await site.open("/quiz/", size)
    await register.wait_for_selector("#register:not([hidden])")
    await fits(register, f"online-quiz-register-{size}")
    board = await site.open("/quiz/board", size)
    await board.wait_for_selector("#leaders tr >> nth=2")
    await fits(board, f"online-quiz-board-{size}")
    token = next(t for t, holder in site.api.tokens.items() if holder == "judge:gk-1")
    judge = await site.open(f"/quiz/judge?token={token}", size)
    await judge.wait_for_selector("#essays article >> nth=2")
    await fits(judge, f"online-quiz-judge-{size}")


@pytest.mark.parametrize("size", ["phone", "laptop"])
async def test_the_initiatives_pages_fit(aiohttp_server, tmp_path, browser, size: str) -> None:
    sender = ConsoleSender()
    app = create_stage_app(INITIATIVES_FILE, tmp_path / "i.db", sender=sender, rehearsal=True)
    site = QuizSite(await aiohttp_server(app), sender, browser)
    api = site.server.app[INITIATIVES]
    service = api.service
    long = "Ứng dụng bản đồ số quản lý hạ tầng, đất đai và dịch vụ công của xã, cập nhật hằng ngày"
    for n, unit in enumerate(["Văn phòng HĐND và UBND huyện", "Xã Tảo Dương Văn", "Xã Quảng Phú Cầu"]):
        initiative = await service.submit(unit, f"{long} ({n + 1})", "Tóm tắt: " + "số hóa hồ sơ " * 30, f"0912{n:06d}")
        await service.review(initiative.id, True)
        await service.vote(initiative.id, f"0988{n:06d}")
        marks = {"impact": Decimal(30 + n), "novelty": Decimal(20), "scale": Decimal(20)}
        await service.score("gk-2", initiative.id, marks)
    gallery = await site.open("/initiatives/", size)
    await gallery.wait_for_selector("#cards article >> nth=2")
    await fits(gallery, f"online-initiatives-gallery-{size}")
    for holder in ("organizer", "judge:gk-1"):
        token = next(t for t, h in api.tokens.items() if h == holder)
        desk = await site.open(f"/initiatives/desk?token={token}", size)
        await desk.wait_for_selector("#list article >> nth=2")
        await fits(desk, f"online-initiatives-desk-{holder.split(':')[0]}-{size}")
