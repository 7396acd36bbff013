"""A page's token traded for a cookie (server/transport/signin.py), over real HTTP and real sockets."""

from __future__ import annotations

import aiohttp
import pytest
import socketio

from server.app import Settings
from server.transport.signin import cookie_name, read_cookie
from tests.transport.conftest import LiveShow, serve


def cookie_for(live: LiveShow, role: str, token: str) -> str:
    return f"{cookie_name(live.service.config.id, role)}={token}"


async def get(live: LiveShow, path: str, **headers: str) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as http:  # a fresh jar each time: only the cookies given here
        async with http.get(f"{live.url}{path}", headers=headers, allow_redirects=False) as response:
            await response.read()
            return response


async def test_a_token_link_answers_a_redirect_without_it_and_an_httponly_strict_cookie(live: LiveShow) -> None:
    token = live.token("producer")
    response = await get(live, f"/control?lang=en&token={token}&x=1")
    assert response.status == 303
    assert response.headers["Location"] == "/control?lang=en&x=1"
    assert response.headers["Cache-Control"] == "no-store"
    (set_cookie,) = response.headers.getall("Set-Cookie")
    assert set_cookie.startswith(f"{cookie_name(live.service.config.id, 'producer')}={token};")
    for part in ("HttpOnly", "SameSite=Strict", "Path=/"):
        assert part in set_cookie
    assert "Secure" not in set_cookie and "expires" not in set_cookie.lower()  # plain http; a session cookie
    # The page then opens with the cookie; without it, or with a wrong one, it is refused.
    assert (await get(live, "/control?lang=en", Cookie=cookie_for(live, "producer", token))).status == 200
    assert (await get(live, "/control")).status == 403
    assert (await get(live, "/control", Cookie=cookie_for(live, "producer", "wrong"))).status == 403
    assert (await get(live, "/control", Cookie=cookie_for(live, "host", live.token("host")))).status == 403


async def test_a_wrong_or_foreign_token_sets_no_cookie(live: LiveShow) -> None:
    for path in ("/control?token=wrong", f"/control?token={live.token('host')}", "/host?token="):
        response = await get(live, path)
        assert response.status == 403 and "Set-Cookie" not in response.headers
    # A pad says it itself (the page opens, its socket is refused): no cookie either.
    response = await get(live, f"/team?token={live.token('producer')}")
    assert response.status == 200 and "Set-Cookie" not in response.headers


async def test_a_link_from_another_site_gets_a_page_that_takes_the_next_step_itself(live: LiveShow) -> None:
    token = live.token("team", live.service.config.team_ids[0])
    response = await get(live, f"/team?token={token}&lang=en", **{"Sec-Fetch-Site": "cross-site"})
    assert response.status == 200 and "Set-Cookie" in response.headers
    assert '<meta http-equiv="refresh" content="0;url=/team?lang=en">' in await response.text()
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


async def test_a_cookie_carrying_a_token_of_odd_characters_reads_back_whole() -> None:
    assert read_cookie("a=1; showcaller-x-team=t%3B%20%22x%22; b=2", "showcaller-x-team") == 't; "x"'
    assert read_cookie("a=1", "showcaller-x-team") is None
    assert cookie_name("vòng 1/chung kết", "team") == "showcaller-v_ng_1_chung_k_t-team"


async def connect(live: LiveShow, namespace: str, cookie: str, **auth: str) -> socketio.AsyncClient:
    sio = socketio.AsyncClient(reconnection=False)
    refusals: list[dict] = []
    sio.on("connect_error", lambda data: refusals.append(data), namespace=namespace)
    try:
        await sio.connect(
            live.url, namespaces=[namespace], auth=auth, headers={"Cookie": cookie}, transports=["websocket"]
        )
    except socketio.exceptions.ConnectionError:
        raise Refused(refusals[0]["data"]["code"] if refusals else "") from None
    return sio


class Refused(Exception):
    """A refused connection, by its code."""


async def test_sockets_sign_in_with_the_cookie_and_a_pad_never_becomes_another_team(live: LiveShow) -> None:
    first, second = live.service.config.team_ids[:2]
    producer = await connect(live, "/control", cookie_for(live, "producer", live.token("producer")))
    assert (await producer.call("start_show", {}, namespace="/control"))["ok"] is True
    await producer.disconnect()
    # The cookie now holds the second team's token (its link opened since): the first team's tab is refused.
    cookie = cookie_for(live, "team", live.token("team", second))
    with pytest.raises(Refused, match="^unauthorized$"):
        await connect(live, "/team", cookie, me=first, pad="tablet-0001")
    pad = await connect(live, "/team", cookie, me=second, pad="tablet-0001")
    await pad.disconnect()
    # auth.token wins over any cookie (scripts, Companion); no token and no cookie is refused.
    pad = await connect(live, "/team", cookie, token=live.token("team", first), me=first, pad="tablet-0002")
    await pad.disconnect()
    with pytest.raises(Refused, match="^unauthorized$"):
        await connect(live, "/judge", "")


async def test_the_devices_panel_lists_the_pads_and_their_qr_codes_with_the_cookie(live: LiveShow) -> None:
    cookie = cookie_for(live, "producer", live.token("producer"))
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{live.url}/api/v1/pads", headers={"Cookie": cookie}) as response:
            body = await response.json()
        assert body["ok"] is True
        qr = body["pads"][0]["qr"]
        assert "token" not in qr
        async with http.get(f"{live.url}{qr}", headers={"Cookie": cookie}) as response:
            assert response.status == 200 and response.content_type == "image/svg+xml"
        async with http.get(f"{live.url}{qr}") as response:
            assert (await response.json())["error"]["code"] == "unauthorized"
        async with http.get(f"{live.url}/api/v1/pads") as response:
            assert (await response.json())["error"]["code"] == "unauthorized"


async def test_behind_a_trusted_proxy_over_https_the_cookie_is_secure(aiohttp_server, show_files) -> None:
    config, db = show_files
    settings = Settings(config_path=config, db_path=db, trusted_proxies=("127.0.0.1",))
    async with serve(aiohttp_server, settings) as live:
        token = live.token("team", live.service.config.team_ids[0])
        response = await get(live, f"/team?token={token}", **{"X-Forwarded-Proto": "https"})
        assert response.status == 303 and "Secure" in response.headers["Set-Cookie"]
        response = await get(live, f"/team?token={token}")  # plain http: a Secure cookie would not come back
        assert "Secure" not in response.headers["Set-Cookie"]


async def test_an_empty_token_in_the_address_is_no_token(live: LiveShow) -> None:
    token = live.token("producer")
    response = await get(live, "/control?token=", Cookie=cookie_for(live, "producer", token))
    assert response.status == 200 and "Set-Cookie" not in response.headers  # signed in by its cookie
    assert (await get(live, "/control?token=")).status == 403
