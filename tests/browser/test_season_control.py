"""The season panel of the controller in headless Chromium: the next stage, confirming it, the
standings and bracket, and a correction of a played show."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from server.app import Settings, create_app
from server.log.store import EventLog
from server.season.book import SeasonBook
from server.season.sim import play_season
from tests.browser.conftest import ROOT, Studio, screenshot

SEASON = ROOT / "show_configs" / "quang-nam-2024.season.yaml"


def season_db(tmp_path: Path, until: str, confirm: tuple[str, ...] = ()) -> Path:
    """A database with the season played offline up to and including stage ``until``."""
    db = tmp_path / "season.db"
    log = EventLog(db)
    try:
        book = SeasonBook.open(SEASON, log)
        play_season(book, until=until)
        for stage in confirm:
            book.confirm(stage, by="test", seed=7)
    finally:
        log.close()
    return db


@contextlib.asynccontextmanager
async def season_studio(aiohttp_server, browser, db: Path, show: str) -> AsyncIterator[Studio]:
    app = create_app(Settings(config_path=SEASON, db_path=db, obs=False, season_path=SEASON, season_show=show))
    server = await aiohttp_server(app, host="127.0.0.1")
    yield Studio(server, app, browser)


async def producer_view(studio: Studio) -> dict:
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {studio.token('producer')}"}
        async with http.get(f"{studio.url}/api/v1/state", headers=headers) as response:
            body = await response.json()
    assert body["ok"], body
    return body["view"]


async def page_box(page, selector: str) -> dict:
    """Where an element is on the page (not in the viewport: scrolling does not move it)."""
    return await page.eval_on_selector(
        selector, "el => { const r = el.getBoundingClientRect(); return {x: r.x + scrollX, y: r.y + scrollY}; }"
    )


def standing(view: dict, team: str) -> dict:
    return next(r for r in view["season"]["standings"] if r["team"] == team)


async def test_a_plain_show_has_no_season_panel(studio: Studio) -> None:
    page = await studio.control()
    assert await page.is_hidden("#season")
    assert page.errors == []


async def test_the_panel_shows_where_the_season_stands_without_moving_the_controls(
    aiohttp_server, browser, tmp_path: Path
) -> None:
    db = season_db(tmp_path, until="vl", confirm=("bk",))
    async with season_studio(aiohttp_server, browser, db, "bk-1") as studio:
        page = await studio.control()
        await page.wait_for_selector("#season:not([hidden])")
        # The final waits for both semi-finals; nothing to confirm yet.
        assert await page.text_content(".season-stage-title") == "Chung kết"
        waiting = await page.text_content("#season-next")
        assert "Chờ kết quả: Bán kết 1, Bán kết 2" in waiting
        assert await page.is_disabled("#season-confirm")
        assert "Chung kết: chờ kết quả" in await page.text_content("#season-summary")
        # Were it clicked anyway, the server's refusal is shown in words.
        await page.eval_on_selector("#season-confirm", "el => { el.disabled = false; }")
        await page.click("#season-confirm")
        await page.click("#dialog-ok")
        await page.wait_for_selector("#season-confirm-error:not([hidden])")
        assert "còn chờ kết quả" in await page.text_content("#season-confirm-error")
        assert await page.locator("#season-standings li").count() == 17
        assert await page.text_content("[data-show=qn2024-bk-1] .chip") == "đang thi"
        assert await page.locator("[data-show=qn2024-bk-1] li").count() == 3
        assert await page.locator("#season-standings li.here").count() == 3  # this show's teams
        # Only the qualifiers are played: the form offers them.
        assert await page.locator("#season-show option").count() == 6
        await screenshot(page, "control-season-waiting-desktop")
        # The panel sits below the show's controls: folding it moves none of them.
        before = await page_box(page, "#open")
        assert (await page_box(page, "#season"))["y"] > before["y"]
        await page.click("#season > summary")
        assert not await page.locator("#season").evaluate("el => el.open")
        assert await page_box(page, "#open") == before
        assert await page.text_content("#season-summary") == "Chung kết: chờ kết quả"
        await screenshot(page, "control-season-folded-desktop")
        assert page.errors == []


async def test_a_correction_and_the_final_confirmed_from_the_panel(aiohttp_server, browser, tmp_path: Path) -> None:
    db = season_db(tmp_path, until="bk")
    async with season_studio(aiohttp_server, browser, db, "bk-1") as studio:
        page = await studio.control()
        await page.wait_for_selector("#season:not([hidden])")
        # Both semi-finals played: the rules propose the final (two winners, the best runner-up).
        proposal = (await producer_view(studio))["season"]["next"][0]
        assert proposal["stage"] == "ck" and proposal["lineups"] == [["hiep-duc", "phu-ninh", "hoi-an"]]
        next_ = await page.text_content("#season-next")
        assert "Chung kết: Đội Huyện Hiệp Đức, Đội Huyện Phú Ninh, Đội Thành phố Hội An" in next_
        assert await page.is_enabled("#season-confirm")
        await screenshot(page, "control-season-proposal-desktop")

        # A correction without a reason is refused, in words.
        await page.select_option("#season-show", "qn2024-bk-2")
        await page.select_option("#season-team", "thang-binh")
        await page.fill("#season-points", "25")
        await page.click("#season-correct-send")
        await page.wait_for_selector("#season-correct-error:not([hidden])")
        assert "điều chỉnh điểm cần lý do" in await page.text_content("#season-correct-error")
        assert standing(await producer_view(studio), "thang-binh")["points"] == 234.03
        await screenshot(page, "control-season-error-desktop")

        # With a reason: the points count, and Thăng Bình becomes the best runner-up.
        await page.fill("#season-reason", "Khiếu nại câu 7 được chấp nhận")
        await page.click("#season-correct-send")
        await page.wait_for_selector("#season-correct-error", state="hidden")
        await page.wait_for_function(
            "document.querySelector('#season-standings li[data-team=thang-binh] .pts').textContent == '259,03'"
        )
        assert await page.input_value("#season-reason") == ""
        await page.wait_for_function("document.querySelector('#season-next').textContent.includes('Thăng Bình')")
        assert (await producer_view(studio))["season"]["next"][0]["lineups"] == [["hiep-duc", "phu-ninh", "thang-binh"]]

        # Confirming asks first; cancelling changes nothing.
        await page.click("#season-confirm")
        await page.wait_for_selector("#dialog:not([hidden])")
        assert "Không thể hoàn tác" in await page.text_content("#dialog-text")
        await page.click("#dialog-cancel")
        assert (await producer_view(studio))["season"]["next"][0]["stage"] == "ck"
        await page.click("#season-confirm")
        await page.click("#dialog-ok")
        await page.wait_for_function(
            "document.querySelector('#season-summary').textContent == 'Đã xác nhận đội của mọi vòng'"
        )
        view = await producer_view(studio)
        final = view["season"]["bracket"][-1]["shows"][0]
        assert view["season"]["next"] == [] and final["confirmed"]
        assert [x["team"] for x in final["teams"]] == ["hiep-duc", "phu-ninh", "thang-binh"]
        assert await page.is_hidden("#season-confirm")
        assert not await page.locator("[data-show=qn2024-ck-1]").evaluate("el => el.classList.contains('proposed')")
        await screenshot(page, "control-season-confirmed-desktop")

        # Another correction after the confirm: the rules would now send Hội An; the panel says so.
        await page.fill("#season-points", "-30")
        await page.fill("#season-reason", "Khiếu nại của đội Hội An được chấp nhận")
        await page.click("#season-correct-send")
        await page.wait_for_selector(".season-conflict[data-stage=ck]")
        conflict = await page.text_content(".season-conflict")
        assert "Đội Huyện Thăng Bình" in conflict and "Đội Thành phố Hội An" in conflict
        assert (await page.text_content("#season-summary")).startswith("⚠ Đội đã xác nhận lệch điều lệ")
        await screenshot(page, "control-season-conflict-desktop")
        assert page.errors == []


async def test_the_panel_in_english(aiohttp_server, browser, tmp_path: Path) -> None:
    db = season_db(tmp_path, until="bk")
    async with season_studio(aiohttp_server, browser, db, "bk-1") as studio:
        page = await studio.control(size="tablet", lang="en")
        await page.wait_for_selector("#season:not([hidden])")
        assert await page.text_content("#season-summary") == "Chung kết: line-ups to confirm"
        assert await page.text_content("#season-confirm") == "Confirm"
        await page.fill("#season-points", "0")
        await page.fill("#season-reason", "Appeal upheld")
        await page.click("#season-correct-send")
        await page.wait_for_selector("#season-correct-error:not([hidden])")
        assert "non-zero" in await page.text_content("#season-correct-error")
        await screenshot(page, "control-season-en-tablet")
