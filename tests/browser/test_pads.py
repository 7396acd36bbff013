"""The team pads and the judges' pads in real Chromium, against a live server.

The producer's side is driven straight through the service (``studio.service.submit``), as the
controller page would send it; the pads are only ever operated through their pages.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

from playwright.async_api import expect

from server.app import Settings, create_app
from server.core import commands as c
from server.i18n import missing, strings
from server.transport.keys import SERVICE
from tests.browser.conftest import OLYMPIA, ROOT, SIZES, Studio, screenshot

FAST = 5000  # ms: quick feedback is the point, but CI machines are busy

VI = strings("vi")
EN = strings("en")


def team_url(studio: Studio, team: str, lang: str = "") -> str:
    return f"/team?token={studio.token('team', team)}" + (f"&lang={lang}" if lang else "")


async def open_team(studio: Studio, team: str, size: str, lang: str = "", context=None):
    page = await studio.open(team_url(studio, team, lang), size, context)
    await page.wait_for_selector("body[data-status=live]")
    return page


async def open_judge(studio: Studio, judge: str, size: str, lang: str = ""):
    page = await studio.open(f"/judge?token={studio.token('judge', judge)}" + (f"&lang={lang}" if lang else ""), size)
    await page.wait_for_selector("body[data-status=live]")
    return page


def judge_card(page, team: str):
    return page.locator(f'article.card[data-team="{team}"]')


def _scores(content, form, impression) -> dict[str, Decimal]:
    values = (content, form, impression)
    return {k: Decimal(str(v)) for k, v in zip(("noi-dung", "hinh-thuc", "an-tuong"), values, strict=True)}


def no_errors(*pages) -> None:
    for page in pages:
        assert page.errors == [], page.errors


async def fits(page) -> None:
    """Nothing sticks out sideways (a long Vietnamese name must wrap, not overflow)."""
    overflow = await page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const out = [];
            for (const el of document.querySelectorAll("body *")) {
                if (!el.getClientRects().length) continue;
                const r = el.getBoundingClientRect();
                if (r.right > width + 1 || r.left < -1) out.push(`${el.tagName}#${el.id}.${el.className}`);
                if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === "hidden") out.push(el.id);
            }
            return {out, scroll: document.documentElement.scrollWidth, width};
        }"""
    )
    assert overflow["out"] == [] and overflow["scroll"] <= overflow["width"], overflow


# -- the catalogue and the view -------------------------------------------------------------------------


def test_catalogue_is_complete() -> None:
    assert missing() == []


def test_pages_use_only_catalogue_keys() -> None:
    """Every key the pads ask for exists (a missing key would show up as the key itself)."""
    used: set[str] = set()
    for name in ("static/team.js", "static/judge.js", "templates/team.html", "templates/judge.html"):
        text = (ROOT / "controller" / name).read_text(encoding="utf-8")
        used |= set(re.findall(r"""t\(\s*["']((?:team|judge|common)\.[\w.]+)["']""", text))
        used |= set(re.findall(r"""t\[["']((?:team|judge|common)\.[\w.]+)["']\]""", text))
        used |= set(re.findall(r""""((?:team|judge)\.[a-z_]+)\"""", text))
    used |= {f"team.phase.{p}" for p in ("ready", "open", "answering", "steal", "closed", "revealed")}
    assert len(used) > 60
    assert sorted(k for k in used if k not in VI) == []


async def test_public_view_has_the_packages_for_a_packages_round(aiohttp_server, tmp_path: Path) -> None:
    config = tmp_path / "olympia.yaml"
    shutil.copy(OLYMPIA, config)
    shutil.copytree(OLYMPIA.parent / "media", tmp_path / "media")  # the obstacle's picture
    app = create_app(Settings(config_path=config, db_path=tmp_path / "olympia.db"))
    await aiohttp_server(app, host="127.0.0.1")
    service = app[SERVICE]
    service.submit(c.StartShow())
    assert "packages" not in service.snapshot("public")["view"]["segment"]  # a turns round
    service.submit(c.GotoSegment(index=3))
    segment = service.snapshot("public")["view"]["segment"]
    assert {key: segment[key] for key in ("index", "id", "title", "round", "packages")} == {
        "index": 3,
        "id": "ve-dich",
        "title": "Về đích",
        "round": "packages",
        "packages": {"values": [10, 20, 30], "size": 3},
    }
    assert service.snapshot("producer")["view"]["segment"]["packages"] == {"values": [10, 20, 30], "size": 3}


# -- the team pad -------------------------------------------------------------------------------------------


async def test_team_pad_before_the_show(studio: Studio) -> None:
    for size in ("phone", "tablet"):
        page = await open_team(studio, "dien-ban", size)
        await expect(page.locator("#team-name")).to_have_text("Đội Thị xã Điện Bàn")
        await expect(page.locator("#score")).to_have_text("0,00")
        await expect(page.locator("#waiting-title")).to_have_text(VI["team.wait_start"])
        await fits(page)
        await screenshot(page, f"team-waiting-{size}")
        await page.context.close()


async def test_buzz_won_lost_and_locked_out_show_at_once(studio: Studio) -> None:
    tk = await studio.team("tam-ky", "tablet")
    db = await studio.team("dien-ban", "phone")
    ntm = await studio.team("nam-tra-my", "tablet")
    studio.run(c.StartShow(), c.GotoSegment(index=2), c.ShowQuestion(), c.OpenAnswers())

    # Tam Kỳ is on turn: it answers on its pad, the others can't buzz yet.
    await expect(tk.locator("#q-turn")).to_have_text(VI["team.your_turn"])
    await expect(tk.locator("#buzz-area")).to_be_hidden()
    await tk.locator('button[data-letter="B"]').click()
    await expect(tk.locator("#answered-text")).to_have_text("Đáp án của đội: B. Đất đai và nhà ở")
    await expect(db.locator("#q-turn")).to_have_text("Lượt của Đội Thành phố Tam Kỳ")
    await expect(db.locator("#buzz-area")).to_have_attribute("data-state", "closed")
    await db.locator("#buzz").click()
    await expect(db.locator("#buzz-state")).to_have_text(VI["team.buzz_closed"], timeout=FAST)
    assert studio.service.state.board.question.buzzes == ()
    await screenshot(tk, "team-turn-answered-tablet")

    # Wrong: the steal window opens on the other pads.
    studio.run(c.JudgeAnswer(team="tam-ky", correct=False))
    for pad in (db, ntm):
        await expect(pad.locator("#buzz-area")).to_have_attribute("data-state", "open", timeout=FAST)
        await expect(pad.locator("#buzz-state")).to_have_text(VI["team.buzz_steal"])
    await expect(tk.locator("#answer-note")).to_have_text(VI["team.wrong"])
    await screenshot(db, "team-steal-open-phone")

    # Both press together: exactly one gets the floor, the other sees at once who did.
    await asyncio.gather(db.locator("#buzz").click(), ntm.locator("#buzz").click())
    winner = studio.service.state.board.question.floor
    assert winner in ("dien-ban", "nam-tra-my")
    won, lost = (db, ntm) if winner == "dien-ban" else (ntm, db)
    winner_name = {"dien-ban": "Đội Thị xã Điện Bàn", "nam-tra-my": "Đội Huyện Nam Trà My"}[winner]
    await expect(won.locator("#buzz-area")).to_have_attribute("data-state", "won", timeout=FAST)
    await expect(won.locator("#buzz-state")).to_have_text(VI["team.buzz_won"], timeout=FAST)
    await expect(lost.locator("#buzz-area")).to_have_attribute("data-state", "lost", timeout=FAST)
    await expect(lost.locator("#buzz-state")).to_have_text(f"{winner_name} đã giành quyền trả lời", timeout=FAST)
    await screenshot(db, f"team-buzz-{'won' if won is db else 'lost'}-phone")
    await screenshot(ntm, f"team-buzz-{'won' if won is ntm else 'lost'}-tablet")

    # The steal is wrong too: the winner is locked out, and a press says so at once; the other is closed.
    studio.run(c.JudgeAnswer(team=winner, correct=False))
    await expect(won.locator("#buzz-area")).to_have_attribute("data-state", "locked", timeout=FAST)
    await won.keyboard.press("Space")
    await expect(won.locator("#buzz-state")).to_have_text(VI["team.buzz_locked"], timeout=FAST)
    await expect(won.locator("#score")).to_have_text("−5,00")
    await expect(lost.locator("#buzz-area")).to_have_attribute("data-state", "closed", timeout=FAST)
    assert [b.team for b in studio.service.state.board.question.buzzes] == [winner]
    await screenshot(db, f"team-buzz-{'locked' if won is db else 'closed'}-phone")
    no_errors(tk, db, ntm)


async def test_space_bar_buzzes(studio: Studio) -> None:
    tk = await studio.team("tam-ky", "tablet")
    studio.run(c.StartShow(), c.GotoSegment(index=2), c.ShowQuestion(question="kn-04"), c.OpenAnswers())
    await expect(tk.locator("#q-turn")).to_have_text("Lượt của Đội Thị xã Điện Bàn")
    studio.run(c.JudgeAnswer(team="dien-ban", correct=False))
    await expect(tk.locator("#buzz-area")).to_have_attribute("data-state", "open", timeout=FAST)
    scroll = await tk.evaluate("window.scrollY")
    await tk.keyboard.press("Space")
    await expect(tk.locator("#buzz-area")).to_have_attribute("data-state", "won", timeout=FAST)
    assert studio.service.state.board.question.floor == "tam-ky"
    assert await tk.evaluate("window.scrollY") == scroll  # the space bar buzzed, it did not scroll
    # Holding the key down repeats it: still one buzz.
    await tk.keyboard.down("Space")
    await tk.keyboard.up("Space")
    assert len(studio.service.state.board.question.buzzes) == 1
    no_errors(tk)


async def test_speed_round_answers_with_choices_and_free_text(studio: Studio) -> None:
    tk = await studio.team("tam-ky", "phone")
    db = await studio.team("dien-ban", "tablet")
    studio.run(c.StartShow(), c.GotoSegment(index=3), c.ShowQuestion(question="ts-01"), c.OpenAnswers())

    # The countdown runs on the server's clock.
    await expect(tk.locator("#countdown")).to_be_visible()
    first = int(await tk.locator("#countdown-value").text_content())
    assert 25 <= first <= 30
    await tk.wait_for_function(
        "(first) => Number(document.querySelector('#countdown-value').textContent) < first", arg=first, timeout=10_000
    )
    await expect(tk.locator("#buzz-area")).to_be_hidden()  # no buzzer in a speed round
    await expect(tk.locator("#choices button")).to_have_count(4)
    await screenshot(tk, "team-speed-choices-phone")
    await screenshot(db, "team-speed-choices-tablet")

    await tk.locator('button[data-letter="B"]').click()
    await expect(tk.locator("#answered")).to_be_visible()
    await expect(tk.locator("#answered-text")).to_have_text("Đáp án của đội: B. Khóa bí mật")
    await expect(tk.locator("#choices")).to_be_hidden()
    await db.locator('button[data-letter="A"]').click()
    await expect(db.locator("#answered-text")).to_have_text("Đáp án của đội: A. Khóa công khai")
    answers = studio.service.state.board.question.answers
    assert answers["tam-ky"].text == "B" and answers["dien-ban"].text == "A"

    # The server keeps the answer secret until answers close; the pad remembers its own across a reload.
    await tk.reload()
    await tk.wait_for_selector("body[data-status=live]")
    await expect(tk.locator("#answered-text")).to_have_text("Đáp án của đội: B. Khóa bí mật")
    await fits(tk)
    await screenshot(tk, "team-speed-answered-phone")

    studio.run(c.CloseAnswers(), c.RevealAnswer())
    await expect(tk.locator("#answer-note")).to_have_text("Đúng · Đáp án đúng: B. Khóa bí mật")
    await expect(db.locator("#answer-note")).to_have_text("Sai · Đáp án đúng: B. Khóa bí mật")
    await expect(tk.locator("#score")).to_have_text("40,00")
    await expect(tk.locator("#rank")).to_have_text("Hạng 1/3")

    # Free text: a box, Enter or the button sends it.
    studio.run(c.ShowQuestion(question="ts-02"))
    await expect(tk.locator("#free-text")).to_be_disabled()
    await expect(tk.locator("#answer-note")).to_have_text(VI["team.answers_wait"])
    studio.run(c.OpenAnswers())
    await expect(tk.locator("#free-text")).to_be_enabled()
    await tk.locator("#free-text").fill("Đăng ký khai tử")
    await tk.locator("#free-text").press("Enter")
    await expect(tk.locator("#answered-text")).to_have_text("Đáp án của đội: Đăng ký khai tử")
    await db.locator("#free-text").fill("Đăng ký kết hôn")
    await screenshot(db, "team-speed-free-text-tablet")
    await db.locator("#free-send").click()
    await expect(db.locator("#answered-text")).to_have_text("Đáp án của đội: Đăng ký kết hôn")
    await expect(db.locator("#countdown")).to_be_visible()
    answers = studio.service.state.board.question.answers
    assert answers["tam-ky"].text == "Đăng ký khai tử" and answers["dien-ban"].text == "Đăng ký kết hôn"
    await fits(db)
    no_errors(tk, db)


async def test_a_second_device_is_refused_and_can_take_over(studio: Studio) -> None:
    first = await studio.team("tam-ky", "tablet")
    second = await studio.open(team_url(studio, "tam-ky"), "phone")  # another browser: another device
    await second.wait_for_selector("body[data-status=refused]")
    await expect(second.locator("#gate-text")).to_have_text(VI["team.in_use"])
    await expect(second.locator("#takeover")).to_have_text(VI["team.takeover"])
    await expect(second.locator("#pad")).to_be_hidden()
    await fits(second)
    await screenshot(second, "team-in-use-phone")
    await expect(first.locator("body")).to_have_attribute("data-status", "live")

    await second.locator("#takeover").click()
    await second.wait_for_selector("body[data-status=live]")
    await expect(second.locator("#team-name")).to_have_text("Đội Thành phố Tam Kỳ")
    await expect(first.locator("#gate-text")).to_have_text(VI["team.taken_over"])
    await expect(first.locator("#takeover")).to_have_text(VI["team.take_back"])
    await screenshot(first, "team-taken-over-tablet")
    # From here on the old device must not even try to connect (a socket.io handshake has no sid yet).
    attempts: list[str] = []
    first.on("websocket", lambda ws: attempts.append(ws.url))
    first.on("request", lambda r: attempts.append(r.url) if "/socket.io/" in r.url and "sid=" not in r.url else None)

    # The new device keeps the pad across its own reloads without taking it over again by itself…
    await second.reload()
    await second.wait_for_selector("body[data-status=live]")
    # …and the old one stays off until someone there asks for it: a change the new device receives
    # (so the server holds it as the team's pad) never reaches the old one, which made no attempt to connect.
    studio.run(c.StartShow())
    await expect(second.locator("#segment")).to_have_text("Chào hỏi")
    await expect(first.locator("#gate")).to_be_visible()
    await expect(first.locator("#gate-text")).to_have_text(VI["team.taken_over"])
    await expect(first.locator("#segment")).not_to_have_text("Chào hỏi")
    assert await first.evaluate("document.body.dataset.status") != "live"
    assert attempts == []

    # Taking it back is just as explicit.
    await first.locator("#takeover").click()
    await first.wait_for_selector("body[data-status=live]")
    await expect(first.locator("#segment")).to_have_text("Chào hỏi")
    await expect(second.locator("#gate-text")).to_have_text(VI["team.taken_over"])
    no_errors(first, second)


async def test_a_wrong_link_is_refused_plainly(studio: Studio) -> None:
    team = await studio.open("/team?token=not-a-token", "phone")
    await team.wait_for_selector("body[data-status=refused]")
    await expect(team.locator("#gate-text")).to_have_text(VI["team.unauthorized"])
    await expect(team.locator("#takeover")).to_be_hidden()
    judge = await studio.open(f"/judge?token={studio.token('team', 'tam-ky')}", "phone")  # another role's token
    await judge.wait_for_selector("body[data-status=refused]")
    await expect(judge.locator("#refused")).to_have_text(VI["judge.unauthorized"])
    await expect(judge.locator("#main")).to_be_hidden()
    no_errors(team, judge)


async def test_a_pad_comes_back_to_the_right_state(studio: Studio) -> None:
    tk = await studio.team("tam-ky", "tablet")
    db = await studio.team("dien-ban", "phone")  # its own browser, which stays online
    studio.run(c.StartShow(), c.GotoSegment(index=3), c.ShowQuestion(question="ts-01"), c.OpenAnswers())
    await tk.locator('button[data-letter="C"]').click()
    await expect(tk.locator("#answered-text")).to_have_text("Đáp án của đội: C. Mã OTP gửi qua tin nhắn")

    await tk.context.set_offline(True)
    await expect(tk.locator("#offline")).to_be_visible()
    await expect(tk.locator("body")).to_have_attribute("data-status", "offline")
    await screenshot(tk, "team-offline-tablet")
    # Meanwhile on the server: answers close, the answer is revealed, the score changes.
    studio.run(
        c.CloseAnswers(),
        c.RevealAnswer(),
        c.AdjustScore(team="tam-ky", points=Decimal("2.5"), reason="Tinh thần thi đấu"),
    )
    # Another pad online sees the new score's effect, so the changes went out to everyone connected…
    await expect(db.locator("#rank")).to_have_text("Hạng 2/3", timeout=10_000)
    await expect(db.locator("#q-phase")).to_have_text(VI["team.phase.revealed"])
    await expect(tk.locator("#score")).to_have_text("0,00")  # …and this one can't know yet

    # Back online: the pad reconnects by itself and the fresh snapshot puts everything right.
    await tk.context.set_offline(False)
    await tk.wait_for_selector("body[data-status=live]", timeout=10000)
    await expect(tk.locator("#offline")).to_be_hidden()
    await expect(tk.locator("#score")).to_have_text("2,50")
    await expect(tk.locator("#q-phase")).to_have_text(VI["team.phase.revealed"])
    await expect(tk.locator("#answered-text")).to_have_text("Đáp án của đội: C. Mã OTP gửi qua tin nhắn")
    await expect(tk.locator("#answer-note")).to_have_text("Sai · Đáp án đúng: B. Khóa bí mật")

    # Offline again, the show moves on to the next question; then a reload.
    await tk.context.set_offline(True)
    await expect(tk.locator("body")).to_have_attribute("data-status", "offline")
    studio.run(c.ShowQuestion(question="ts-03"), c.OpenAnswers())
    await tk.context.set_offline(False)
    await tk.reload()
    await tk.wait_for_selector("body[data-status=live]")
    await expect(tk.locator("#q-text")).to_contain_text("kinh tế số chiếm bao nhiêu phần trăm GDP")
    await expect(tk.locator("#answered")).to_be_hidden()
    await expect(tk.locator('button[data-letter="B"]')).to_be_enabled()
    await expect(tk.locator("#score")).to_have_text("2,50")
    await tk.locator('button[data-letter="B"]').click()
    await expect(tk.locator("#answered-text")).to_have_text("Đáp án của đội: B. 20%")
    no_errors(tk, db)


async def test_team_pad_in_english(studio: Studio) -> None:
    page = await open_team(studio, "nam-tra-my", "phone", lang="en")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("#waiting-title")).to_have_text("The show has not started yet")
    await expect(page.locator(".score-label")).to_have_text("Score")
    studio.run(c.StartShow(), c.GotoSegment(index=2), c.ShowQuestion(), c.OpenAnswers())
    await expect(page.locator(".buzz-label")).to_have_text("BUZZ")
    await expect(page.locator("#q-turn")).to_have_text("Đội Thành phố Tam Kỳ's turn")
    await expect(page.locator("#buzz-state")).to_have_text(EN["team.buzz_closed"])
    await expect(page.locator("#status")).to_have_text(EN["common.live"])
    await screenshot(page, "team-english-phone")
    no_errors(page)


# -- packages and the star of hope (the olympia-style show) ------------------------------------------------


async def test_packages_choice_and_the_star_of_hope(olympia: Studio) -> None:
    nbk = await open_team(olympia, "nbk", "phone")
    ltt = await open_team(olympia, "ltt", "tablet")
    olympia.run(c.StartShow(), c.GotoSegment(index=3))
    await expect(nbk.locator("#packages")).to_be_visible()
    await expect(nbk.locator("#packages-hint")).to_have_text("Chọn 3 câu, mỗi câu 10 / 20 / 30 điểm")
    await expect(nbk.locator("#package-send")).to_be_disabled()
    for slot, value in enumerate((10, 30, 30)):
        await nbk.locator(f'button[data-slot="{slot}"][data-value="{value}"]').click()
    await fits(nbk)
    await screenshot(nbk, "team-packages-phone")
    await screenshot(ltt, "team-packages-tablet")
    await nbk.locator("#package-send").click()
    await expect(nbk.locator("#package-done")).to_have_text("Đã chọn gói: 10 · 30 · 30")
    assert len(olympia.service.state.board.packages["ve-dich"]["nbk"]) == 3

    olympia.run(c.ShowQuestion())
    await expect(nbk.locator("#q-turn")).to_have_text(VI["team.your_turn"])
    await expect(nbk.locator("#star")).to_be_visible()
    await expect(ltt.locator("#star")).to_be_hidden()
    await expect(ltt.locator("#packages")).to_be_hidden()
    await screenshot(nbk, "team-star-phone")
    await nbk.locator("#star").click()
    await expect(nbk.locator("#q-star")).to_be_visible()
    await expect(nbk.locator("#star")).to_be_hidden()
    await expect(ltt.locator("#q-star")).to_be_visible()
    assert olympia.service.state.board.question.star is True
    no_errors(nbk, ltt)


async def test_buzzer_round_lock_out_and_reopen(olympia: Studio) -> None:
    nbk = await open_team(olympia, "nbk", "phone")
    ltt = await open_team(olympia, "ltt", "tablet")
    olympia.run(c.StartShow(), c.GotoSegment(index=1), c.ShowQuestion())
    await expect(nbk.locator("#buzz-area")).to_have_attribute("data-state", "closed")
    await expect(nbk.locator("#answer")).to_be_hidden()  # answers are spoken in a buzzer round
    olympia.run(c.OpenAnswers())
    await expect(nbk.locator("#buzz-state")).to_have_text(VI["team.buzz_open"])
    await expect(ltt.locator("#buzz-area")).to_have_attribute("data-state", "open")  # this pad sees it open too
    await ltt.keyboard.press("Space")
    await expect(ltt.locator("#buzz-area")).to_have_attribute("data-state", "won", timeout=FAST)
    await expect(nbk.locator("#buzz-state")).to_have_text("Trần Ngọc Bảo Anh đã giành quyền trả lời", timeout=FAST)
    await nbk.locator("#buzz").click()  # too late: says so at once, sends nothing
    await expect(nbk.locator("#buzz-area")).to_have_attribute("data-state", "lost", timeout=FAST)
    # Wrong: Bảo Anh is locked out, the question opens again for the others.
    olympia.run(c.JudgeAnswer(team="ltt", correct=False))
    await expect(ltt.locator("#buzz-state")).to_have_text(VI["team.buzz_locked"], timeout=FAST)
    await expect(nbk.locator("#buzz-area")).to_have_attribute("data-state", "open", timeout=FAST)
    await ltt.locator("#buzz").click()
    await expect(ltt.locator("#buzz-area")).to_have_attribute("data-state", "locked")
    await screenshot(ltt, "team-buzzer-locked-tablet")
    await nbk.locator("#buzz").click()
    await expect(nbk.locator("#buzz-area")).to_have_attribute("data-state", "won", timeout=FAST)
    assert [b.team for b in olympia.service.state.board.question.buzzes] == ["ltt", "nbk"]
    no_errors(nbk, ltt)


# -- the judge's pad ---------------------------------------------------------------------------------------


async def test_judge_pad_refuses_out_of_range_submits_and_revises(studio: Studio) -> None:
    page = await open_judge(studio, "gk-1", "phone")
    await expect(page.locator("#judge-name")).to_have_text("Nguyễn Văn Hòa")
    await expect(page.locator("#waiting-title")).to_have_text(VI["judge.wait_start"])
    await screenshot(page, "judge-waiting-phone")
    studio.run(c.StartShow())
    card = judge_card(page, "tam-ky")
    await expect(page.locator("#sheet-title")).to_have_text("Chào hỏi")
    await expect(page.locator("article.card")).to_have_count(3)
    submit = card.locator("button.submit")
    await expect(submit).to_be_disabled()

    content = card.locator('input[data-criterion="noi-dung"]')
    out_of_range, off_step = "Điểm phải từ 0 đến 10", "Chấm theo bước 0,5 điểm"
    for bad, why in (("11", out_of_range), ("-1", out_of_range), ("7.3", off_step)):
        await content.fill(bad)
        await expect(content).to_have_class(re.compile(r"\binvalid\b"))
        await expect(content).to_have_attribute("aria-invalid", "true")
        await expect(card.locator(".field-error").first).to_have_text(why)
        await expect(card.locator(".card-note")).to_have_text(VI["judge.fix_first"])
        await expect(submit).to_be_disabled()
    await card.locator('input[data-criterion="hinh-thuc"]').fill("6")  # max 5
    await expect(card.locator('input[data-criterion="hinh-thuc"]')).to_have_class(re.compile(r"\binvalid\b"))
    await screenshot(page, "judge-invalid-phone")

    await content.fill("8")
    await card.locator('input[data-criterion="hinh-thuc"]').fill("4")
    await expect(submit).to_be_disabled()  # a criterion is still empty
    await expect(card.locator(".card-note")).to_have_text(VI["judge.fill_all"])
    await card.locator('input[data-criterion="an-tuong"]').fill("4.5")
    await expect(card.locator(".total")).to_have_text("Tổng: 16,5 / 20")
    await expect(card.locator("input.invalid")).to_have_count(0)
    await expect(submit).to_be_enabled()
    await submit.click()
    await expect(card.locator(".badge")).to_have_text(VI["judge.sent"])
    await expect(submit).to_have_text(VI["judge.resubmit"])
    sheet = studio.service.state.board.judged["chao-hoi"].scores["gk-1"]["tam-ky"]
    assert sheet == {"noi-dung": 8, "hinh-thuc": 4, "an-tuong": Decimal("4.5")}

    # Revise and send again.
    await content.fill("9.5")
    await expect(card.locator(".badge")).to_have_text(VI["judge.changed"])
    await expect(card.locator(".total")).to_have_text("Tổng: 18 / 20")
    await submit.click()
    await expect(card.locator(".badge")).to_have_text(VI["judge.sent"])
    assert studio.service.state.board.judged["chao-hoi"].scores["gk-1"]["tam-ky"]["noi-dung"] == Decimal("9.5")

    # A reload prefills the judge's own saved scores.
    await page.reload()
    await page.wait_for_selector("body[data-status=live]")
    card = judge_card(page, "tam-ky")
    await expect(card.locator('input[data-criterion="noi-dung"]')).to_have_value("9.5")
    await expect(card.locator('input[data-criterion="an-tuong"]')).to_have_value("4.5")
    await expect(card.locator(".total")).to_have_text("Tổng: 18 / 20")
    await expect(page.locator("#sheet-progress")).to_have_text("Đã chấm 1/3 đội")
    await fits(page)
    no_errors(page)


async def test_judge_pad_locked_by_the_producer_and_only_own_scores(studio: Studio) -> None:
    studio.run(c.StartShow())
    mine = await open_judge(studio, "gk-1", "tablet")
    theirs = await open_judge(studio, "gk-2", "phone")
    card = judge_card(mine, "tam-ky")
    await card.locator('input[data-criterion="noi-dung"]').fill("9")
    await card.locator('input[data-criterion="hinh-thuc"]').fill("4")
    await card.locator('input[data-criterion="an-tuong"]').fill("5")
    await card.locator("button.submit").click()
    await expect(card.locator(".badge")).to_have_text(VI["judge.sent"])
    # Another judge's very different numbers, sent from that judge's pad and by the producer for the third.
    other = judge_card(theirs, "tam-ky")
    for criterion, value in (("noi-dung", "6.5"), ("hinh-thuc", "1"), ("an-tuong", "2.5")):
        await other.locator(f'input[data-criterion="{criterion}"]').fill(value)
    await other.locator("button.submit").click()
    await expect(other.locator(".badge")).to_have_text(VI["judge.sent"])
    scores = {"noi-dung": Decimal(7), "hinh-thuc": Decimal(3), "an-tuong": Decimal(3)}
    studio.run(c.SubmitScores(judge="gk-3", team="tam-ky", scores=scores))

    # A half-typed change on another team's card survives the updates.
    await judge_card(mine, "dien-ban").locator('input[data-criterion="noi-dung"]').fill("7")

    studio.run(c.LockScores(team="tam-ky"))
    for input_ in await card.locator("input").all():
        await expect(input_).to_be_disabled()
    await expect(card.locator(".badge")).to_have_text(VI["common.locked"])
    await expect(card.locator("button.submit")).to_be_hidden()
    await expect(card.locator(".card-note")).to_have_text(VI["judge.locked_note"])
    await expect(judge_card(mine, "dien-ban").locator("input").first).to_be_enabled()
    await expect(judge_card(mine, "dien-ban").locator('input[data-criterion="noi-dung"]')).to_have_value("7")
    await screenshot(mine, "judge-locked-tablet")

    # Revealed: the public view now carries every judge's numbers, the pad still shows only its own.
    studio.run(c.RevealScores(team="tam-ky"))
    await expect(card.locator(".badge")).to_have_text(VI["judge.revealed"])
    view = await mine.evaluate("document.body.innerText")
    html = await mine.content()
    values = [await i.input_value() for i in await mine.locator("input").all()]
    assert values[:3] == ["9", "4", "5"]
    for number in ("6.5", "6,5", "2.5", "2,5"):
        assert number not in view and number not in html and number not in values
    assert "Trần Thị Minh Thư" not in view
    # …and the other judge sees only theirs.
    await expect(other.locator('input[data-criterion="noi-dung"]')).to_have_value("6.5")
    assert "9" not in [await i.input_value() for i in await other.locator("input").all()]
    no_errors(mine, theirs)


async def test_judge_pad_waits_calmly_outside_judged_rounds(studio: Studio) -> None:
    studio.run(c.StartShow(), c.GotoSegment(index=2))
    page = await open_judge(studio, "gk-3", "tablet")
    await expect(page.locator("#sheet")).to_be_hidden()
    await expect(page.locator("#waiting-title")).to_have_text("Kỹ năng số")
    await expect(page.locator("#waiting-text")).to_have_text(VI["judge.wait"])
    await screenshot(page, "judge-waiting-tablet")
    studio.run(c.GotoSegment(index=1))
    await expect(page.locator("#sheet-title")).to_have_text("Sáng tạo số")
    await expect(judge_card(page, "dien-ban").locator(".crit-name")).to_have_text(
        ["Ý tưởng sáng tạo", "Tính khả thi và hiệu quả", "Trình bày"]
    )
    no_errors(page)


async def test_judge_pad_in_english(studio: Studio) -> None:
    studio.run(c.StartShow())
    page = await open_judge(studio, "gk-2", "tablet", lang="en")
    card = judge_card(page, "nam-tra-my")
    await expect(card.locator("button.submit")).to_have_text("Submit")
    await expect(card.locator(".total")).to_have_text("Total: 0 / 20")
    await expect(card.locator(".badge")).to_have_text("Not scored")
    await card.locator('input[data-criterion="noi-dung"]').fill("12")
    await expect(card.locator(".field-error").first).to_have_text("Must be from 0 to 10")
    await expect(page.locator("#status")).to_have_text(EN["common.live"])
    await expect(page.locator(".sheet-hint")).to_have_text(EN["judge.hint"])
    await fits(page)
    await screenshot(page, "judge-english-tablet")
    no_errors(page)


async def test_screenshots_of_the_judge_pad(studio: Studio) -> None:
    """A judged round in progress at every size: one sent, one being changed, one locked."""
    studio.run(c.StartShow())
    studio.run(c.SubmitScores(judge="gk-1", team="nam-tra-my", scores=_scores(7, 3, 4)))
    studio.run(c.SubmitScores(judge="gk-1", team="tam-ky", scores=_scores(8, 4, "4.5")))
    studio.run(c.LockScores(team="nam-tra-my"))
    for size in SIZES:
        page = await open_judge(studio, "gk-1", size)
        card = judge_card(page, "dien-ban")
        await card.locator('input[data-criterion="noi-dung"]').fill("9")
        await card.locator('input[data-criterion="hinh-thuc"]').fill("5.5")
        await expect(card.locator("input.invalid")).to_have_count(1)
        await fits(page)
        await screenshot(page, f"judge-sheet-{size}")
        await page.context.close()


async def test_screenshots_of_the_team_pad_in_a_judged_round(studio: Studio) -> None:
    studio.run(c.StartShow(), c.AdjustScore(team="dien-ban", points=Decimal("125.5"), reason="x"))
    for size in ("phone", "tablet"):
        page = await open_team(studio, "dien-ban", size)
        await expect(page.locator("#waiting-text")).to_have_text(VI["team.wait_judges"])
        await expect(page.locator("#score")).to_have_text("125,50")
        await fits(page)
        await screenshot(page, f"team-judged-round-{size}")
        await page.context.close()


def test_strings_are_json() -> None:
    for name in ("team", "judge"):
        data = json.loads((ROOT / "controller" / "strings" / f"{name}.json").read_text(encoding="utf-8"))
        assert all(key.startswith(f"{name}.") for key in data)
