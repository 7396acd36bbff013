"""No answer the server acknowledged is lost when its process is killed (SIGKILL, mid-flight), and the
entrants carry on after the restart with the same sessions."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.online.conftest import QUIZ_FILE
from tests.processes import ROOT, free_port, stop, until_healthy

ENTRANTS = 20
CODE = re.compile(r"one-time code for (\S+) \(.*\): (\d{6})")


async def start(db: Path, port: int) -> subprocess.Popen:
    log = db.with_suffix(".log")
    argv = [sys.executable, "-m", "server", "quiz", "run", str(QUIZ_FILE), "--db", str(db), "--rehearsal"]
    with log.open("a") as out:
        proc = subprocess.Popen([*argv, "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, stdout=out, stderr=out)
    try:
        await until_healthy(f"http://127.0.0.1:{port}", proc, log, timeout=20)
    except BaseException:
        proc.kill()  # never left behind by a failing test
        proc.wait()
        raise
    return proc


async def code_for(log: Path, contact: str) -> str:
    """The code the server printed for ``contact`` (its console is the sender here)."""
    async with asyncio.timeout(10):
        while True:
            codes = dict(CODE.findall(log.read_text(errors="replace")))
            if contact in codes:
                return codes[contact]
            await asyncio.sleep(0.02)  # the log file has no event to wait on: poll it


async def test_every_acknowledged_answer_survives_a_sigkill(tmp_path: Path) -> None:
    db, port = tmp_path / "quiz.db", free_port()
    url = f"http://127.0.0.1:{port}"
    proc = await start(db, port)
    phones = [aiohttp.ClientSession(url, cookie_jar=aiohttp.CookieJar(unsafe=True)) for _ in range(ENTRANTS)]
    acked: list[dict[int, int]] = [{} for _ in range(ENTRANTS)]
    try:
        for n, phone in enumerate(phones):
            contact = f"09100000{n:02d}"
            ask = {"contact": contact, "name": f"Người {n}", "unit": "Xã Hòa Xá", "consent": True}
            async with phone.post("/quiz/api/code", json=ask) as response:
                assert (await response.json())["ok"]
            verify = {"contact": contact, "code": await code_for(db.with_suffix(".log"), contact)}
            async with phone.post("/quiz/api/verify", json=verify) as response:
                assert (await response.json())["ok"]
            async with phone.post("/quiz/api/start", json={}) as response:
                assert (await response.json())["ok"]
        enough = asyncio.Event()

        async def answering(n: int) -> None:
            for item in range(20):  # each item once: what is on disk is exactly what was sent
                try:
                    async with phones[n].post("/quiz/api/answer", json={"item": item, "choice": item % 4}) as response:
                        if (await response.json())["ok"]:
                            acked[n][item] = item % 4
                except (TimeoutError, aiohttp.ClientError):
                    return  # the server is gone
                if sum(map(len, acked)) >= 150:
                    enough.set()
                await asyncio.sleep(0)

        loops = [asyncio.create_task(answering(n)) for n in range(ENTRANTS)]
        await enough.wait()
        os.kill(proc.pid, signal.SIGKILL)  # answers still in flight
        await asyncio.gather(*loops)
        proc.wait()
        assert 150 <= sum(map(len, acked)) < ENTRANTS * 20  # killed mid-way

        proc = await start(db, port)
        for n, phone in enumerate(phones):
            async with phone.get("/quiz/api/me") as response:  # the same session cookie, after the restart
                me = await response.json()
            answers = me["attempt"]["answers"]
            for item, choice in acked[n].items():
                assert answers[item] == choice, (n, item)
            assert all(a is None or a == i % 4 for i, a in enumerate(answers))  # in flight: all or nothing
            async with phone.post("/quiz/api/answer", json={"item": 19, "choice": 3}) as response:
                assert (await response.json())["ok"]  # and the attempt goes on
    finally:
        for phone in phones:
            await phone.close()
        stop(proc)
