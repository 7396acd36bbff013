"""Whose ``X-Forwarded-*`` the server believes: only the proxies named with ``--trusted-proxy``."""

from __future__ import annotations

from unittest import mock

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from multidict import CIMultiDict

from server.cli import main
from server.transport.limits import TRUSTED_PROXIES, TrustedProxies, client_address, network_address, proxy_headers
from server.transport.overlays import PUBLIC_URL, join_url

NGINX = TrustedProxies(["127.0.0.1"])
TWO_HOPS = TrustedProxies(["127.0.0.1", "10.0.0.0/8"])  # nginx here, a load balancer on the private network


def _request(peer: str, trusted: TrustedProxies | None, *pairs: tuple[str, str], **headers: str) -> web.Request:
    """A request from ``peer`` to an app trusting ``trusted`` (None: the app never said)."""
    app = web.Application()
    if trusted is not None:
        app[TRUSTED_PROXIES] = trusted
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (peer, 40000) if name == "peername" else default
    wire = CIMultiDict([*pairs, *((name.replace("_", "-"), value) for name, value in headers.items())])
    return make_mocked_request("GET", "/socket.io/", headers=wire, app=app, transport=transport)


@pytest.mark.parametrize(
    ("peer", "trusted", "forwarded", "expected"),
    [
        ("127.0.0.1", None, "203.0.113.9", "127.0.0.1"),  # by default no peer is a proxy, loopback neither
        ("127.0.0.1", TrustedProxies(), "203.0.113.9", "127.0.0.1"),
        ("127.0.0.1", NGINX, "203.0.113.9", "203.0.113.9"),
        ("127.0.0.1", NGINX, "", "127.0.0.1"),  # a trusted proxy that forwarded nothing
        ("192.168.1.20", NGINX, "203.0.113.9", "192.168.1.20"),  # a phone in the hall claiming another address
        ("::1", NGINX, "203.0.113.9", "::1"),  # trusted by address: ::1 was not named
        ("::ffff:127.0.0.1", NGINX, "203.0.113.9", "203.0.113.9"),  # IPv4 on a dual-stack socket
        # The right-most address that is no trusted proxy: what the client wrote on the left is ignored.
        ("127.0.0.1", NGINX, "6.6.6.6, 198.51.100.7", "198.51.100.7"),
        ("127.0.0.1", TWO_HOPS, "6.6.6.6, 198.51.100.7, 10.1.2.3", "198.51.100.7"),
        ("127.0.0.1", NGINX, "6.6.6.6, 198.51.100.7, 10.1.2.3", "10.1.2.3"),  # 10.1.2.3 not trusted here
        ("10.1.2.3", TWO_HOPS, "198.51.100.7", "198.51.100.7"),
        ("127.0.0.1", TWO_HOPS, "10.0.0.9, 10.1.2.3", "10.0.0.9"),  # every hop a proxy: the farthest
        ("127.0.0.1", NGINX, " 198.51.100.7 ,, ", "198.51.100.7"),
        ("127.0.0.1", NGINX, "unknown", "unknown"),  # what the proxy said, even if not an address
    ],
)
def test_network_address(peer: str, trusted: TrustedProxies | None, forwarded: str, expected: str) -> None:
    request = _request(peer, trusted, X_Forwarded_For=forwarded) if forwarded else _request(peer, trusted)
    assert network_address({"aiohttp.request": request}) == expected
    assert client_address(peer, forwarded, trusted or TrustedProxies()) == expected


def test_several_forwarded_for_headers_read_as_one_list() -> None:
    request = _request("127.0.0.1", NGINX, ("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "198.51.100.7"))
    assert network_address({"aiohttp.request": request}) == "198.51.100.7"


def test_no_request_no_address() -> None:
    assert network_address({}) == ""


async def test_forwarded_headers_only_from_a_trusted_proxy() -> None:
    seen: list[web.Request] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request)
        return web.Response()

    headers = {"X_Forwarded_Proto": "https", "X_Forwarded_For": "203.0.113.9", "X_Forwarded_Host": "evil.example"}
    await proxy_headers(_request("127.0.0.1", NGINX, **headers), handler)
    await proxy_headers(_request("192.168.1.20", NGINX, **headers), handler)
    await proxy_headers(_request("127.0.0.1", None, **headers), handler)
    trusted, untrusted, default = seen
    assert trusted.scheme == "https" and trusted.headers["X-Forwarded-For"] == "203.0.113.9"
    for request in (untrusted, default):  # python-socketio would take X-Forwarded-Proto/-Host as the origin
        assert request.scheme == "http"
        assert not any(name.startswith("X-Forwarded") for name in request.headers), dict(request.headers)


async def test_the_join_address_is_https_behind_a_trusted_proxy() -> None:
    joins: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        joins.append(join_url(request))
        return web.Response()

    for peer in ("127.0.0.1", "192.168.1.20"):
        request = _request(peer, NGINX, Host="vote.example.vn", X_Forwarded_Proto="https")
        request.app[PUBLIC_URL] = None
        await proxy_headers(request, handler)
    assert joins == ["https://vote.example.vn/a", "http://vote.example.vn/a"]


@pytest.mark.parametrize("entry", ["nope", "127.0.0.300", "10.0.0.0/33", ""])
def test_a_bad_entry_is_named(entry: str) -> None:
    with pytest.raises(ValueError, match="trusted proxy") as caught:
        TrustedProxies(["127.0.0.1", entry])
    assert repr(entry) in str(caught.value)


def test_run_refuses_a_bad_trusted_proxy(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--trusted-proxy", "127.0.0.1", "--trusted-proxy", "localhost"]) == 2
    assert "trusted proxy 'localhost': not an IP address or network" in capsys.readouterr().err
