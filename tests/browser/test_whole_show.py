"""A demo show played through the pages alone: the producer's clicks and keys, three team pads,
three judges' pads, a wrong award undone; the final scoreboard is the expected one."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from server.format import points as format_points
from tests.browser.conftest import Studio, screenshot


async def until(predicate, timeout: float = 5) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


async def test_whole_demo_show_through_the_pages(studio: Studio) -> None:
    service = studio.service
    config = service.config
    board = lambda: service.state.board  # noqa: E731
    producer = await studio.control()
    pads = {t.id: await studio.team(t.id, size="tablet") for t in config.teams}
    judges = [await studio.judge(j.id, size="phone") for j in config.judges]
    expected = {t: Decimal(0) for t in config.team_ids}
    gap = {"tam-ky": 0, "dien-ban": 1, "nam-tra-my": 2}  # marks below the maximum, per team

    await producer.click("#start-show")
    await until(lambda: board().phase.value == "live")

    # Two judged rounds: every judge scores every team on their pad; the producer reveals.
    for index in (0, 1):
        segment = config.rundown[index]
        if index:
            await producer.keyboard.press("PageDown")
            await until(lambda index=index: board().segment == index)
        for page in judges:
            for team in config.team_ids:
                card = page.locator(f'article.card[data-team="{team}"]')
                await card.wait_for()
                for criterion in segment.scoring.criteria:
                    value = str(int(criterion.max) - gap[team])
                    await card.locator(f'input[data-criterion="{criterion.id}"]').fill(value)
                await card.locator("button.submit").click()
        await until(lambda s=segment.id: sum(len(v) for v in board().judged.get(s).scores.values()) == 9)
        await producer.click("#reveal-all")
        await until(lambda s=segment.id: len(board().judged[s].revealed) == 3)
        for team in config.team_ids:
            expected[team] += sum(c.max - gap[team] for c in segment.scoring.criteria)
        assert board().scores == expected

    # The turns round: a wrong award undone with one keystroke, a wrong answer and a steal.
    await producer.keyboard.press("PageDown")
    await until(lambda: board().segment == 2)
    await producer.keyboard.press("n")
    await until(lambda: board().question is not None)
    await producer.keyboard.press("o")
    await until(lambda: board().question.phase.value == "open")
    await producer.wait_for_selector("#q-phase.open")  # keys act on what the page shows
    turn = board().question.turn
    await producer.keyboard.press("y")  # the wrong click...
    await until(lambda: board().scores[turn] == expected[turn] + 10)
    await producer.keyboard.press("Control+z")  # ...undone
    await until(lambda: board().scores[turn] == expected[turn])
    await producer.wait_for_selector("#q-phase.open")
    await producer.keyboard.press("x")
    await until(lambda: board().question.phase.value == "steal")
    stealer = next(t for t in config.team_ids if t != turn)
    await pads[stealer].wait_for_selector("#buzz-area[data-state=open]")
    await pads[stealer].locator("#buzz").click()
    await until(lambda: board().question.floor == stealer)
    await producer.wait_for_selector(f".teamrow.floor[data-team={stealer}]")
    await producer.keyboard.press("y")
    await until(lambda: board().question.phase.value == "closed")
    expected[stealer] += 5
    await producer.wait_for_selector("#q-phase.closed")
    await producer.keyboard.press("r")
    # The next question: the team on turn answers right.
    await producer.keyboard.press("n")
    await until(lambda: board().question.phase.value == "ready")
    await producer.wait_for_selector("#q-phase.ready")
    await producer.keyboard.press("o")
    await until(lambda: board().question.phase.value == "open")
    await producer.wait_for_selector("#q-phase.open")
    turn, value = board().question.turn, board().question.value
    await producer.keyboard.press("y")
    expected[turn] += value
    await until(lambda: board().scores == expected)
    await producer.wait_for_selector("#q-phase.closed")
    await producer.keyboard.press("r")

    # The speed round: every pad answers on its A-D buttons; ranked by the server's clock.
    await producer.keyboard.press("PageDown")
    await until(lambda: board().segment == 3)
    await producer.keyboard.press("n")
    await until(lambda: board().question is not None and board().segment == 3)
    question = config.questions[board().question.id]
    await producer.wait_for_selector("#q-phase.ready")
    await producer.keyboard.press("o")
    await until(lambda: board().question.phase.value == "open")
    wrong = next(letter for letter in question.options if letter != question.answer)
    for team, letter in (("dien-ban", question.answer), ("tam-ky", question.answer), ("nam-tra-my", wrong)):
        await pads[team].locator(f'button[data-letter="{letter}"]').click()
        await until(lambda team=team: team in board().question.answers)
    await producer.wait_for_selector("#q-phase.open")
    await producer.keyboard.press("c")
    await until(lambda: board().question.phase.value == "closed")
    await producer.wait_for_selector("#q-phase.closed")
    await producer.keyboard.press("r")
    expected["dien-ban"] += 40
    expected["tam-ky"] += 30
    await until(lambda: board().scores == expected)

    # The end: it asks first.
    await producer.click("#end-show")
    await producer.click("#dialog-ok")
    await until(lambda: board().phase.value == "ended")
    for team, points in expected.items():
        shown = producer.locator(f"#scoreboard li[data-team={team}] .pts")
        assert await shown.get_attribute("data-value") == f"{points.normalize():f}"
        shown_on_pad = format_points(points, service.config.decimals)  # "40,00": the show's fixed decimals
        assert (await shown.text_content()).strip() == shown_on_pad  # written the same way on every page
        await pads[team].wait_for_function(f"document.querySelector('#score').textContent == '{shown_on_pad}'")
    await screenshot(producer, "whole-show-end-controller")
    await screenshot(pads["tam-ky"], "whole-show-end-team")
    for page in [producer, *pads.values(), *judges]:
        assert page.errors == [], page.errors
