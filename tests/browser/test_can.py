"""The controller and a team pad enable exactly what their view's ``can`` says, in real Chromium.

The producer's side goes straight through the service, as the controller would send it; each check
waits until the page shows the state the server's view says (no fixed sleeps).
"""

from __future__ import annotations

import json

from playwright.async_api import expect

from server.core import commands as c
from tests.browser.conftest import Studio, screenshot

FAST = 5000

# The controller's buttons and the key of ``can`` each one is enabled by.
BUTTONS = {
    "show-next": "show_question",
    "open": "open_answers",
    "close": "close_answers",
    "reveal": "reveal_answer",
    "reset": "reset_question",
    "timer-add": "add_time",
    "timer-reset": "reset_timer",
    "prev": "prev_segment",
    "next": "next_segment",
}


async def controller_follows_can(studio: Studio, page) -> dict[str, bool]:
    """Wait until every button is enabled exactly as the producer's ``can`` says; returns what it says."""
    can = studio.service.snapshot("producer")["view"]["can"]
    expected = {button: bool(can[key]) for button, key in BUTTONS.items()}
    await page.wait_for_function(
        """(expected) => Object.entries(expected).every(([id, on]) => !document.getElementById(id).disabled === on)""",
        arg=expected,
        timeout=FAST,
    )
    return expected


async def buzz_follows_can(studio: Studio, pads: dict[str, object]) -> dict[str, bool]:
    """Wait until each pad's buzzer is armed exactly when the public ``can.buzz`` holds its team."""
    can = studio.service.snapshot("team")["view"]["can"]
    armed = {team: team in can["buzz"] for team in pads}
    for team, page in pads.items():
        expected = json.dumps(armed[team])
        await expect(page.locator("#buzz")).to_have_attribute("data-armed", expected, timeout=FAST)
        if armed[team]:
            await expect(page.locator("#buzz-area")).to_have_attribute("data-state", "open")
    return armed


async def test_the_controller_enables_what_can_says(studio: Studio) -> None:
    page = await studio.control()
    await expect(page.locator("#start-show")).to_be_enabled()
    studio.run(c.StartShow())
    await expect(page.locator("#start-show")).to_be_hidden(timeout=FAST)
    # A judged segment: no question controls at all, the judges' panel instead.
    await expect(page.locator("#q-actions")).to_be_hidden(timeout=FAST)
    await expect(page.locator("#show-next")).to_be_hidden()
    await expect(page.locator("#round-panel table.judged")).to_be_visible()
    assert (await controller_follows_can(studio, page))["next"] is True
    await screenshot(page, "can-control-judged-desktop")

    # The turns round: each step of a question enables the next one, and only it.
    studio.run(c.GotoSegment(index=2))
    await expect(page.locator("#q-actions")).to_be_visible(timeout=FAST)
    await controller_follows_can(studio, page)
    for step in (c.ShowQuestion(), c.OpenAnswers()):
        studio.run(step)
        await controller_follows_can(studio, page)
    studio.run(c.JudgeAnswer(team=studio.service.state.board.question.turn, correct=False))
    await controller_follows_can(studio, page)
    # Wrong on turn: the steal is open; judging waits for a team to buzz.
    view = studio.service.snapshot("producer")["view"]
    assert view["question"]["phase"] == "steal" and view["can"]["judge"] == []
    rows = page.locator("#round-panel .teamrow button[data-judge]")
    await expect(rows.first).to_be_disabled()
    await screenshot(page, "can-control-steal-desktop")
    assert page.errors == []


async def test_a_team_pad_buzzes_exactly_when_can_says(olympia: Studio) -> None:
    studio = olympia
    teams = ["nbk", "ltt", "tcv"]
    pads = {team: await studio.team(team, "tablet") for team in teams}
    studio.run(c.StartShow(), c.GotoSegment(index=1), c.ShowQuestion())
    for page in pads.values():
        await expect(page.locator("#buzz-area")).to_be_visible(timeout=FAST)
    assert not any((await buzz_follows_can(studio, pads)).values())  # not open yet

    studio.run(c.OpenAnswers())
    assert all((await buzz_follows_can(studio, pads)).values())
    await screenshot(pads["nbk"], "can-team-buzz-open-tablet")

    # A buzz takes the floor: nobody else may buzz; wrong, and the others may again, not the one locked out.
    await pads["ltt"].locator("#buzz").click()
    await expect(pads["ltt"].locator("#buzz-area")).to_have_attribute("data-state", "won", timeout=FAST)
    assert not any((await buzz_follows_can(studio, pads)).values())
    studio.run(c.JudgeAnswer(team="ltt", correct=False))
    armed = await buzz_follows_can(studio, pads)
    assert armed == {"nbk": True, "ltt": False, "tcv": True}
    await expect(pads["ltt"].locator("#buzz-area")).to_have_attribute("data-state", "locked")
    await screenshot(pads["ltt"], "can-team-buzz-locked-tablet")

    # The countdown runs out: the pads close with it, and the server's expiry agrees.
    await expect(pads["nbk"].locator("#buzz")).to_have_attribute("data-armed", "false", timeout=8000)
    await expect(pads["nbk"].locator("#buzz-area")).to_have_attribute("data-state", "closed", timeout=FAST)
    assert studio.service.snapshot("team")["view"]["can"]["buzz"] == []
    for page in pads.values():
        assert page.errors == []


async def test_the_star_and_the_packages_show_only_when_can_offers_them(olympia: Studio) -> None:
    studio = olympia
    pad = await studio.team("nbk", "tablet")
    other = await studio.team("ltt", "tablet")
    studio.run(c.StartShow(), c.GotoSegment(index=3))
    await expect(pad.locator("#packages")).to_be_visible(timeout=FAST)
    await expect(pad.locator("#package-slots button").first).to_be_visible()
    await screenshot(pad, "can-team-packages-tablet")
    values = studio.service.snapshot("public")["view"]["segment"]["packages"]["values"]
    size = studio.service.snapshot("public")["view"]["segment"]["packages"]["size"]
    studio.run(c.ChoosePackage(team="nbk", values=tuple(values[:1] * size)))
    await expect(pad.locator("#package-done")).to_be_visible(timeout=FAST)
    assert "nbk" not in studio.service.snapshot("team")["view"]["can"]["choose_package"]

    # The team's own question, ready: its star is offered on its pad and nowhere else.
    studio.run(c.ShowQuestion())
    assert studio.service.snapshot("team")["view"]["can"]["place_star"] == ["nbk"]
    await expect(pad.locator("#star")).to_be_visible(timeout=FAST)
    await expect(other.locator("#star")).to_be_hidden()
    await screenshot(pad, "can-team-star-tablet")
    studio.run(c.OpenAnswers())
    await expect(pad.locator("#star")).to_be_hidden(timeout=FAST)
    assert pad.errors == [] and other.errors == []
