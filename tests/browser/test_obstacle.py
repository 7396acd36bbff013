"""The obstacle round ("Vượt chướng ngại vật") of the olympia-style show, played through the pages.

Three team pads answer the rows and buzz for the keyword, the producer judges from the controller's
buttons (enabled by ``can``), and the question overlay, at 1920×1080 in real Chromium, shows the board:
the rows' boxes, the tiles over the picture, the team that is out, the keyword found.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from playwright.async_api import expect

from server.core import commands as c
from tests.browser.conftest import Studio, screenshot

FAST = 5000
OBSTACLE = 4  # the segment's index in show_configs/olympia-style.yaml


async def until(predicate, timeout: float = 5) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


async def settled(page) -> None:
    """Wait until no transition runs (a tile fading out, the layer coming in): a screenshot shows the end state."""
    await page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")


async def answer(pad, text: str) -> None:
    await expect(pad.locator("#free-send")).to_be_enabled(timeout=FAST)
    await pad.locator("#free-text").fill(text)
    await pad.locator("#free-send").click()


async def test_the_obstacle_round_through_the_pads_the_controller_and_the_overlay(olympia: Studio) -> None:
    studio = olympia
    board = lambda: studio.service.state.board  # noqa: E731
    teams = ("nbk", "ltt", "tcv")
    producer = await studio.control()
    pads = {team: await studio.team(team, "tablet") for team in teams}
    wide = await studio.browser.new_context(viewport={"width": 1920, "height": 1080})
    overlay = await studio.open("/overlay/question?always=1", context=wide)

    studio.run(c.StartShow(), c.GotoSegment(index=OBSTACLE))
    card = overlay.locator(".layer-question[data-on='1'] .obstacle-card")
    await expect(card).to_be_visible(timeout=FAST)
    await expect(overlay.locator(".question-card")).to_be_hidden()
    await expect(card.locator(".obstacle-row")).to_have_count(4)
    boxes = [await row.locator(".obstacle-box").count() for row in await card.locator(".obstacle-row").all()]
    assert boxes == [10, 6, 6, 9]
    await expect(card.locator(".obstacle-keyword .obstacle-box")).to_have_count(11)
    await expect(card.locator(".obstacle-tiles .obstacle-tile.open")).to_have_count(0)
    await overlay.wait_for_function("() => document.querySelector('.obstacle-image').complete")
    await settled(overlay)
    await screenshot(overlay, "obstacle-overlay-start")

    # Row 1: every pad answers; two are right as typed, the producer marks the third wrong and reveals.
    await producer.locator("#show-next").click()
    await until(lambda: board().question is not None and board().question.id == "vcnv-01")
    await producer.locator("#open").click()
    await until(lambda: board().question.phase.value == "open")
    await answer(pads["nbk"], "Dịch vụ công")
    await answer(pads["ltt"], "dịch vụ  công")
    await answer(pads["tcv"], "Cổng dịch vụ")
    await until(lambda: len(board().question.answers) == 3)
    studio.run(c.CloseAnswers())  # (or the clock runs out: either way answers close)
    await until(lambda: board().question.phase.value == "closed")
    await producer.locator('.teamrow[data-team="tcv"] button[data-correct="0"]').click()
    await until(lambda: board().question.answers["tcv"].correct is False)
    await expect(producer.locator("#reveal")).to_be_enabled(timeout=FAST)
    await producer.locator("#reveal").click()
    await until(lambda: board().scores.get("nbk") == Decimal(10) and board().scores.get("ltt") == Decimal(10))

    # Row 2: tcv buzzes for the keyword while the row is open and is judged wrong: it is out.
    await producer.locator("#show-next").click()
    await until(lambda: board().question.id == "vcnv-02")
    await producer.locator("#open").click()
    await until(lambda: board().question.phase.value == "open")
    await answer(pads["ltt"], "đám mây")
    await expect(pads["tcv"].locator("#buzz")).to_have_attribute("data-armed", "true", timeout=FAST)
    await pads["tcv"].locator("#buzz").click()
    await until(lambda: board().question.floor == "tcv")
    wrong = producer.locator('.teamrow[data-team="tcv"] button[data-correct="0"]')
    await expect(wrong).to_be_enabled(timeout=FAST)
    await wrong.click()
    await until(lambda: any(a.kind == "keyword" and a.team == "tcv" for a in board().awards))
    assert board().question.phase.value == "open"  # the row goes on for the others
    await expect(pads["tcv"].locator("#buzz")).to_have_attribute("data-armed", "false", timeout=FAST)
    await expect(pads["tcv"].locator("#free-send")).to_be_disabled()
    await expect(pads["nbk"].locator("#free-send")).to_be_enabled()
    await answer(pads["nbk"], "đám mây")
    await until(lambda: len(board().question.answers) == 2)
    studio.run(c.CloseAnswers())
    await until(lambda: board().question.phase.value == "closed")
    await expect(producer.locator("#reveal")).to_be_enabled(timeout=FAST)
    await producer.locator("#reveal").click()
    await until(lambda: board().question.phase.value == "revealed")
    await expect(card.locator(".obstacle-tiles .obstacle-tile.open")).to_have_count(2, timeout=FAST)
    await expect(card.locator(".obstacle-row[data-state='solved']")).to_have_count(2)
    await expect(card.locator(".obstacle-team[data-state='out']")).to_have_count(1)
    await expect(card.locator(".obstacle-team[data-state='out']")).to_contain_text("Đức Huy")
    await settled(overlay)
    await screenshot(overlay, "obstacle-overlay-two-rows-team-out")

    # Between rows, nbk buzzes and the producer judges the keyword right: 60 points after two rows, round over.
    await expect(pads["nbk"].locator("#buzz")).to_have_attribute("data-armed", "true", timeout=FAST)
    await pads["nbk"].locator("#buzz").click()
    await until(lambda: board().question.floor == "nbk")
    await expect(pads["ltt"].locator("#buzz-area")).to_have_attribute("data-state", "lost", timeout=FAST)
    await expect(pads["nbk"].locator("#buzz-area")).to_have_attribute("data-state", "won", timeout=FAST)
    right = producer.locator('.teamrow[data-team="nbk"] button[data-correct="1"]')
    await expect(right).to_be_enabled(timeout=FAST)
    await right.click()
    await until(lambda: board().scores.get("nbk") == Decimal(80))
    assert {t: board().scores.get(t, Decimal(0)) for t in teams} == {"nbk": 80, "ltt": 20, "tcv": 0}
    await expect(card.locator(".obstacle-tiles .obstacle-tile.open")).to_have_count(4, timeout=FAST)
    await expect(card.locator(".obstacle-tile.centre.open")).to_have_count(1)
    await expect(card.locator(".obstacle-keyword[data-state='solved'] .obstacle-box").first).to_have_text("C")
    await expect(card.locator(".chip.value")).to_be_hidden()  # nothing more to win
    await expect(card.locator(".obstacle-clue")).to_contain_text("Minh Khôi")
    await expect(producer.locator("#show-next")).to_be_disabled(timeout=FAST)  # nothing left to play: can says so
    for team in teams:
        await expect(pads[team].locator("#buzz")).to_have_attribute("data-armed", "false", timeout=FAST)
    await settled(overlay)
    await screenshot(overlay, "obstacle-overlay-keyword-found")
    await screenshot(pads["tcv"], "obstacle-pad-out-tablet")
    await screenshot(producer, "obstacle-control-desktop")
    for page in (producer, overlay, *pads.values()):
        assert page.errors == []


async def test_nobody_finds_the_keyword_and_the_overlay_reveals_it_in_english(olympia: Studio) -> None:
    studio = olympia
    board = lambda: studio.service.state.board  # noqa: E731
    wide = await studio.browser.new_context(viewport={"width": 1920, "height": 1080})
    overlay = await studio.open("/overlay/question?always=1&lang=en", context=wide)
    studio.run(c.StartShow(), c.GotoSegment(index=OBSTACLE))
    for _ in range(4):  # four rows nobody answers
        studio.run(c.ShowQuestion(), c.OpenAnswers(), c.CloseAnswers(), c.RevealAnswer())
    studio.run(c.ShowQuestion(), c.OpenAnswers())
    card = overlay.locator(".layer-question[data-on='1'] .obstacle-card")
    await expect(card.locator(".obstacle-tile.centre.open")).to_have_count(1, timeout=FAST)
    await expect(card.locator(".obstacle-tiles .obstacle-tile.open")).to_have_count(0)
    await expect(card.locator(".chip.value")).to_have_text("10 points")
    await expect(card.locator(".obstacle-keyword.on-air")).to_have_count(1)
    await expect(card.locator(".obstacle-clue")).to_contain_text("Ô trung tâm")
    await settled(overlay)
    await screenshot(overlay, "obstacle-overlay-final-clue-en")

    studio.run(c.CloseAnswers(), c.RevealAnswer())
    await until(lambda: board().question.phase.value == "revealed")
    keyword = card.locator(".obstacle-keyword[data-state='missed'] .obstacle-box")
    await expect(keyword.last).to_have_text("Ố", timeout=FAST)
    await expect(card.locator(".obstacle-tiles .obstacle-tile.open")).to_have_count(4)  # the picture opens
    await expect(card.locator(".chip.value")).to_be_hidden()
    assert all(points == 0 for points in board().scores.values())
    await settled(overlay)
    await screenshot(overlay, "obstacle-overlay-keyword-revealed-en")
    assert overlay.errors == []
