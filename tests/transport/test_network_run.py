"""``python -m server run`` as an operator starts it, on 127.0.0.2 standing for the hall's address:
the URLs it prints point where it listens and open; the join code on air too; the pads' addresses
and QR codes are the producer's alone."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import DEMO
from tests.processes import ROOT, free_port, printed_urls, stop, until_healthy
from tests.wording import vi

HOST = "127.0.0.2"


async def _start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, int, Path]:
    port = free_port()
    out = tmp_path / "run.log"
    cmd = [sys.executable, "-m", "server", "run", str(DEMO), "--db", str(tmp_path / "show.db"), "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if k != "SHOWCALLER_PUBLIC_URL"}
    with open(out, "wb") as log:
        proc = subprocess.Popen([*cmd, "--no-obs", *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    await until_healthy(f"http://{HOST}:{port}", proc, out, timeout=20)
    return proc, port, out


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[tuple[int, str]]:
    proc, port, out = await _start(tmp_path, "--host", HOST)
    try:
        yield port, out.read_text(encoding="utf-8")
    finally:
        stop(proc)


async def test_run_on_a_given_host_prints_urls_there_that_open(running) -> None:
    port, printout = running
    base = f"http://{HOST}:{port}"
    assert f"listening on {HOST}:{port} only" in printout
    assert "CANNOT reach it" in printout  # a loopback address: said plainly, before the URLs
    rows = printed_urls(printout)
    labels = {label.split(" ", 1)[0] for label in rows}
    assert {"producer", "judge", "team", "overlays", "audience", "health"} <= labels, rows
    assert all(url.startswith(base + "/") for url in rows.values()), rows
    pads = [url for label, url in rows.items() if label.startswith(("judge ", "team "))]
    assert len(pads) == 6
    # A jar that keeps an IP address's cookies, as a browser does: a token link signs in by cookie.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        for label, url in rows.items():
            url = url.replace("<name>", "program").replace("/api/v1/", "/api/v1/commands")
            async with http.get(url) as response:
                assert response.status == 200, (label, url)
        # The join code on air points where the server listens, not at an address it does not.
        async with http.get(f"{base}/overlay/audience") as response:
            page = await response.text()
        boot = json.loads(re.search(r'<script type="application/json" id="boot">(.*?)</script>', page, re.S).group(1))
        assert boot["join"]["url"] == f"{base}/a"


async def test_the_pads_are_the_producers_alone(running) -> None:
    port, printout = running
    base = f"http://{HOST}:{port}"
    token = re.search(r"/control\?token=(\S+)", printout).group(1)
    judge_token = re.search(r"/judge\?token=(\S+)", printout).group(1)
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"Authorization": f"Bearer {judge_token}"}, {"Authorization": "Bearer nope"}):
            async with http.get(f"{base}/api/v1/pads", headers=headers) as response:
                assert response.status == 401
                body = await response.json()
            assert body["ok"] is False and body["error"]["code"] == "unauthorized"
            assert "producer token" in body["error"]["message"] and vi(body["error"])
            assert judge_token not in json.dumps(body)
        for query in ("", "?token=", f"?token={judge_token}"):
            async with http.get(f"{base}/pads/judge/gk-1.svg{query}") as response:
                assert response.status == 401 and response.content_type == "application/json"
                assert "producer token" in (await response.json())["error"]["message"]

        async with http.get(f"{base}/api/v1/pads", headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status == 200
            body = await response.json()
        assert body["network"] == {"base": base, "hall": False, "why": "loopback"}
        assert [(p["role"], p["id"]) for p in body["pads"]] == [
            ("judge", "gk-1"),
            ("judge", "gk-2"),
            ("judge", "gk-3"),
            ("team", "tam-ky"),
            ("team", "dien-ban"),
            ("team", "nam-tra-my"),
        ]
        # The same addresses as the printout's.
        printed = {url for label, url in printed_urls(printout).items() if label.startswith(("judge ", "team "))}
        assert {p["url"] for p in body["pads"]} == printed
        for pad in body["pads"]:
            async with http.get(base + pad["qr"]) as response:
                assert response.status == 200 and response.content_type == "image/svg+xml"
                assert "<svg" in await response.text()
            async with http.get(pad["url"]) as response:
                assert response.status == 200
        async with http.get(f"{base}/pads/judge/zz.svg?token={token}") as response:
            assert response.status == 404
            assert "gk-1" in (await response.json())["error"]["message"]


async def test_a_public_url_is_what_devices_are_given(tmp_path: Path) -> None:
    proc, port, out = await _start(tmp_path, "--host", HOST, "--public-url", "http://127.0.0.3:9999/")
    try:
        printout = out.read_text(encoding="utf-8")
    finally:
        stop(proc)
    rows = printed_urls(printout)
    assert "devices on the hall's network (pads, phones, the QR codes) use http://127.0.0.3:9999" in printout
    assert rows["producer controller"].startswith("http://127.0.0.3:9999/control?token=")
    assert rows["audience"] == "http://127.0.0.3:9999/audience"
    assert rows["overlays (OBS here)"].startswith(f"http://{HOST}:{port}/overlay/")
