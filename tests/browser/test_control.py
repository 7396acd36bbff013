"""The producer's controller in headless Chromium: clicks, keys, confirmations, undo."""

from __future__ import annotations

import re

import socketio

from server.core.config import OVERLAYS
from server.i18n import strings
from tests.browser.conftest import ROOT, Studio, screenshot


async def team_socket(studio: Studio, team: str) -> socketio.AsyncClient:
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(studio.url, namespaces=["/team"], auth={"token": studio.token("team", team)})
    return sio


def points_are(team: str, value: str) -> str:
    """A wait for the controller's scoreboard to hold ``value`` points for ``team`` (as in the view)."""
    return f"document.querySelector('#scoreboard li[data-team={team}] .pts').dataset.value == '{value}'"


def scores(studio: Studio) -> dict[str, float]:
    return {t: float(v) for t, v in studio.service.state.board.scores.items()}


async def test_a_turn_played_with_the_keyboard_and_undone_in_one_keystroke(studio: Studio) -> None:
    page = await studio.control()
    await page.click("#start-show")
    await page.wait_for_selector("#rundown li.is-current")
    for _ in range(2):  # PgDn twice: to the turns round
        await page.keyboard.press("PageDown")
    await page.wait_for_function("document.querySelector('#segment-title').textContent.includes('Kỹ năng số')")
    await page.keyboard.press("n")
    await page.wait_for_selector("#question .text")
    assert await page.text_content("#question .answer") != "—"  # only the producer sees the answer
    await page.keyboard.press("o")
    await page.wait_for_selector("#q-phase.open")
    await page.wait_for_function("document.querySelector('#timer').classList.contains('running')")
    turn = studio.service.state.board.question.turn
    # A wrong click: the team on turn marked correct by mistake...
    await page.keyboard.press("y")
    await page.wait_for_function(points_are(turn, "10"))
    assert scores(studio)[turn] == 10
    # ...undone with one keystroke, then judged right.
    await page.keyboard.press("Control+z")
    await page.wait_for_function(points_are(turn, "0"))
    assert studio.service.state.board.question.phase.value == "open"
    await page.keyboard.press("x")
    await page.wait_for_selector("#q-phase.steal")
    await page.wait_for_selector("#audit li.undone")
    assert "undone" in (await page.get_attribute("#audit li.undone", "class"))
    await screenshot(page, "control-steal-desktop")
    assert page.errors == []


async def test_buzz_and_answers_show_up_and_are_judged_by_click(studio: Studio) -> None:
    page = await studio.control()
    service = studio.service
    pads = {t: await team_socket(studio, t) for t in ("tam-ky", "dien-ban", "nam-tra-my")}
    try:
        await page.click("#start-show")
        await page.click("#rundown button[data-goto='3']")  # a jump asks first
        await page.wait_for_selector("#dialog:not([hidden])")
        await page.click("#dialog-ok")
        await page.wait_for_function("document.querySelector('#segment-title').textContent.includes('Tăng tốc')")
        await page.click("#show-next")
        await page.click("#open")
        await page.wait_for_selector("#q-phase.open")
        answer = service.config.questions[service.state.board.question.id].answer
        wrong = next(o for o in "ABCD" if o != answer)
        assert (await pads["dien-ban"].call("submit_answer", {"answer": answer}, namespace="/team"))["ok"]
        assert (await pads["tam-ky"].call("submit_answer", {"answer": wrong}, namespace="/team"))["ok"]
        await page.wait_for_selector(".teamrow[data-team=dien-ban] .ans.good")
        await page.click("#close")
        await page.wait_for_selector("#q-phase.closed")
        await page.click("#reveal")
        await page.wait_for_selector("#q-phase.revealed")
        await page.wait_for_function(points_are("dien-ban", "40"))
        assert scores(studio) == {"dien-ban": 40}
    finally:
        for pad in pads.values():
            await pad.disconnect()


async def test_adjustments_ask_for_a_reason_and_dangerous_actions_ask_first(studio: Studio) -> None:
    page = await studio.control()
    await page.click("#start-show")
    await page.click("#scoreboard li[data-team=nam-tra-my] [data-adjust]")
    await page.fill("#dialog input[name=points]", "-2.5")
    await page.fill("#dialog input[name=reason]", "Vi phạm thời gian trình bày")
    await page.click("#dialog-ok")
    await page.wait_for_function(points_are("nam-tra-my", "-2.5"))
    award = studio.service.state.board.awards[-1]
    assert award.reason == "Vi phạm thời gian trình bày" and float(award.points) == -2.5
    await page.click("#scoreboard li[data-team=tam-ky] [data-quick][data-points='5']")
    await page.wait_for_function(points_are("tam-ky", "5"))
    # Ending the show asks first; cancelling changes nothing.
    revision = studio.service.revision
    await page.click("#end-show")
    await page.click("#dialog-cancel")
    assert studio.service.revision == revision and studio.service.state.board.phase.value == "live"
    # No single key ends the show or resets a question.
    for key in ("e", "Delete", "Escape", "Backspace"):
        await page.keyboard.press(key)
    assert studio.service.revision == revision


async def test_client_status_warns_when_a_pad_drops_and_overlays_toggle(studio: Studio) -> None:
    page = await studio.control()
    await page.click("#start-show")
    pads = [await team_socket(studio, t) for t in ("tam-ky", "dien-ban", "nam-tra-my")]
    judges = []
    for judge in studio.service.config.judges:
        sio = socketio.AsyncClient(reconnection=False)
        await sio.connect(studio.url, namespaces=["/judge"], auth={"token": studio.token("judge", judge.id)})
        judges.append(sio)
    await page.wait_for_selector("#dropped", state="hidden")
    await pads[1].disconnect()
    await page.wait_for_selector("#dropped:not([hidden])")
    assert "Đội Thị xã Điện Bàn" in await page.text_content("#dropped")
    # The segment's first look may have put graphics on air: each switch flips what is there.
    board = lambda: studio.service.state.board  # noqa: E731
    was = "scoreboard" in board().on_air
    checked = "document.querySelector('[data-overlay={}]').checked == {}"
    await page.wait_for_function(checked.format("scoreboard", str(was).lower()))
    await page.keyboard.press("1")  # the first overlay toggle: the scoreboard
    await page.wait_for_function(checked.format("scoreboard", str(not was).lower()))
    assert ("scoreboard" in board().on_air) != was
    was = "timer" in board().on_air
    await page.click("[data-overlay=timer]")
    await page.wait_for_function(checked.format("timer", str(not was).lower()))
    assert ("timer" in board().on_air) != was
    await screenshot(page, "control-dropped-desktop")
    for sio in [pads[0], pads[2], *judges]:
        await sio.disconnect()


async def test_judged_round_panel(studio: Studio) -> None:
    page = await studio.control(size="tablet")
    await page.click("#start-show")
    config = studio.service.config
    await page.wait_for_selector("table.judged")
    for judge in config.judges:
        sio = socketio.AsyncClient(reconnection=False)
        await sio.connect(studio.url, namespaces=["/judge"], auth={"token": studio.token("judge", judge.id)})
        for team in config.teams:
            scores_ = {c.id: float(c.max) for c in config.rundown[0].scoring.criteria}
            ack = await sio.call("submit_scores", {"team": team.id, "scores": scores_}, namespace="/judge")
            assert ack["ok"], ack
        await sio.disconnect()
    await page.wait_for_function("!document.querySelector('table.judged').textContent.includes('chờ chấm')")
    await page.click("[data-reveal-team=tam-ky]")
    await page.wait_for_function(points_are("tam-ky", "20"))
    await page.click("#reveal-all")
    await page.wait_for_function("document.querySelectorAll('table.judged .good-text').length == 3")
    await screenshot(page, "control-judged-tablet")


async def test_english_and_every_size(studio: Studio) -> None:
    for size in ("phone", "tablet", "desktop"):
        page = await studio.control(size=size, lang="en")
        assert await page.text_content("#start-show") == "Start the show"
        assert "Shortcuts" in await page.text_content("#help h2")
        await screenshot(page, f"control-setup-{size}-en")
        overflow = await page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, f"the controller is wider than a {size} screen"
    page = await studio.control(size="phone")
    assert await page.text_content("#start-show") == "Bắt đầu chương trình"
    await screenshot(page, "control-setup-phone-vi")


# -- the lower third and the overlay previews ---------------------------------------------------


def strap(studio: Studio) -> tuple[str, str, str] | None:
    s = studio.service.state.board.lower_third
    return None if s is None else (s.kind, s.name, s.title)


async def test_a_member_then_a_judge_on_the_lower_third_hidden_by_its_toggle_and_undone(studio: Studio) -> None:
    page = await studio.control()
    board = lambda: studio.service.state.board  # noqa: E731
    options = await page.eval_on_selector_all("#strap-who optgroup", "gs => gs.map(g => g.label)")
    teams = [team.name for team in studio.service.config.teams]
    assert options == [*teams, "Ban giám khảo", "Khách mời"]
    assert await page.is_hidden("#strap-guest")
    # Works before the show starts too: the teams are introduced first.
    await page.select_option("#strap-who", "member:db-2")
    await page.click("#strap-show")
    await page.wait_for_selector("#strap-now[data-on='1']")
    assert strap(studio) == ("member", "Võ Thị Ngọc Ánh", "Thành viên — Đội Thị xã Điện Bàn")
    assert "lower_third" in board().on_air
    assert "Võ Thị Ngọc Ánh" in await page.text_content("#strap-now")
    await page.wait_for_function("document.querySelector('[data-overlay=lower_third]').checked")
    # Another subject replaces the strap on air; the choice survives the update.
    await page.select_option("#strap-who", "judge:gk-1")
    await page.click("#strap-show")
    await page.wait_for_function("document.querySelector('#strap-now').textContent.includes('Nguyễn Văn Hòa')")
    assert strap(studio)[:2] == ("judge", "Nguyễn Văn Hòa")
    assert await page.input_value("#strap-who") == "judge:gk-1"
    await screenshot(page, "control-lower-third-desktop")
    # Ctrl+Z: back to the member, still on air.
    await page.keyboard.press("Control+z")
    await page.wait_for_function("document.querySelector('#strap-now').textContent.includes('Võ Thị Ngọc Ánh')")
    assert strap(studio)[:2] == ("member", "Võ Thị Ngọc Ánh") and "lower_third" in board().on_air
    # The toggle takes it off air; the strap stays, shown as hidden.
    await page.click("[data-overlay=lower_third]")
    await page.wait_for_selector("#strap-now[data-on='0']")
    assert "lower_third" not in board().on_air and strap(studio) is not None
    assert "Đã ẩn" in await page.text_content("#strap-now")
    # Undo twice more: nothing was ever shown.
    await page.keyboard.press("Control+z")
    await page.wait_for_selector("#strap-now[data-on='1']")
    await page.keyboard.press("Control+z")
    await page.wait_for_function("document.querySelector('#strap-now').textContent.includes('Chưa hiện')")
    assert board().lower_third is None and "lower_third" not in board().on_air
    assert page.errors == []


async def test_a_guest_on_the_lower_third_and_a_refusal_changes_nothing(studio: Studio) -> None:
    page = await studio.control(size="tablet")
    await page.click("#start-show")
    await page.wait_for_selector("#rundown li.is-current")
    await page.select_option("#strap-who", "guest")
    await page.wait_for_selector("#strap-guest:not([hidden])")
    assert await page.evaluate("document.activeElement.id") == "strap-name"
    # No name: the server refuses, in Vietnamese, and nothing changes.
    revision = studio.service.revision
    await page.click("#strap-show")
    await page.wait_for_selector("#toast:not([hidden])")
    message = await page.text_content("#toast")
    assert message.startswith("Lỗi: ") and "tên khách mời" in message, message
    assert studio.service.revision == revision and strap(studio) is None
    assert "lower_third" not in studio.service.state.board.on_air
    # Name and title, markup stripped by the server; Enter in the field sends it.
    await page.fill("#strap-name", "PGS.TS. <b>Trần Văn Nam</b>")
    await page.fill("#strap-title", "Giám đốc Sở Thông tin và Truyền thông tỉnh Quảng Nam")
    await page.press("#strap-title", "Enter")
    await page.wait_for_selector("#strap-now[data-on='1']")
    assert strap(studio) == ("guest", "PGS.TS. Trần Văn Nam", "Giám đốc Sở Thông tin và Truyền thông tỉnh Quảng Nam")
    assert "lower_third" in studio.service.state.board.on_air
    assert "Giám đốc Sở" in await page.text_content("#strap-now")
    await screenshot(page, "control-lower-third-tablet")
    overflow = await page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow
    # Ctrl+Z (focus off the text fields) takes the guest off again.
    await page.click("#strap-now")
    await page.keyboard.press("Control+z")
    await page.wait_for_selector("#strap-now[data-on='0']")
    assert strap(studio) is None and "lower_third" not in studio.service.state.board.on_air
    assert page.errors == []


async def test_the_lower_third_in_english(studio: Studio) -> None:
    page = await studio.control(lang="en")
    assert await page.text_content("#strap-show") == "Show"
    assert "key 2" in await page.text_content("#strap-hint")
    labels = await page.eval_on_selector_all("#strap-who option", "os => os.map(o => o.textContent)")
    assert labels[0] == "Đội Thành phố Tam Kỳ — whole team" and labels[-1] == "A guest (type the name)…"
    await page.select_option("#strap-who", "team:tam-ky")
    await page.click("#strap-show")
    await page.wait_for_function("document.querySelector('#strap-now').textContent.includes('On air')")
    assert strap(studio) == ("team", "Đội Thành phố Tam Kỳ", "Thành phố Tam Kỳ")


async def test_overlay_preview_links_open_sample_overlays(studio: Studio) -> None:
    page = await studio.control()
    links = await page.eval_on_selector_all(
        ".previews a", "as => as.map(a => [a.getAttribute('href'), a.target, a.textContent])"
    )
    assert [href for href, _, _ in links] == [f"/overlay/{n}?preview=1" for n in OVERLAYS] + [
        "/overlay/program?preview=1"
    ]
    assert all(target == "_blank" and text.strip() for _, target, text in links)
    await page.click(".previews summary")
    await screenshot(page, "control-previews-desktop")
    async with page.context.expect_page() as opened:
        await page.click(".previews a[href='/overlay/lower_third?preview=1']")
    overlay = await opened.value
    await overlay.wait_for_selector("[data-layer=lower_third][data-on='1']")
    await overlay.close()


def test_the_controller_uses_only_catalogue_keys() -> None:
    used: set[str] = set()
    for name in ("static/control.js", "static/season.js", "templates/control.html"):
        text = (ROOT / "controller" / name).read_text(encoding="utf-8")
        used |= set(re.findall(r"""t\(\s*["'`]((?:control|common)\.[\w.]+)["'`]""", text))
        used |= set(re.findall(r"""t\[["']((?:control|common)\.[\w.]+)["']\]""", text))
    used |= {f"control.overlay.{name}" for name in OVERLAYS}
    assert {"control.strap", "control.strap_show", "control.previews"} <= used
    assert sorted(k for k in used if k not in strings("vi")) == []
