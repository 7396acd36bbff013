"""The audience's phone page in real Chromium, against a live server.

The producer's side is driven straight through the service; the phone under test only through its
page; the rest of the hall votes with plain socket.io clients on ``/audience``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
import socketio
from playwright.async_api import expect

from server.core import commands as c
from server.i18n import strings
from server.transport.keys import HUB
from server.transport.limits import TokenBucket
from tests.browser.conftest import ROOT, Studio, screenshot
from tests.browser.test_pads import fits, no_errors
from tests.wording import vi

VI = strings("vi")
EN = strings("en")
PAGE_FILES = ("/audience", "/audience/static/audience.css", "/audience/static/audience.js")
BUDGET = 26_000  # bytes for the page's own HTML, CSS and JS (the shared client, socket.io and fonts aside); 25 KB until
# the signed phone identity (issue 16) and the CSP-safe strings block took it to about 25.3 KB


class Hall:
    """Other phones in the audience: socket.io clients with their own device ids."""

    def __init__(self, studio: Studio) -> None:
        self.studio = studio
        self.clients: list[socketio.AsyncClient] = []

    async def phone(self, device: str) -> socketio.AsyncClient:
        sio = socketio.AsyncClient(reconnection=False)
        await sio.connect(self.studio.url, namespaces=["/audience"], auth={"device": device}, transports=["websocket"])
        self.clients.append(sio)
        return sio

    async def vote(self, device: str, option: str, nickname: str = "") -> dict:
        sio = await self.phone(device)
        payload = {"option": option, "nickname": nickname} if nickname else {"option": option}
        return await sio.call("vote", payload, namespace="/audience")


@pytest.fixture
async def hall(studio: Studio) -> AsyncIterator[Hall]:
    hall = Hall(studio)
    yield hall
    for sio in hall.clients:
        await sio.disconnect()


async def phone(studio: Studio, path: str = "/audience"):
    page = await studio.open(path, size="phone")
    await page.wait_for_selector("body[data-status=live]")
    return page


def options(page):
    return page.locator("#options button.opt")


def option(page, key: str):
    return page.locator(f'#options button[data-option="{key}"]')


async def still(page) -> None:
    """Wait for the result bars to finish growing (a screenshot mid-transition shows them short)."""
    await page.wait_for_function(
        "document.getAnimations().every(a => a.playState !== 'running' || a.effect.getTiming().iterations === Infinity)"
    )


# -- the catalogue and the weight ------------------------------------------------------------------------


def test_page_uses_only_catalogue_keys() -> None:
    used: set[str] = set()
    for name in ("static/audience.js", "templates/audience.html"):
        text = (ROOT / "audience" / name).read_text(encoding="utf-8")
        used |= set(re.findall(r"""["'](audience\.[a-z_]+)["']""", text))
    used |= {f"audience.{s}" for s in ("connecting", "live", "offline", "refused")}  # t(`audience.${status}`)
    assert len(used) > 25
    assert sorted(k for k in used if k not in VI) == []
    assert sorted(k for k in VI if k.startswith("audience.") and k not in used) == []  # nothing dead either


async def test_page_is_light(studio: Studio) -> None:
    total = 0
    async with aiohttp.ClientSession() as session:
        for path in PAGE_FILES:
            async with session.get(studio.url + path) as response:
                assert response.status == 200, path
                total += len(await response.read())
        async with session.get(studio.url + "/a", allow_redirects=False) as response:
            assert response.status == 302 and response.headers["Location"] == "/audience"
    assert total < BUDGET, total


# -- the audience quiz ------------------------------------------------------------------------------------


async def test_audience_question_from_join_to_winners(studio: Studio, hall: Hall) -> None:
    page = await phone(studio, "/a")  # the QR code's short address
    assert page.url.endswith("/audience")
    await expect(page.locator("#waiting h1")).to_have_text(VI["audience.wait_title"])
    await fits(page)
    await screenshot(page, "audience-waiting-phone")

    studio.run(c.StartShow(), c.GotoSegment(index=4), c.ShowQuestion())
    await expect(page.locator("#text")).to_contain_text("mã OTP")
    await expect(options(page)).to_have_count(4)
    await expect(page.locator("#note")).to_have_text(VI["audience.soon"])
    for button in await options(page).all():
        await expect(button).to_be_disabled()
    await screenshot(page, "audience-ready-phone")

    studio.run(c.OpenAnswers())
    await expect(option(page, "B")).to_be_enabled()
    await expect(page.locator("#countdown")).to_be_visible()
    left = int(await page.text_content("#seconds"))
    assert 15 <= left <= 20, left
    await page.fill("#nickname", "Lan <b>")
    await fits(page)
    await screenshot(page, "audience-open-phone")

    await option(page, "B").click()
    await expect(page.locator("#note")).to_contain_text(VI["audience.recorded"].format(choice="B"))
    for button in await options(page).all():
        await expect(button).to_be_disabled()  # one vote per phone: nothing left to tap
    await expect(option(page, "B")).to_have_class(re.compile(r"\bmine\b"))
    await expect(page.locator("#nick")).to_be_hidden()
    await screenshot(page, "audience-voted-phone")
    question = studio.service.state.board.question
    ballots = studio.service.state.ballots[f"{question.id}#{question.epoch}"]
    device = await page.evaluate("localStorage.getItem('showcaller.phone')")
    assert ballots[device].option == "B" and ballots[device].nickname == "Lan"  # the server strips markup

    # A second vote forced past the page, from the same phone: the server refuses it.
    ack = await (await hall.phone(device)).call("vote", {"option": "A"}, namespace="/audience")
    assert not ack["ok"] and "đã bình chọn" in vi(ack["error"]), ack
    # The rest of the hall: one more right answer, two wrong.
    for device_, choice, nickname in (("hall-0001", "B", "Minh"), ("hall-0002", "A", "Hoa"), ("hall-0003", "C", "")):
        assert (await hall.vote(device_, choice, nickname))["ok"]

    # A reload (or a phone that slept) keeps showing its vote.
    await page.reload()
    await page.wait_for_selector("body[data-status=live]")
    await expect(page.locator("#note")).to_contain_text(VI["audience.recorded"].format(choice="B"))
    await expect(option(page, "A")).to_be_disabled()
    # With the server's memory (`mine`), even a wiped localStorage.
    await page.evaluate("localStorage.removeItem('showcaller.votes')")
    await page.reload()
    await expect(page.locator("#note")).to_contain_text(VI["audience.recorded"].format(choice="B"))
    assert "B" in await page.evaluate("localStorage.getItem('showcaller.votes')")

    studio.run(c.CloseAnswers())
    await expect(page.locator("#note")).to_contain_text(VI["audience.closed"])
    await expect(page.locator("#note small")).to_contain_text(VI["audience.results"].format(total=4))
    await expect(page.locator("#countdown")).to_be_hidden()
    counts = {"A": ("1", "25%"), "B": ("2", "50%"), "C": ("1", "25%"), "D": ("0", "0%")}
    for key, (n, share) in counts.items():
        await expect(option(page, key).locator(".count")).to_have_text(f"{n}{share}")
    share = await option(page, "B").evaluate("b => getComputedStyle(b).getPropertyValue('--share')")
    assert float(share) == 0.5
    await fits(page)
    await still(page)
    await screenshot(page, "audience-closed-phone")

    studio.run(c.RevealAnswer())
    await expect(option(page, "B")).to_have_class(re.compile(r"\bright\b"))
    await expect(page.locator("#note")).to_contain_text(VI["audience.right"])
    await expect(page.locator("#winner-list li")).to_have_text(["Lan", "Minh"])  # the quickest right answers
    await fits(page)
    await still(page)
    await screenshot(page, "audience-revealed-phone")

    # The next question: a fresh ballot, the buttons open again.
    studio.run(c.ShowQuestion(), c.OpenAnswers())
    await expect(page.locator("#text")).to_contain_text("QR")
    await expect(option(page, "C")).to_be_enabled()
    await expect(page.locator("#nickname")).to_have_value("Lan <b>")  # remembered
    fonts = await page.evaluate(
        "performance.getEntriesByType('resource').map(e => e.name).filter(n => n.endsWith('.woff2'))"
    )
    assert fonts and all(re.search(r"-(500|800)-normal", f) for f in fonts), fonts  # two weights, not four
    no_errors(page)


async def test_a_phone_that_did_not_vote_and_a_wrong_one(studio: Studio, hall: Hall) -> None:
    studio.run(c.StartShow(), c.GotoSegment(index=4), c.ShowQuestion(), c.OpenAnswers())
    idle = await phone(studio)
    wrong = await phone(studio)
    await option(wrong, "A").click()
    await expect(wrong.locator("#note")).to_contain_text(VI["audience.recorded"].format(choice="A"))
    studio.run(c.CloseAnswers())
    await expect(idle.locator("#note")).to_contain_text(VI["audience.closed"])
    await expect(idle.locator("#note small")).to_contain_text(VI["audience.no_vote"])
    await screenshot(idle, "audience-closed-no-vote-phone")
    studio.run(c.RevealAnswer())
    await expect(wrong.locator("#note")).to_contain_text(VI["audience.wrong"].format(answer="B"))
    await expect(wrong.locator("#winners p")).to_have_text(VI["audience.no_winners"])
    await expect(idle.locator("#note")).to_contain_text(VI["audience.answer_is"].format(answer="B"))
    await still(wrong)
    await screenshot(wrong, "audience-revealed-wrong-phone")
    no_errors(idle, wrong)


async def test_time_up_closes_the_buttons_before_the_server_says_so(studio: Studio) -> None:
    studio.run(c.StartShow(), c.GotoSegment(index=4), c.ShowQuestion())
    context = await studio.browser.new_context(viewport={"width": 390, "height": 844})
    await context.clock.install()
    page = await studio.open("/audience", context=context)
    await page.wait_for_selector("body[data-status=live]")
    studio.run(c.OpenAnswers())
    await expect(option(page, "A")).to_be_enabled()
    await page.clock.fast_forward(21_000)  # the phone's clock only: the server has not closed the vote yet
    await expect(page.locator("#note")).to_contain_text(VI["audience.closed"])
    await expect(option(page, "A")).to_be_disabled()
    assert studio.service.state.board.question.phase.value == "open"
    await screenshot(page, "audience-time-up-phone")
    no_errors(page)


# -- the team vote in a judged round -------------------------------------------------------------------


async def test_team_vote_in_the_judged_round(studio: Studio, hall: Hall) -> None:
    page = await phone(studio)
    studio.run(c.StartShow(), c.GotoSegment(index=1))
    await expect(page.locator("#waiting")).to_be_visible()
    studio.run(c.OpenVoting())
    await expect(page.locator("#kind")).to_have_text(VI["audience.kind_team_vote"])
    await expect(page.locator("#text")).to_have_text("Sáng tạo số")
    await expect(options(page)).to_have_text(["Đội Thành phố Tam Kỳ", "Đội Thị xã Điện Bàn", "Đội Huyện Nam Trà My"])
    await expect(page.locator("#nick")).to_be_hidden()  # no winners in a team vote: no name to ask for
    await expect(page.locator("#countdown")).to_be_hidden()
    await fits(page)
    await screenshot(page, "audience-team-vote-phone")
    await option(page, "dien-ban").click()
    await expect(page.locator("#note")).to_contain_text(VI["audience.recorded"].format(choice="Đội Thị xã Điện Bàn"))
    await expect(option(page, "tam-ky")).to_be_disabled()
    assert (await hall.vote("hall-0004", "tam-ky"))["ok"]
    studio.run(c.CloseVoting())
    await expect(page.locator("#note")).to_contain_text(VI["audience.closed"])
    chose = VI["audience.you_chose"].format(choice="Đội Thị xã Điện Bàn")
    await expect(page.locator("#note small")).to_contain_text(chose)
    await screenshot(page, "audience-team-vote-closed-phone")
    no_errors(page)


# -- the connection, and English -----------------------------------------------------------------------


async def test_offline_keeps_the_picture_and_recovers(studio: Studio, hall: Hall) -> None:
    studio.run(c.StartShow(), c.GotoSegment(index=4), c.ShowQuestion(), c.OpenAnswers())
    page = await phone(studio)
    await expect(option(page, "A")).to_be_enabled()
    await page.context.set_offline(True)
    await expect(page.locator("#offline")).to_be_visible(timeout=10_000)
    await expect(page.locator("#text")).to_contain_text("mã OTP")  # the last picture stays
    await expect(option(page, "A")).to_be_disabled()  # a tap could not be sent
    await screenshot(page, "audience-offline-phone")
    studio.run(c.CloseAnswers(), c.RevealAnswer(), c.ShowQuestion(), c.OpenAnswers())  # the show goes on meanwhile
    await page.context.set_offline(False)
    await expect(page.locator("#offline")).to_be_hidden(timeout=10_000)
    await expect(page.locator("#text")).to_contain_text("QR")
    await option(page, "C").click()
    await expect(page.locator("#note")).to_contain_text(VI["audience.recorded"].format(choice="C"))
    no_errors(page)


class Crowded(TokenBucket):
    """A join limit that turns the first phone away and lets the next attempt in, however long a page takes."""

    def __init__(self) -> None:
        super().__init__(1.0, 1)
        self.turned_away = False

    def take(self) -> bool:
        if self.turned_away:
            return True
        self.turned_away = True
        return False


async def test_a_phone_turned_away_in_a_crowd_comes_back_by_itself(studio: Studio) -> None:
    studio.run(c.StartShow(), c.GotoSegment(index=4), c.ShowQuestion(), c.OpenAnswers())
    audience = studio.app[HUB].sio.namespace_handlers["/audience"]
    audience.limits[("join", "127.0.0.1")] = Crowded()  # the hall's network has just spent its joins
    refusals: list[str] = []
    refuse = audience.refuse
    audience.refuse = lambda code, *args: refusals.append(code) or refuse(code, *args)
    page = await studio.open("/audience", size="phone")
    await expect(page.locator("body")).to_have_attribute("data-status", "live", timeout=10_000)
    assert refusals == ["rate_limited"]  # turned away first, back without a tap
    await expect(option(page, "A")).to_be_enabled()
    no_errors(page)


async def test_english(studio: Studio, hall: Hall) -> None:
    page = await phone(studio, "/a?lang=en")
    assert page.url.endswith("/audience?lang=en")
    await expect(page.locator("#waiting h1")).to_have_text(EN["audience.wait_title"])
    studio.run(c.StartShow(), c.GotoSegment(index=4), c.ShowQuestion(), c.OpenAnswers())
    await expect(page.locator("#note")).to_have_text(EN["audience.tap_to_vote"])
    await expect(page.locator("#nick span")).to_have_text(EN["audience.nickname"])
    await option(page, "D").click()
    await expect(page.locator("#note")).to_contain_text(EN["audience.recorded"].format(choice="D"))
    studio.run(c.CloseAnswers(), c.RevealAnswer())
    await expect(page.locator("#note")).to_contain_text(EN["audience.wrong"].format(answer="B"))
    await fits(page)
    await still(page)
    await screenshot(page, "audience-revealed-phone-en")
    no_errors(page)
