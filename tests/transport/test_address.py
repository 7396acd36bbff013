"""Which address the hall's devices use (server/transport/address.py): the rules, the join QR code
and the pads' addresses made from them, and ``run``'s printout. No packet leaves loopback: the
machine's network address is monkeypatched where the default needs one."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from server.app import Settings, create_app
from server.cli import main, urls_text
from server.configs import load_show
from server.transport import address
from server.transport.address import LISTEN_HOST, PUBLIC_URL, Reach, check_public_url, local_base, network_text, reach
from server.transport.overlays import join_url
from server.transport.pads import pads
from tests.conftest import DEMO

LAN = "192.0.2.2"  # a documentation address standing for the machine's Wi-Fi address; never contacted


@pytest.fixture
def on_the_hall_wifi(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(address, "lan_address", lambda ipv6=False: "2001:db8::2" if ipv6 else LAN)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(address, "lan_address", lambda ipv6=False: "::1" if ipv6 else "127.0.0.1")


def test_the_default_listens_everywhere_and_hands_out_the_network_address(on_the_hall_wifi) -> None:
    assert Settings(config_path=DEMO, db_path=DEMO).host == "0.0.0.0"
    assert reach("0.0.0.0", 8080) == Reach(f"http://{LAN}:8080", True)
    # The producer's laptop opens pages at 127.0.0.1: the codes it shows still carry the hall's address.
    assert reach("0.0.0.0", 8080, seen=("127.0.0.1", 8080)) == Reach(f"http://{LAN}:8080", True)
    assert reach("0.0.0.0", 8080, seen=("localhost", 8080)).base == f"http://{LAN}:8080"
    assert reach("0.0.0.0", 80).base == f"http://{LAN}"
    # A page reached at some other name or address was reached there: devices can use it.
    assert reach("0.0.0.0", 8080, seen=("showpc.local", 8080)) == Reach("http://showpc.local:8080", True)
    assert reach("0.0.0.0", 8080, seen=("10.1.2.3", 9000)).base == "http://10.1.2.3:9000"


def test_ipv6_everywhere_uses_the_ipv6_address(on_the_hall_wifi) -> None:
    assert reach("::", 8080) == Reach("http://[2001:db8::2]:8080", True)
    assert reach("::", 8080, seen=("::1", 8080)).base == "http://[2001:db8::2]:8080"
    assert reach("fd00::5", 8080) == Reach("http://[fd00::5]:8080", True)
    assert local_base("::", 8080) == "http://[::1]:8080"


def test_an_explicit_loopback_host_is_where_the_codes_point_with_a_warning(on_the_hall_wifi) -> None:
    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1"):
        where = reach(host, 8080)
        assert not where.hall and where.why == "loopback", host
        assert LAN not in where.base
    assert reach("127.0.0.2", 8080).base == "http://127.0.0.2:8080"
    assert reach("::1", 8080).base == "http://[::1]:8080"
    assert reach("127.0.0.2", 8080, seen=("127.0.0.2", 8080)) == Reach("http://127.0.0.2:8080", False, "loopback")
    text = "\n".join(network_text("127.0.0.2", 8080, reach("127.0.0.2", 8080)))
    assert "listening on 127.0.0.2:8080 only" in text and "CANNOT reach it" in text


def test_a_machine_without_a_network_says_so(offline) -> None:
    where = reach("0.0.0.0", 8080)
    assert where == Reach("http://127.0.0.1:8080", False, "offline")
    assert "no network address" in "\n".join(network_text("0.0.0.0", 8080, where))


def test_a_specific_address_and_the_public_url(on_the_hall_wifi) -> None:
    assert reach("10.0.0.7", 8080) == Reach("http://10.0.0.7:8080", True)
    assert local_base("10.0.0.7", 8080) == "http://10.0.0.7:8080"
    assert local_base("0.0.0.0", 8080) == "http://127.0.0.1:8080"
    # A tunnel or proxy in front of a loopback-only server: the public address is the one devices use.
    for host in ("127.0.0.1", "0.0.0.0"):
        assert reach(host, 8080, "https://vote.example.vn") == Reach("https://vote.example.vn", True)
        assert reach(host, 8080, "https://vote.example.vn", seen=("127.0.0.1", 8080)).base == "https://vote.example.vn"


@pytest.mark.parametrize(
    ("url", "expected"),
    [("https://vote.example.vn/", "https://vote.example.vn"), (" http://10.0.0.5:8080 ", "http://10.0.0.5:8080")],
)
def test_public_url_accepted(url: str, expected: str) -> None:
    assert check_public_url(url) == expected


@pytest.mark.parametrize("url", ["vote.example.vn", "ftp://vote.example.vn", "https://", "https://a.vn/?x=1"])
def test_public_url_refused_with_what_was_expected(url: str, capsys) -> None:
    with pytest.raises(ValueError, match="expected http|no query"):
        check_public_url(url)
    assert main(["run", "--public-url", url, "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "--public-url" in err and repr(url) in err and "Traceback" not in err


def _request(url_host: str, listen: str, public: str | None = None) -> web.Request:
    app = web.Application()
    app[PUBLIC_URL], app[LISTEN_HOST] = public, listen
    return make_mocked_request("GET", "/overlay/audience", headers={"Host": url_host}, app=app)


def test_the_join_code_follows_the_same_rules(on_the_hall_wifi) -> None:
    assert join_url(_request("127.0.0.1:8080", "0.0.0.0")) == f"http://{LAN}:8080/a"
    # Never a code on air that points where the server is not listening.
    assert join_url(_request("127.0.0.2:8080", "127.0.0.2")) == "http://127.0.0.2:8080/a"
    assert join_url(_request("127.0.0.1:8080", "127.0.0.1", "https://vote.example.vn/")) == "https://vote.example.vn/a"


def test_run_prints_the_devices_address_and_obs_its_own(on_the_hall_wifi, show_files) -> None:
    config = load_show(DEMO)
    access = _Access(config)
    where = reach("0.0.0.0", 8080)
    text = urls_text(
        access, config, where.base, show_files[1], local_base("0.0.0.0", 8080), network_text("0.0.0.0", 8080, where)
    )
    assert "listening on 0.0.0.0:8080 (every network interface)" in text
    assert f"use http://{LAN}:8080" in text
    assert f"http://{LAN}:8080/control?token=tok-producer" in text
    for judge in config.judges:
        assert f"http://{LAN}:8080/judge?token=tok-judge-{judge.id}" in text
    for team in config.teams:
        assert f"http://{LAN}:8080/team?token=tok-team-{team.id}" in text
    assert "http://127.0.0.1:8080/overlay/program" in text and f"http://{LAN}:8080/audience" in text
    assert [pad["url"] for pad in pads(access, config, where.base)] == [
        *(f"http://{LAN}:8080/judge?token=tok-judge-{j.id}" for j in config.judges),
        *(f"http://{LAN}:8080/team?token=tok-team-{t.id}" for t in config.teams),
    ]


class _Access:
    """Predictable tokens for the printout."""

    def __init__(self, config) -> None:
        self.config = config

    def token(self, role: str, subject: str = "") -> str:
        return f"tok-{role}-{subject}" if subject else f"tok-{role}"


async def test_the_app_knows_where_it_listens(show_files, on_the_hall_wifi, aiohttp_client) -> None:
    config, db = show_files
    app = create_app(Settings(config_path=config, db_path=db, host="127.0.0.1"))
    assert app[LISTEN_HOST] == "127.0.0.1"
    client = await aiohttp_client(app)
    page = await (await client.get("/overlay/audience")).text()
    assert f"http://127.0.0.1:{client.port}/a" in page and LAN not in page
