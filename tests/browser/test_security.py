"""Security headers and tokens out of the address bar, in headless Chromium (issue 16, point 2).

Every page loads under the strict CSP without a single violation; a foreign site cannot frame the
controller while its own program monitor shows the overlay; a token link is traded for an HttpOnly
cookie and leaves neither the address bar nor the history.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from server.transport.keys import HUB
from tests.browser.conftest import Studio, screenshot

HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}


def violations(page: Any) -> list[str]:
    """Every CSP refusal and script error the page reports, collected as they come."""
    found: list[str] = []
    page.on("console", lambda msg: found.append(msg.text) if _is_csp(msg.text) else None)
    page.on("pageerror", lambda exc: found.append(str(exc)))
    return found


def _is_csp(text: str) -> bool:
    return "Content Security Policy" in text or text.startswith("Refused to")


async def opened(studio: Studio, path: str, size: tuple[int, int] = (1600, 1000)) -> tuple[Any, Any, list[str]]:
    context = await studio.browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = await context.new_page()
    found = violations(page)
    response = await page.goto(f"{studio.url}{path}")
    return page, response, found


def check_headers(headers: dict[str, str], framed: bool) -> None:
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self';" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp
    assert ("frame-ancestors 'self'" if framed else "frame-ancestors 'none'") in csp
    assert headers["x-frame-options"] == ("SAMEORIGIN" if framed else "DENY")
    for name, value in HEADERS.items():
        assert headers[name] == value


PAGES = [
    # (path, what says it works, may it be framed by our own pages)
    ("/control?token={producer}&lang=en", "body[data-status=live]", False),
    ("/host?token={host}", "body[data-status=live]", False),
    ("/team?token={team}", "body[data-status=live]", False),
    ("/judge?token={judge}", "body[data-status=live]", False),
    ("/overlay/program", "body[data-status=live]", True),
    ("/overlay/program?preview=1&on=scoreboard,question,timer,buzzer", "body[data-status=preview]", True),
    ("/overlay/program?preview=1&on=lower_third,judges,audience", "body[data-status=preview]", True),
    ("/overlay/program?preview=1&on=standings,bracket,winner", "body[data-status=preview]", True),
    ("/screen", "body[data-status=live]", False),
    ("/audience", "body[data-status=live]", False),
    ("/a", "body[data-status=live]", False),
    ("/control?token=not-the-producer", "#refused", False),
]


@pytest.mark.parametrize(
    ("path", "ready", "framed"), PAGES, ids=[p[0].split("?")[0] + str(i) for i, p in enumerate(PAGES)]
)
async def test_every_page_carries_the_headers_and_loads_without_a_csp_violation(
    studio: Studio, path: str, ready: str, framed: bool
) -> None:
    first_team, first_judge = studio.service.config.team_ids[0], studio.service.config.judge_ids[0]
    tokens = {
        "producer": studio.token("producer"),
        "host": studio.token("host"),
        "team": studio.token("team", first_team),
        "judge": studio.token("judge", first_judge),
    }
    page, response, found = await opened(studio, path.format(**tokens))
    await page.wait_for_selector(ready, state="attached")
    await page.wait_for_load_state("networkidle")  # fonts, pictures, the program monitor's frame
    check_headers(await response.all_headers(), framed)
    assert found == []


async def test_static_files_and_errors_carry_the_headers_too(studio: Studio) -> None:
    context = await studio.browser.new_context()
    for path, status in [("/static/js/show-client.js", 200), ("/join.svg", 200), ("/nowhere", 404)]:
        response = await context.request.get(f"{studio.url}{path}")
        assert response.status == status
        check_headers(response.headers, framed=False)
    response = await context.request.get(f"{studio.url}/api/v1/nothing")
    assert response.status == 404 and (await response.json())["ok"] is False  # still JSON, with the headers
    check_headers(response.headers, framed=False)
    await context.close()


@pytest.fixture
async def foreign(aiohttp_server):
    """Another site on another loopback address: a page that frames and links to whatever it is told."""
    pages: dict[str, str] = {}

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=pages[request.match_info["name"]], content_type="text/html")

    app = web.Application()
    app.router.add_get("/{name}", page)
    server = await aiohttp_server(app, host="127.0.0.2")
    return pages, f"http://127.0.0.2:{server.port}"


async def test_a_foreign_site_cannot_frame_the_controller_while_its_program_monitor_shows_the_overlay(
    studio: Studio, foreign
) -> None:
    pages, origin = foreign
    control = f"{studio.url}/control?token={studio.token('producer')}"
    pages["frame"] = (
        f'<!doctype html><iframe id="c" src="{control}" width="800" height="500"></iframe>'
        f'<iframe id="o" src="{studio.url}/overlay/program" width="800" height="500"></iframe>'
    )
    context = await studio.browser.new_context()
    page = await context.new_page()
    refused: list[str] = []
    both = asyncio.Event()

    def seen(msg: Any) -> None:
        if "frame-ancestors" in msg.text:
            refused.append(msg.text)
        if len(refused) >= 2:
            both.set()

    page.on("console", seen)
    await page.goto(f"{origin}/frame")
    async with asyncio.timeout(10):
        await both.wait()
    # The controller's ('none') and the overlay's ('self': our own pages only).
    assert any("frame-ancestors 'none'" in text for text in refused), refused
    assert any("frame-ancestors 'self'" in text for text in refused), refused
    for frame in page.main_frame.child_frames:
        # A refused frame shows Chromium's error page: nothing of ours, no script of ours running.
        assert not frame.url.startswith(studio.url), frame.url
    await screenshot(page, "security-foreign-frame")
    # The producer's own controller frames the overlay as its program monitor.
    producer = await studio.control()
    monitor = producer.frame_locator("#program")
    await monitor.locator("body[data-status=live]").wait_for()
    assert producer.errors == []


async def history(page: Any) -> list[str]:
    """Every address in the tab's session history (the browser's own list, not the page's)."""
    session = await page.context.new_cdp_session(page)
    entries = (await session.send("Page.getNavigationHistory"))["entries"]
    await session.detach()
    return [entry["url"] for entry in entries]


async def signed_in_by_cookie(studio: Studio, page: Any, token: str, path: str) -> None:
    """The token left the address bar and the history for an HttpOnly cookie; the page is live."""
    await page.wait_for_selector("body[data-status=live]")
    assert token not in page.url and page.url.startswith(f"{studio.url}{path}")
    assert token not in await page.evaluate("document.cookie")
    assert all(token not in url for url in await history(page)), await history(page)
    (cookie,) = [c for c in await page.context.cookies() if c["value"] == token]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    await page.reload()
    await page.wait_for_selector("body[data-status=live]")
    assert token not in page.url


async def test_the_controller_trades_its_token_for_a_cookie_and_stays_live_across_a_reload(studio: Studio) -> None:
    token = studio.token("producer")
    page, response, found = await opened(studio, f"/control?token={token}&lang=en")
    assert page.url == f"{studio.url}/control?lang=en"  # other parameters kept
    assert response.request.redirected_from is not None
    assert response.request.redirected_from.url.endswith(f"token={token}&lang=en")
    await signed_in_by_cookie(studio, page, token, "/control")
    assert await page.get_attribute("html", "lang") == "en"
    # The devices panel asks for the pads with the cookie, and their QR codes load with it too.
    await page.click("#badge-teams")
    await page.wait_for_selector("#devices-panel img")
    src = await page.get_attribute("#devices-panel img", "src")
    assert "token" not in src
    assert await page.evaluate(
        "(img) => img.complete && img.naturalWidth > 0", await page.query_selector("#devices-panel img")
    )
    await screenshot(page, "security-control-signed-in")
    assert found == []


async def test_a_team_pad_trades_its_token_and_a_newer_link_never_turns_an_open_pad_into_another_team(
    studio: Studio,
) -> None:
    first, second = studio.service.config.team_ids[:2]
    token = studio.token("team", first)
    page, _, found = await opened(studio, f"/team?token={token}", (1024, 768))
    assert page.url == f"{studio.url}/team"
    await signed_in_by_cookie(studio, page, token, "/team")
    assert await page.get_attribute("#team-name", "data-team") == first
    # The producer tries the second team's link in the same browser: the newest link wins for /team...
    other = await page.context.new_page()
    await other.goto(f"{studio.url}/team?token={studio.token('team', second)}")
    await other.wait_for_selector("body[data-status=live]")
    assert await other.get_attribute("#team-name", "data-team") == second
    # ...and the first tab, its connection dropped, reconnects refused rather than as the second team.
    await page.context.set_offline(True)  # the hall's Wi-Fi drops for a moment
    await page.wait_for_selector("body[data-status=offline]")
    await page.context.set_offline(False)
    await page.wait_for_selector("body[data-status=refused]")
    await other.wait_for_selector("body[data-status=live]")
    hub = studio.app[HUB]
    assert first not in hub.team_pads and second in hub.team_pads
    await screenshot(page, "security-team-pad-swapped")
    # Reloaded, it is drawn from the cookie: the newest link's team.
    await page.reload()
    await page.wait_for_selector("body[data-status=live]")
    assert await page.get_attribute("#team-name", "data-team") == second
    assert found == []


async def test_a_link_followed_from_another_site_still_signs_in(studio: Studio, foreign) -> None:
    pages, origin = foreign
    # A page refused outright without its cookie: the controller shows the cookie made it.
    token = studio.token("producer")
    pages["link"] = f'<!doctype html><a id="go" href="{studio.url}/control?token={token}">desk</a>'
    context = await studio.browser.new_context()
    page = await context.new_page()
    found = violations(page)
    await page.goto(f"{origin}/link")
    await page.click("#go")
    await page.wait_for_url(f"{studio.url}/control")
    await signed_in_by_cookie(studio, page, token, "/control")
    assert found == []
