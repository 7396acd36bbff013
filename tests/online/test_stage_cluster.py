"""An online stage on several processes sharing one real redis-server (``--redis URL``): an owner that
writes the database and edges that serve the same pages and API. An entrant moves between processes as
a load balancer sends them; what one process acknowledged, every other shows; refusals read the same;
files come from the owner once; the owner restarting changes nothing; real processes too."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from server.app import create_stage_app
from server.core.quiz.attempt import identity
from server.log.store import LogError
from server.online import stage_link
from server.online.otp import ConsoleSender
from server.transport.initiatives_api import INITIATIVES
from server.transport.quiz_api import QUIZ
from tests.browser.test_initiatives_pages import FILE as INITIATIVES_FILE
from tests.browser.test_initiatives_pages import a_picture
from tests.online.conftest import QUIZ_FILE, ROOT
from tests.processes import free_port


class Node:
    """One process of the cluster, as a client reaches it."""

    def __init__(self, server, base: str) -> None:
        self.server, self.base = server, base
        self.url = f"http://127.0.0.1:{server.port}"

    async def call(self, cookie: str, path: str, body: Any = None, **kw: Any) -> tuple[dict, str]:
        """The answer, and the session cookie it set (or the one sent)."""
        headers = {"Cookie": cookie} if cookie else {}
        async with aiohttp.ClientSession(headers=headers) as http:
            method = http.get if body is None and "data" not in kw else http.post
            async with method(f"{self.url}{self.base}{path}", json=body, **kw) as response:
                answer = await response.json()
                set_cookie = next((f"{c.key}={c.value}" for c in response.cookies.values()), cookie)
        return answer, set_cookie


@pytest.fixture
async def cluster(redis, aiohttp_server, tmp_path):  # redis first: it stops after the servers
    """Start processes of one stage on ``redis``: ``await cluster(file, owner=True)``."""
    sender = ConsoleSender()

    async def start(path: Path, owner: bool, db: str = "stage.db") -> Node:
        app = create_stage_app(path, tmp_path / db, sender=sender, rehearsal=True, redis=redis.url, owner=owner)
        base = "/quiz/api/" if path == QUIZ_FILE else "/initiatives/api/"
        return Node(await aiohttp_server(app, host="127.0.0.1"), base)

    start.sender = sender  # type: ignore[attr-defined]
    yield start


async def sign_up(node: Node, sender: ConsoleSender, contact: str, other: Node, **details: Any) -> str:
    """Ask for the code on one process, give it on another: the session cookie."""
    answer, _ = await node.call("", "code", {"contact": contact, **details})
    assert answer["ok"], answer
    answer, cookie = await other.call("", "verify", {"contact": contact, "code": sender.sent[identity(contact)]})
    assert answer["ok"], answer
    return cookie


async def test_an_entrant_moves_between_processes_and_sees_every_save(cluster) -> None:
    owner = await cluster(QUIZ_FILE, owner=True)
    edge = await cluster(QUIZ_FILE, owner=False, db="edge.db")
    cookie = await sign_up(edge, cluster.sender, "0912345678", owner, name="Lê Thị Hoa", unit="Xã Hòa Xá", consent=True)
    started, _ = await owner.call(cookie, "start", {})
    assert started["ok"] and len(started["attempt"]["questions"]) == 20
    for item, node in enumerate([edge, owner, edge]):
        answer, _ = await node.call(cookie, "answer", {"item": item, "choice": 1})
        assert answer["ok"], answer
    me, _ = await owner.call(cookie, "me")
    assert me["attempt"]["answers"][:4] == [1, 1, 1, None]
    assert (await edge.call(cookie, "me"))[0]["attempt"] == me["attempt"]  # read from the edge's own book
    refused, _ = await edge.call(cookie, "answer", {"item": 99, "choice": 1})
    said, _ = await owner.call(cookie, "answer", {"item": 99, "choice": 1})
    assert not refused["ok"] and refused["error"] == said["error"]  # the owner's refusal, word for word
    essay, _ = await edge.call(cookie, "essay", {"text": "Chuyển đổi số ở xã."})
    assert essay["ok"]
    handed, _ = await edge.call(cookie, "submit", {})
    assert handed["attempt"]["finished"] is not None

    api = edge.server.app[QUIZ]
    assert api.tokens == owner.server.app[QUIZ].tokens  # the judges' links work on every process
    judge = next(t for t, h in api.tokens.items() if h == "judge:gk-1")
    essays, _ = await edge.call("", "essays", headers={"Authorization": f"Bearer {judge}"})
    code = essays["essays"][0]["essay"]
    marks = {"essay": code, "marks": {"content": "15", "practice": "14", "writing": "8"}}
    marked, _ = await edge.call("", "marks", marks, headers={"Authorization": f"Bearer {judge}"})
    assert marked["ok"], marked
    board, _ = await edge.call("", "board")
    assert board["finished"] == 1 and board["standings"][0]["essay"] == "37.00"
    assert owner.server.app[QUIZ].book.marks == api.book.marks


async def test_the_owner_restarting_changes_nothing_and_an_edge_waits_for_it(cluster, monkeypatch) -> None:
    owner = await cluster(QUIZ_FILE, owner=True)
    edge = await cluster(QUIZ_FILE, owner=False, db="edge.db")
    cookie = await sign_up(edge, cluster.sender, "an@example.vn", edge, name="Trần An", unit="Xã Viên An", consent=True)
    assert (await edge.call(cookie, "start", {}))[0]["ok"]
    await owner.server.close()  # the owner goes (its server, its Redis link and its database closed)
    monkeypatch.setattr(stage_link, "ASK_TIMEOUT", 1.5)
    down, _ = await edge.call(cookie, "answer", {"item": 0, "choice": 2})
    assert (down["error"]["code"], down["error"]["key"]) == ("storage", "quiz.owner_unavailable")
    assert (await edge.call(cookie, "me"))[0]["ok"]  # reading goes on meanwhile
    again = await cluster(QUIZ_FILE, owner=True)  # the same database: it publishes its log again
    for node in (edge, again):
        answer, _ = await node.call(cookie, "answer", {"item": 1, "choice": 3})
        assert answer["ok"], answer
    assert (await edge.call(cookie, "me"))[0]["attempt"]["answers"][:2] == [None, 3]


async def test_an_edge_with_another_stage_file_is_refused(cluster, tmp_path: Path) -> None:
    await cluster(QUIZ_FILE, owner=True)
    other = tmp_path / "other.quiz.yaml"
    other.write_text(QUIZ_FILE.read_text(encoding="utf-8") + "\n# sửa sau\n", encoding="utf-8")
    with pytest.raises(LogError, match="this edge's stage file is not the owner's"):
        await cluster(other, owner=False, db="edge.db")


async def test_redis_restarting_empty_loses_nothing(cluster, redis) -> None:
    owner = await cluster(QUIZ_FILE, owner=True)
    edge = await cluster(QUIZ_FILE, owner=False, db="edge.db")
    cookie = await sign_up(edge, cluster.sender, "0911222333", owner, name="Vũ Hà", unit="Xã Hòa Xá", consent=True)
    assert (await edge.call(cookie, "start", {}))[0]["ok"]
    assert (await edge.call(cookie, "answer", {"item": 0, "choice": 1}))[0]["ok"]
    redis.stop()
    redis.start()  # empty: the stream, the key and the tokens are gone; the owner publishes them again
    assert (await edge.call(cookie, "answer", {"item": 1, "choice": 2}))[0]["ok"]
    late = await cluster(QUIZ_FILE, owner=False, db="late.db")  # an edge that starts after: it finds them
    for node in (owner, edge, late):
        assert (await node.call(cookie, "me"))[0]["attempt"]["answers"][:3] == [1, 2, None]


async def test_initiatives_files_and_votes_across_processes(cluster, tmp_path: Path) -> None:
    owner = await cluster(INITIATIVES_FILE, owner=True)
    edge = await cluster(INITIATIVES_FILE, owner=False, db="edge.db")
    far = await cluster(INITIATIVES_FILE, owner=False, db="far.db")  # another machine: its own folder
    cookie = await sign_up(edge, cluster.sender, "0912000001", edge)
    form = aiohttp.FormData()
    for name, value in (("unit", "Xã Hòa Xá"), ("title", "Tổ công nghệ số"), ("summary", "Hướng dẫn bà con.")):
        form.add_field(name, value)
    form.add_field("image", a_picture(tmp_path).read_bytes(), filename="anh.png", content_type="image/png")
    sent, _ = await edge.call(cookie, "submit", data=form)
    assert sent["ok"], sent
    picture = sent["initiative"]["images"][0]
    assert (tmp_path / "stage.files" / picture.rsplit("/", 1)[1]).is_file()  # on the owner's disk
    async with aiohttp.ClientSession() as http, http.get(far.url + picture) as response:
        assert response.status == 200 and (await response.read()).startswith(b"\x89PNG")
    assert (tmp_path / "far.files" / picture.rsplit("/", 1)[1]).is_file()  # kept where it was asked for
    organizer = next(t for t, h in far.server.app[INITIATIVES].tokens.items() if h == "organizer")
    reviewed, _ = await far.call(
        "", "review", {"initiative": "m001", "approved": True}, headers={"Authorization": f"Bearer {organizer}"}
    )
    assert reviewed["ok"], reviewed
    voter = await sign_up(far, cluster.sender, "cu-tri@example.vn", edge)
    voted, _ = await far.call(voter, "vote", {"initiative": "m001"})
    assert voted == {"ok": True, "votes": 1}
    twice, _ = await edge.call(voter, "vote", {"initiative": "m001"})
    assert not twice["ok"] and twice["error"]["code"] == "initiative"
    gallery, _ = await owner.call("", "gallery")
    assert gallery["initiatives"][0]["votes"] == 1
    bad, _ = await far.call("", "files/..%2Fstage.db")
    assert not bad["ok"]


async def test_real_processes_an_owner_and_an_edge(redis, tmp_path: Path) -> None:
    """``python -m server quiz run --redis URL --owner`` and an edge: the code printed on the owner's
    console, the entrant registered on the edge and saving on both, the edge killed, nothing lost."""
    ports = free_port(), free_port()
    base = [sys.executable, "-m", "server", "quiz", "run", str(QUIZ_FILE), "--rehearsal", "--redis", redis.url]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    owner = subprocess.Popen(
        [*base, "--owner", "--port", str(ports[0]), "--db", str(tmp_path / "q.db")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    edge = subprocess.Popen(
        [*base, "--port", str(ports[1]), "--db", str(tmp_path / "edge.db")],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    lines: list[str] = []
    reader = asyncio.get_running_loop().run_in_executor(None, lambda: lines.extend(owner.stdout))  # type: ignore[arg-type]
    try:
        nodes = [Node(type("S", (), {"port": port})(), "/quiz/api/") for port in ports]
        for node in nodes:
            await until_up(node)
        answer, _ = await nodes[1].call(
            "", "code", {"contact": "0987654321", "consent": True, "name": "Hà", "unit": "Xã Hòa Xá"}
        )
        assert answer["ok"], answer
        code = await printed_code(lines)
        answer, cookie = await nodes[1].call("", "verify", {"contact": "0987654321", "code": code})
        assert answer["ok"], answer
        assert (await nodes[0].call(cookie, "start", {}))[0]["ok"]
        for item in range(5):
            assert (await nodes[item % 2].call(cookie, "answer", {"item": item, "choice": 0}))[0]["ok"]
        edge.send_signal(signal.SIGKILL)
        edge.wait(10)
        me, _ = await nodes[0].call(cookie, "me")
        assert me["attempt"]["answers"][:6] == [0, 0, 0, 0, 0, None]
    finally:
        for proc in (owner, edge):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                proc.wait(15)
        await reader
        owner.stdout.close()  # type: ignore[union-attr]


async def until_up(node: Node) -> None:
    async with asyncio.timeout(60):
        while True:
            try:
                answer, _ = await node.call("", "info")
                if answer.get("ok"):
                    return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)


async def printed_code(lines: list[str]) -> str:
    """The six-digit code the owner printed on its console (``ConsoleSender``)."""
    async with asyncio.timeout(10):
        while True:
            found = [m.group(1) for line in lines if (m := re.search(r"\b(\d{6})\b", line))]
            if found:
                return found[-1]
            await asyncio.sleep(0.05)
