"""The online quiz's pages in Chromium, on a phone (390x844) and a laptop (1366x768): register with a
code, take the quiz, reload and carry on, time up, the result; the hall's leaderboard; the judges'
marking. Each page stays under 200 KB on first load, in Vietnamese and in English."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from msgspec.structs import replace

from server.app import create_stage_app
from server.online.otp import ConsoleSender
from server.transport.quiz_api import QUIZ
from tests.browser.conftest import screenshot
from tests.online.conftest import QUIZ_FILE

SIZES = {"phone": (390, 844), "laptop": (1366, 768)}
FIRST_LOAD_MOST = 200 * 1024


class QuizSite:
    def __init__(self, server, sender: ConsoleSender, browser) -> None:
        self.server, self.sender, self.browser = server, sender, browser
        self.url = f"http://127.0.0.1:{server.port}"

    @property
    def api(self):
        return self.server.app[QUIZ]

    async def open(self, path: str, size: str, context=None):
        width, height = SIZES[size]
        if context is None:
            context = await self.browser.new_context(viewport={"width": width, "height": height})
        page = await context.new_page()
        page.errors = []
        page.bytes = 0
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.on("console", lambda msg: page.errors.append(msg.text) if "Content Security Policy" in msg.text else None)

        async def count(response) -> None:
            try:
                page.bytes += len(await response.body())
            except Exception:  # a redirect has no body
                pass

        page.on("response", count)
        await page.goto(self.url + path)
        return page


@pytest.fixture
async def quiz_site(aiohttp_server, tmp_path, browser) -> AsyncIterator[QuizSite]:
    sender = ConsoleSender()
    app = create_stage_app(QUIZ_FILE, tmp_path / "quiz.db", sender=sender, rehearsal=True)
    server = await aiohttp_server(app, host="127.0.0.1")
    yield QuizSite(server, sender, browser)


async def register(site: QuizSite, page, contact: str, name: str, unit: str = "Xã Hòa Xá") -> None:
    await page.wait_for_selector("#register:not([hidden])")
    await page.fill("#name", name)
    await page.select_option("#unit", unit)
    await page.fill("#contact", contact)
    await page.check("#consent")
    await page.click("#ask-button")
    await page.wait_for_selector("#code:not([hidden])")
    await page.fill("#code-input", site.sender.sent[contact])
    await page.click("#verify button[type=submit]")
    await page.wait_for_selector("#ready:not([hidden])")


async def start_and_answer(page, count: int) -> None:
    """Start the attempt and answer the first ``count`` questions, each saved before the next."""
    await page.click("#start")
    await page.wait_for_selector("#attempt:not([hidden])")
    for n in range(count):
        await page.click(f"#choices .choice >> nth={n % 4}")
        await page.wait_for_selector("#saved:has-text('Đã lưu')")
        await page.click("#next")


@pytest.mark.parametrize("size", ["phone", "laptop"])
async def test_an_entrant_registers_answers_reloads_carries_on_and_hands_in(quiz_site: QuizSite, size: str) -> None:
    page = await quiz_site.open("/quiz/", size)
    assert page.bytes < FIRST_LOAD_MOST, page.bytes
    await screenshot(page, f"quiz-register-{size}")
    await page.fill("#contact", "12345")
    await page.click("#ask-button")
    await page.wait_for_selector("#ask-error:has-text('10 số')")  # said in Vietnamese, what is wrong
    await register(quiz_site, page, "0912345678", "Nguyễn Thị Hoài Thương")
    assert "Nguyễn Thị Hoài Thương" in await page.text_content("#hello")
    await start_and_answer(page, 3)
    await screenshot(page, f"quiz-attempt-{size}")
    entrant = next(iter(quiz_site.api.book.attempts))
    assert [a is not None for a in quiz_site.api.book.attempts[entrant].answers[:4]] == [True, True, True, False]

    await page.reload()  # a reload (or another device) shows the attempt as saved
    await page.wait_for_selector("#attempt:not([hidden])")
    assert await page.eval_on_selector_all("#grid .answered", "nodes => nodes.length") == 3
    await page.click("#grid button >> nth=20")  # the essay
    await page.fill("#essay-text", "Mỗi thôn có một tổ công nghệ số cộng đồng hướng dẫn người dân dùng VNeID.")
    await page.wait_for_selector("#saved:has-text('Đã lưu')")
    assert quiz_site.api.book.attempts[entrant].essay.startswith("Mỗi thôn")
    page.once("dialog", lambda dialog: dialog.accept())
    await page.click("#submit")
    await page.wait_for_selector("#done:not([hidden])")
    assert "/20 câu đúng" in await page.text_content("#done-correct")
    await screenshot(page, f"quiz-result-{size}")
    assert page.errors == []


async def test_time_up_hands_the_attempt_in_and_the_page_says_so(quiz_site: QuizSite) -> None:
    service = quiz_site.api.service
    service.config = service.book.config = replace(service.config, duration=4000)  # a 4-second attempt
    page = await quiz_site.open("/quiz/?lang=en", "phone")
    await register(quiz_site, page, "an@example.vn", "Lê Văn An")
    await page.click("#start")
    await page.wait_for_selector("#attempt:not([hidden])")
    await page.click("#choices .choice >> nth=1")
    await page.wait_for_selector("#done:not([hidden])", timeout=15_000)
    assert await page.text_content("#done-title") == "Time is up — your attempt was handed in"
    await screenshot(page, "quiz-time-up-phone-en")
    attempt = next(iter(quiz_site.api.book.attempts.values()))
    assert attempt.timed_out and attempt.finished == attempt.deadline
    assert page.errors == []


async def test_the_hall_sees_the_leaders_and_the_judges_mark_blind(quiz_site: QuizSite) -> None:
    api = quiz_site.api
    for n, unit in enumerate(["Xã Hòa Xá", "Xã Viên An", "Xã Hòa Xá"]):
        entrant = await api.service.register(f"Thí sinh {n + 1}", unit, f"090000000{n}")
        await api.service.begin(entrant.id)
        for item in range(n + 2):
            await api.service.answer(entrant.id, item, 0)
        await api.service.write_essay(entrant.id, f"Bài viết của thí sinh số {n + 1}: chuyển đổi số ở xã.")
        await api.service.finish(entrant.id)
    board = await quiz_site.open("/quiz/board", "laptop")
    await board.wait_for_selector("#leaders tr >> nth=2")
    assert await board.text_content("#registered") == "3"
    assert "Xã Hòa Xá" in await board.text_content("#units")
    await screenshot(board, "quiz-board-laptop")
    assert board.errors == [] and board.bytes < FIRST_LOAD_MOST
    overlay = await quiz_site.open("/quiz/board?overlay", "laptop")  # an OBS browser source over the programme
    await overlay.wait_for_selector("#leaders tr >> nth=2")
    background = await overlay.evaluate("() => getComputedStyle(document.body).backgroundColor")
    head = await overlay.eval_on_selector(".head", "node => getComputedStyle(node).display")
    assert (background, head) == ("rgba(0, 0, 0, 0)", "none")
    await screenshot(overlay, "quiz-board-overlay-laptop")

    token = next(t for t, holder in api.tokens.items() if holder == "judge:gk-1")
    judge = await quiz_site.open(f"/quiz/judge?token={token}", "laptop")
    await judge.wait_for_selector("#essays article >> nth=2")
    assert "token" not in judge.url  # out of the address bar once read
    assert "Thí sinh" not in await judge.text_content("#essays")  # blind: codes, no names
    card = judge.locator("#essays article").first
    await card.locator("input[name=content]").fill("18")
    await card.locator("input[name=practice]").fill("15")
    await card.locator("input[name=writing]").fill("12")  # over 10
    await card.locator("button[type=submit]").click()
    await card.locator(".error:has-text('từ 0 đến 10')").wait_for()
    await card.locator("input[name=writing]").fill("8.5")
    await card.locator("button[type=submit]").click()
    await judge.wait_for_selector("#progress:has-text('1/3')")
    await screenshot(judge, "quiz-judge-laptop")
    assert sum(len(m) for m in api.book.marks.values()) == 1 and judge.errors == []
