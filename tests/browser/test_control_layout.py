"""The controller as a broadcast desk, in headless Chromium at 1366×768 and 1920×1080: during a
question of every round type of the Quảng Nam demo, everything the step needs is in the viewport
and the page never scrolls; disabled controls look disabled and are legible; focus shows; the
program monitor follows on air; the final result after the end; a wrong link is refused."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import aiohttp
import pytest

from server.core import commands as c
from server.core.errors import ShowError
from tests.browser.conftest import ARTIFACTS, Studio

SCREENS = {"1366": (1366, 768), "1920": (1920, 1080)}

# What the producer needs at hand while a question runs, whatever the round.
ALWAYS = [
    "#rundown li.is-current",
    "#undo",
    "#redo",
    "#timer",
    "#program",
    "#next-up",
    "#strap-show",
    "#strap-who",
    "#badge-teams",
    "#badge-obs",
    "#timer-toggle",
    "#timer-add",
    "#next",
    "#prev",
]
# Per step: the round's own controls (besides the scores' and the segment's switches, checked for all).
STEPS = {
    "judged": (0, False, ["table.judged", "#reveal-all", "#lock-all", "[data-reveal-team=tam-ky]"]),
    "judged-vote": (1, False, ["table.judged", "#reveal-all", "#vote-open", "#vote-close", ".bars"]),
    "turns": (
        2,
        True,
        [
            "#question .text",
            "#question .answer",
            "#open",
            "#close",
            "#reveal",
            "#show-next",
            ".teamrow[data-team=nam-tra-my] [data-judge]",
        ],
    ),
    "speed": (
        3,
        True,
        ["#question .text", "#question .answer", "#close", "#reveal", ".teamrow[data-team=nam-tra-my] [data-judge]"],
    ),
    "audience": (4, True, ["#question .text", "#question .answer", "#close", "#reveal", ".bars"]),
}

IN_VIEW = """(sel) => {
  const el = document.querySelector(sel);
  if (!el) return `${sel}: missing`;
  const r = el.getBoundingClientRect();
  if (!r.width || !r.height) return `${sel}: not shown`;
  // Inside the window and inside every panel that scrolls or clips on the way up.
  const boxes = [{left: 0, top: 0, right: innerWidth, bottom: innerHeight, name: "the window"}];
  for (let p = el.parentElement; p; p = p.parentElement) {
    const s = getComputedStyle(p);
    if (/(auto|scroll|hidden)/.test(s.overflow + s.overflowX + s.overflowY)) {
      const b = p.getBoundingClientRect();
      boxes.push({left: b.left, top: b.top, right: b.right, bottom: b.bottom, name: p.id || p.className});
    }
  }
  for (const b of boxes) {
    if (r.left < b.left - 1 || r.top < b.top - 1 || r.right > b.right + 1 || r.bottom > b.bottom + 1)
      return `${sel}: outside ${b.name} (${[r.left, r.top, r.width, r.height].map(Math.round).join(" ")})`;
  }
  return "";
}"""


async def desk(studio: Studio, screen: str, lang: str = "vi"):
    width, height = SCREENS[screen]
    context = await studio.browser.new_context(viewport={"width": width, "height": height})
    page = await studio.open(f"/control?token={studio.token('producer')}&lang={lang}", context=context)
    await page.wait_for_selector("body[data-status=live]")
    return page


async def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


async def problems(page, selectors: list[str]) -> list[str]:
    found = [await page.evaluate(IN_VIEW, sel) for sel in selectors]
    page_js = "(e => [e.scrollHeight, innerHeight, e.scrollWidth, innerWidth])(document.scrollingElement)"
    scroll = await page.evaluate(page_js)
    if scroll[0] > scroll[1] or scroll[2] > scroll[3]:
        found.append(f"the page scrolls: {scroll}")
    return [p for p in found if p]


@pytest.mark.parametrize("screen", SCREENS)
async def test_every_round_fits_the_screen_during_a_question(studio: Studio, screen: str) -> None:
    page = await desk(studio, screen)
    service = studio.service
    await shot(page, f"control-{screen}-setup")
    assert await problems(page, ["#start-show", "#undo", "#program", "#strap-show"]) == []
    studio.run(c.StartShow())
    for step, (index, question, needs) in STEPS.items():
        if service.state.board.segment != index:
            for done in (c.CloseAnswers(), c.RevealAnswer()):  # the last question put away first
                with contextlib.suppress(ShowError):
                    studio.run(done)
            studio.run(c.GotoSegment(index=index))
        if question:
            studio.run(c.ShowQuestion())
            studio.run(c.OpenAnswers())
            await page.wait_for_selector("#q-phase.open")
        await page.wait_for_function(f"document.querySelector('#rundown li.is-current [data-goto=\"{index}\"]')")
        offered = service.config.rundown[index].overlays
        switches = [f"[data-switch={name}]" for name in offered]
        scores = [f"#scoreboard li[data-team={t}] [data-adjust]" for t in service.config.team_ids]
        await shot(page, f"control-{screen}-{step}")
        assert await problems(page, ALWAYS + needs + switches + scores) == [], step
        # Only the segment's switches show (and any overlay still on air).
        hidden = [n for n in service.config.overlays if n not in offered] if hasattr(service.config, "overlays") else []
        for name in hidden:
            assert await page.is_hidden(f"[data-switch={name}]")
    assert page.errors == []


CONTRAST = """(sel) => {
  const el = document.querySelector(sel);
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  // The background it is drawn on: its own, else the nearest ancestor's that is not transparent.
  let bg = null;
  for (let p = el; p && !bg; p = p.parentElement) {
    const c = rgb(getComputedStyle(p).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0.99)) bg = c.slice(0, 3);
  }
  const s = getComputedStyle(el);
  const a = lum(rgb(s.color).slice(0, 3)), b = lum(bg || [0, 0, 0]);
  return {ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), border: s.borderStyle,
          background: s.backgroundColor, cursor: s.cursor, opacity: s.opacity};
}"""


@pytest.mark.parametrize("screen", ["1366"])
async def test_disabled_controls_look_disabled_and_stay_legible_and_focus_shows(studio: Studio, screen: str) -> None:
    page = await desk(studio, screen)
    # Before the show: nothing to open, close or reveal.
    for sel in ("#open", "#close", "#reveal", "#show-next", "#undo", "#next"):
        assert await page.is_disabled(sel), sel
        looks = await page.evaluate(CONTRAST, sel)
        assert looks["ratio"] >= 4.5, (sel, looks)
        assert (looks["border"], looks["cursor"], looks["opacity"]) == ("dashed", "not-allowed", "1"), (sel, looks)
    enabled = await page.evaluate(CONTRAST, "#help-toggle")
    disabled = await page.evaluate(CONTRAST, "#open")
    assert enabled["border"] == "solid" and enabled["background"] != disabled["background"]
    assert enabled["ratio"] >= 4.5
    # The keyboard's focus shows as a ring of at least 2 px.
    for _ in range(40):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.matches('button.btn')"):
            break
    ring = await page.evaluate(
        "(s => [s.outlineStyle, parseFloat(s.outlineWidth)])(getComputedStyle(document.activeElement))"
    )
    assert ring[0] != "none" and ring[1] >= 2, ring
    # The shortcuts are listed on the page, behind "?".
    assert await page.is_hidden("#help")
    await page.keyboard.press("?")
    await page.wait_for_selector("#help:not([hidden])")
    assert "Ctrl+Z" in await page.text_content("#help")
    await shot(page, f"control-{screen}-shortcuts")
    await page.keyboard.press("Escape")
    await page.wait_for_selector("#help", state="hidden")
    assert page.errors == []


async def test_a_wrong_or_missing_token_is_refused_with_a_page_of_its_own(studio: Studio) -> None:
    async with aiohttp.ClientSession() as http:
        for query, words in (
            ("?token=not-the-token", "Đường dẫn bàn điều khiển không hợp lệ"),
            ("", "Đường dẫn bàn điều khiển không hợp lệ"),
            (f"?token={studio.token('judge', 'gk-1')}", "Đường dẫn bàn điều khiển không hợp lệ"),
            ("?token=nope&lang=en", "This controller link is not valid"),
        ):
            async with http.get(f"{studio.url}/control{query}") as response:
                body = await response.text()
                assert response.status == 403, query
                assert words in body and "control.js" not in body and "Kỹ năng số" not in body, query
    page = await studio.open("/control?token=wrong")
    await page.wait_for_selector("#refused .gate-text")
    await shot(page, "control-refused")
    assert page.errors == []


@pytest.mark.parametrize("screen", SCREENS)
async def test_the_program_monitor_follows_on_air_and_the_end_shows_the_result(studio: Studio, screen: str) -> None:
    page = await desk(studio, screen)
    monitor = page.frame_locator("#program")
    await monitor.locator("body[data-status=live]").wait_for()
    await monitor.locator("[data-layer=scoreboard][data-on='0']").wait_for(state="attached")
    studio.run(c.StartShow())
    if "scoreboard" not in studio.service.state.board.on_air:  # the segment's first look may hold it
        studio.run(c.SetOverlay(overlay="scoreboard", visible=True))
    await monitor.locator("[data-layer=scoreboard][data-on='1']").wait_for()
    studio.run(c.AdjustScore(team="dien-ban", points=Decimal("12.5"), reason="thử"))
    studio.run(c.AdjustScore(team="tam-ky", points=Decimal("7"), reason="thử"))
    studio.run(c.EndShow())
    await page.wait_for_selector("#result:not([hidden])")
    assert await page.is_hidden("#current")
    assert await page.get_attribute("#result-winner [data-winner]", "data-winner") == "dien-ban"
    assert "Đội Thị xã Điện Bàn" in await page.text_content("#result-winner")
    ranking = await page.eval_on_selector_all("#result-ranking li", "ls => ls.map(l => l.dataset.team)")
    assert ranking == ["dien-ban", "tam-ky", "nam-tra-my"]
    assert await page.is_enabled("#result-undo")
    assert await problems(page, ["#result-winner", "#result-ranking", "#result-undo", "#program"]) == []
    await shot(page, f"control-{screen}-ended")
    # Undo is at hand: the end undone, the show is live again.
    await page.click("#result-undo")
    await page.wait_for_selector("#result", state="hidden")
    assert studio.service.state.board.phase.value == "live"
    assert page.errors == []


async def test_the_badges_open_the_devices_and_obs_detail(studio: Studio) -> None:
    page = await desk(studio, "1366")
    pad = await studio.team("tam-ky")
    await page.wait_for_function("document.querySelector('#badge-teams').textContent.includes('1/3')")
    assert await page.get_attribute("#badge-teams", "data-level") == "warn"  # not live yet: a warning
    assert await page.get_attribute("#badge-obs", "data-level") != "good"  # no OBS in this test
    assert "OBS" in (await page.get_attribute("#badge-obs", "title"))
    assert await page.is_hidden("#devices")
    await page.click("#badge-teams")
    await page.wait_for_selector("#devices:not([hidden])")
    await page.wait_for_selector('#devices-panel .device[data-pad="team/tam-ky"][data-connected="1"]')
    assert await page.locator("#devices-panel .device").count() == 6
    assert await page.is_visible("#obs")
    await shot(page, "control-1366-devices")
    await page.keyboard.press("Escape")
    await page.wait_for_selector("#devices", state="hidden")
    await pad.close()
    assert page.errors == []


async def test_the_key_of_an_overlay_that_can_show_nothing_does_nothing(studio: Studio) -> None:
    page = await studio.control(size="desktop")
    studio.service.submit(c.StartShow())
    await page.wait_for_selector('[data-overlay="standings"]:disabled', state="attached")
    board = lambda: studio.service.state.board  # noqa: E731
    scoreboard = "scoreboard" in board().on_air
    await page.keyboard.press("8")  # standings: no season in this show
    await page.keyboard.press("1")  # then the scoreboard, so we know the 8 was handled first
    await page.wait_for_function(
        f"() => {str(not scoreboard).lower()} === document.querySelector('[data-overlay=scoreboard]').checked"
    )
    assert "standings" not in board().on_air and ("scoreboard" in board().on_air) is not scoreboard


async def test_a_hall_quiz_ends_with_its_audience_winners(aiohttp_server, browser, tmp_path) -> None:
    import shutil

    from server.app import Settings, create_app
    from tests.browser.conftest import ROOT
    from tests.browser.conftest import Studio as Desk

    config = tmp_path / "launch.yaml"
    shutil.copy(ROOT / "show_configs" / "tay-ninh-launch.yaml", config)
    app = create_app(Settings(config_path=config, db_path=tmp_path / "launch.db", host="127.0.0.1", obs=False))
    desk = Desk(await aiohttp_server(app, host="127.0.0.1"), app, browser)
    page = await desk.control(size="desktop")
    service = desk.service
    service.submit(c.StartShow())
    service.submit(c.GotoSegment(index=1))  # past the warm-up poll: a question with a right answer
    service.submit(c.ShowQuestion())
    service.submit(c.OpenAnswers())
    question = service.config.questions[service.state.board.question.id]
    assert question.answer
    vote = c.Vote(device="phone-00000001", option=question.answer, at=service.clock(), nickname="Minh")
    service.submit(c.CastVotes(votes=(vote,), by=c.SYSTEM))
    for kind in (c.CloseAnswers, c.RevealAnswer, c.EndShow):
        service.submit(kind())
    await page.wait_for_selector("#result:not([hidden]) [data-winners]")
    assert await page.text_content("[data-winners]") == "Minh"
