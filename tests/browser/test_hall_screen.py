"""The hall screen (/screen) in headless Chromium, on a projector's 16:9 and on LED walls.

The Tây Ninh launch quiz is played by the producer's commands while twenty phones answer through
the real /audience namespace; at each moment (before the show, during a vote, after it, the answer
and winners, the results) every screen shape must show what the public view says, with the QR code,
and nothing may leave the viewport or overflow its box. A team show (Quảng Nam) shows its scores
between rounds. Screenshots: artifacts/screenshots/screen-*.png.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.async_api import TimeoutError as PlaywrightTimeout

from server.app import Settings, create_app
from server.core import commands as c
from server.i18n import strings
from tests.browser.conftest import Studio, screenshot
from tests.transport.phones import RawPhone, phone_session

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = ROOT / "show_configs" / "tay-ninh-launch.yaml"
VI = strings("vi")
# (query, viewport): a projector, an LED ribbon at its pixels, a small 3:1 wall by its aspect.
SCREENS = {
    "1920x1080": ("", (1920, 1080)),
    "3840x1080": ("?w=3840&h=1080", (3840, 1080)),
    "1536x512": ("?aspect=3:1", (1536, 512)),
}
WAIT = 10_000  # ms for a page to show what the server says

# Problems a viewer would see: an element outside the viewport or outside its own section, a text
# box whose text overflows it. Empty when the picture is right.
PROBLEMS = """() => {
  const out = [];
  const W = innerWidth, H = innerHeight;
  const shown = (n) => n.getClientRects().length && getComputedStyle(n).visibility !== "hidden";
  const name = (n) => n.id || String(n.className.baseVal ?? n.className) || n.tagName;
  for (const section of document.querySelectorAll("#stage > section, #stage > header")) {
    if (!shown(section)) continue;
    const box = section.getBoundingClientRect();
    const off = box.left < -0.5 || box.top < -0.5 || box.right > W + 0.5 || box.bottom > H + 0.5;
    if (off) out.push(`${name(section)} leaves the screen`);
    for (const n of section.querySelectorAll("*")) {
      if (!shown(n)) continue;
      const r = n.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      const outside = r.left < box.left - 0.5 || r.right > box.right + 0.5
        || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5;
      if (outside) out.push(`${name(n)} sticks out of ${name(section)}`);
    }
  }
  for (const n of document.querySelectorAll(".fit")) {
    if (!shown(n) || !n.textContent.trim()) continue;
    if (n.scrollWidth > n.clientWidth + 1 || n.scrollHeight > n.clientHeight + 1) {
      out.push(`'${n.textContent.trim().slice(0, 30)}' overflows its box`);
    }
  }
  const page = document.scrollingElement;
  if (page.scrollHeight > H + 1 || page.scrollWidth > W + 1) out.push("the page scrolls");
  return out;
}"""


@pytest.fixture
async def hall(aiohttp_server, browser, tmp_path: Path) -> AsyncIterator[Studio]:
    config = tmp_path / "tay-ninh-launch.yaml"
    shutil.copy(LAUNCH, config)
    app = create_app(Settings(config_path=config, db_path=tmp_path / "launch.db"))
    server = await aiohttp_server(app, host="127.0.0.1")
    yield Studio(server, app, browser)


async def open_screens(studio: Studio, path: str = "/screen") -> dict[str, object]:
    pages = {}
    for name, (query, (width, height)) in SCREENS.items():
        context = await studio.browser.new_context(viewport={"width": width, "height": height})
        page = await context.new_page()
        page.errors = []
        page.on("pageerror", lambda exc, errors=page.errors: errors.append(str(exc)))
        await page.goto(f"{studio.url}{path}{query}")
        await page.wait_for_selector("body[data-status=live]")
        pages[name] = page
    return pages


async def settled(page, name: str, shot: str) -> None:
    """Wait until the page draws with no problem (text fitted, bars grown), then take its screenshot."""
    try:
        await page.wait_for_function(f"({PROBLEMS})().length === 0", timeout=WAIT, polling=50)
    except PlaywrightTimeout:
        problems = await page.evaluate(PROBLEMS)
        await screenshot(page, f"screen-{shot}-{name}-FAILED")
        raise AssertionError(f"{shot} at {name}: {problems}") from None
    await page.evaluate("() => document.fonts.ready")
    assert page.errors == []
    await screenshot(page, f"screen-{shot}-{name}")


async def visible_text(page, selector: str) -> str:
    node = page.locator(selector)
    assert await node.is_visible(), selector
    return (await node.text_content() or "").strip()


async def qr_shown(page) -> None:
    assert await page.locator("#join-qr").is_visible()
    assert await page.evaluate("() => document.getElementById('join-qr').naturalWidth > 0")
    assert (await visible_text(page, "#join-url")).endswith("/a")


async def test_the_hall_screen_through_a_launch_quiz(hall: Studio) -> None:
    pages = await open_screens(hall)
    for name, page in pages.items():
        await page.wait_for_selector("body[data-mode=idle]")
        assert await visible_text(page, "#card-title") == "Tuổi trẻ Tây Ninh tiên phong chuyển đổi số"
        assert await visible_text(page, "#card-segment") == VI["screen.soon"]
        await qr_shown(page)
        await settled(page, name, "setup")

    hall.service.submit(c.StartShow())
    hall.service.submit(c.GotoSegment(index=1))
    hall.service.submit(c.ShowQuestion())
    hall.service.submit(c.OpenAnswers())
    hall.service.submit(c.AddTime(ms=120_000))  # a slow machine must not see the vote close by itself
    async with phone_session() as http:
        phones = [await RawPhone(http, hall.url, f"hall-phone-{n:04d}").connect() for n in range(20)]
        # The longest nickname votes first, right: always a winner, on every screen shape.
        names = ["Nguyễn Hoàng Phương Thảo Nguyên", "Minh Anh", "Thảo Vy", "Gia Bảo", "Quốc Huy"]
        votes = [
            p.call("vote", {"option": "BBBACBD"[n % 7], "nickname": f"{names[n % 5]} {n}"})
            for n, p in enumerate(phones)
        ]
        assert (await votes[0])["ok"]
        assert all(ack["ok"] for ack in await asyncio.gather(*votes[1:]))
        for phone in phones:
            await phone.close()

    for name, page in pages.items():
        await page.wait_for_selector("body[data-mode=question]")
        await page.wait_for_function("() => document.getElementById('count-number').textContent === '20'", timeout=WAIT)
        assert await visible_text(page, "#question-text") == "Ngày Chuyển đổi số quốc gia hằng năm là ngày nào?"
        assert await page.locator(".choice").count() == 4
        assert await visible_text(page, ".choice:nth-child(2) .choice-text") == "Ngày 10 tháng 10"
        assert int(await visible_text(page, "#timer-number")) > 100
        assert await visible_text(page, "#prompt") == VI["screen.answer_now"]
        assert not await page.locator(".choice-count").first.is_visible()  # no tally while the vote is open
        await qr_shown(page)
        await settled(page, name, "vote")

    hall.service.submit(c.CloseAnswers())
    tally = hall.service.views["public"][1]["question"]["tally"]["counts"]
    for name, page in pages.items():
        await page.wait_for_selector("body[data-mode=closed]")
        for letter in "ABCD":
            count = page.locator(f".choice[data-key={letter}] .choice-count")
            assert await count.is_visible()
            assert await count.inner_text() == str(tally.get(letter, 0))
        assert await visible_text(page, "#prompt") == VI["screen.times_up"]
        await qr_shown(page)
        await settled(page, name, "tally")

    hall.service.submit(c.RevealAnswer())
    winners = [w["nickname"] for w in hall.service.views["public"][1]["question"]["winners"]]
    assert len(winners) == 3
    for name, page in pages.items():
        await page.wait_for_selector("body[data-mode=revealed]")
        assert await page.locator(".choice.correct").count() == 1
        assert await page.locator(".choice.correct").get_attribute("data-key") == "B"
        assert await visible_text(page, "#winners-title") == VI["screen.winners"]
        assert [n.strip() for n in await page.locator(".winner-name").all_inner_texts()] == winners
        await qr_shown(page)
        await settled(page, name, "winners")

    hall.service.submit(c.EndShow())
    for name, page in pages.items():
        await page.wait_for_selector("body[data-mode=ended]")
        assert await visible_text(page, "#results-title") == VI["screen.all_winners"]
        assert await visible_text(page, ".result-q") == VI["screen.question_n"].format(n=1)
        assert (await visible_text(page, ".result-names")).split("\n") == winners
        await settled(page, name, "results")


async def test_the_hall_screen_shows_a_team_shows_scores(studio: Studio) -> None:
    studio.service.submit(c.StartShow())
    studio.service.submit(c.AdjustScore(team="dien-ban", points=Decimal("12.5"), reason="thử"))
    page = await studio.open("/screen?lang=en")
    await page.set_viewport_size({"width": 1920, "height": 1080})
    await page.wait_for_selector("body[data-mode=board]")
    assert await page.locator(".row").count() == 3
    first = page.locator(".row.first")
    assert await first.count() == 1 and "Điện Bàn" in await first.locator(".row-name").inner_text()
    decimals = studio.service.views["public"][1]["show"].get("decimals", 0)
    assert await first.locator(".row-points").text_content() == f"{12.5:.{decimals}f}"  # English, fixed decimals
    assert await visible_text(page, "#board-title") == strings("en")["screen.scores"]
    await qr_shown(page)
    page.errors = []
    await settled(page, "1920x1080", "team-show-board")
    studio.service.submit(c.EndShow())
    await page.wait_for_selector("body[data-mode=ended]")
    assert await page.locator("#results-teams .row").count() == 3
    await settled(page, "1920x1080", "team-show-results")
