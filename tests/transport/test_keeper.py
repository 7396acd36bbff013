"""``run``'s keeper (server/transport/keeper.py): a killed server is replaced on the same port and the show goes on;
the server never outlives the keeper; a server that can't run is not restarted forever."""

from __future__ import annotations

import asyncio
import errno
import os
import signal
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
import socketio

from server.cli import listen_refusal
from server.transport.keeper import listen
from tests.conftest import DEMO
from tests.processes import ROOT, ServerProcess, free_port, server_pid, stop, until_healthy
from tests.transport.conftest import RUN_TOKEN as TOKEN


async def new_server(server: ServerProcess, old: int | None, timeout: float = 10, name: str = "") -> int:
    """The pid of the server (or helper ``name``) the keeper forked after ``old``."""
    assert server.proc is not None
    deadline = time.monotonic() + timeout
    while (pid := server_pid(server.proc, name)) in (None, old):
        assert server.proc.poll() is None, f"the keeper exited ({server.proc.returncode})"
        assert time.monotonic() < deadline, "the keeper started no new server"
        await asyncio.sleep(0.01)
    return pid  # type: ignore[return-value]


@pytest.fixture
async def server(run_server: ServerProcess) -> ServerProcess:
    return run_server


def the_server(server: ServerProcess) -> int:
    assert server.proc is not None
    pid = server_pid(server.proc)
    assert pid is not None, "the keeper has no server"
    return pid


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie (dead, not yet reaped by whoever adopted it) is gone too.
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")


async def test_a_killed_server_is_replaced_on_the_same_port_and_the_show_goes_on(server: ServerProcess) -> None:
    client = socketio.AsyncClient(reconnection=True, reconnection_delay=0.05, reconnection_delay_max=0.2)
    snapshots: list[int] = []
    client.on("snapshot", lambda data: snapshots.append(data["rev"]), namespace="/control")
    await client.connect(server.url, namespaces=["/control"], auth={"token": TOKEN}, transports=["websocket"])
    try:
        assert (await client.call("start_show", {}, namespace="/control"))["ok"]
        ack = await client.call("adjust_score", {"team": "tam-ky", "points": 7, "reason": "r"}, namespace="/control")
        assert ack["ok"]
        keeper = server.proc.pid  # type: ignore[union-attr]
        first = server.kill_server()
        await new_server(server, first)
        async with asyncio.timeout(10):  # the producer's controller is back by itself, on the same address
            while not (client.connected and len(snapshots) >= 2):
                await asyncio.sleep(0.02)
        again = await client.call("adjust_score", {"team": "tam-ky", "points": 1, "reason": "s"}, namespace="/control")
        assert again["ok"] and again["rev"] == ack["rev"] + 1
        async with aiohttp.ClientSession() as http:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            async with http.get(f"{server.url}/api/v1/state", headers=headers) as response:
                view = (await response.json())["view"]
        scores = {team["id"]: Decimal(str(team["score"])) for team in view["teams"]}
        assert view["phase"] == "live" and scores["tam-ky"] == 8
        assert server.proc.pid == keeper and server.proc.poll() is None  # type: ignore[union-attr]
        assert (
            f"the server (pid {first}) died of SIGKILL: starting a new one" in server.db.with_suffix(".log").read_text()
        )
    finally:
        await client.disconnect()


async def test_the_server_never_outlives_its_keeper(server: ServerProcess) -> None:
    """SIGKILL to the keeper alone: the server dies with it, and so frees the port and the database."""
    pid = the_server(server)
    server.proc.kill()  # type: ignore[union-attr]
    server.proc.wait()  # type: ignore[union-attr]
    deadline = time.monotonic() + 10
    while not gone(pid):
        assert time.monotonic() < deadline, "the server outlived its keeper"
        await asyncio.sleep(0.01)


async def test_a_test_kills_keeper_and_server_without_stopping_its_event_loop(server: ServerProcess) -> None:
    """``ServerProcess.kill`` waits for the port in a thread: the test's clients go on meanwhile."""
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    try:
        await asyncio.sleep(0)
        before = ticks
        await server.kill()
        assert ticks > before, "the event loop stood still while the keeper and server were killed"
    finally:
        ticker.cancel()
    assert server.proc.returncode is not None  # type: ignore[union-attr]


async def test_a_server_killed_once_up_is_always_replaced(server: ServerProcess) -> None:
    for _ in range(6):  # more than the keeper's patience with servers that die starting
        pid = server.kill_server()
        await new_server(server, pid)
        await until_healthy(server.url, server.proc)  # type: ignore[arg-type]
    assert server.db.with_suffix(".log").read_text().count("died of SIGKILL: starting a new one") == 6


def test_servers_that_die_before_they_are_up_are_given_up_on() -> None:
    """Five servers in a row killed while starting: a restart won't mend that, and ``run`` says so."""
    script = (
        "import logging, os, signal, sys\n"
        "from server.transport.keeper import keep\n"
        "logging.basicConfig(format='%(message)s')\n"
        "sys.exit(keep(lambda up: os.kill(os.getpid(), signal.SIGKILL)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.count("died of SIGKILL: starting a new one") == 4
    assert "the server died of SIGKILL 5 times in a row before it was up: giving up" in done.stderr


def test_a_helper_that_dies_before_it_is_up_is_given_up_on_and_the_server_goes_on() -> None:
    """A phones process that can't start: the show goes on without it (its phones on the server), and a stop
    still ends the server with code 0."""
    script = (
        "import logging, os, signal, sys, time\n"
        "from server.transport.keeper import Helper, keep\n"
        "logging.basicConfig(format='%(message)s')\n"
        "def server(up):\n"
        "    up()\n"
        "    while 'giving up' not in open(sys.argv[1]).read(): time.sleep(0.01)\n"
        "    os.kill(os.getppid(), signal.SIGTERM)\n"  # the keeper passes the stop on to the server
        "    time.sleep(10)\n"
        "    return 3\n"
        "sys.exit(keep(server, Helper('phones', lambda up: os.kill(os.getpid(), signal.SIGKILL))))\n"
    )
    with tempfile.NamedTemporaryFile("w+") as err:
        done = subprocess.run([sys.executable, "-c", script, err.name], cwd=ROOT, stderr=err, timeout=60)
        said = Path(err.name).read_text()
    assert done.returncode == 0, said
    assert said.count("the phones (pid") == 4 and said.count("died of SIGKILL: starting a new one") == 4
    assert "the phones died of SIGKILL 5 times in a row before it was up: giving up" in said


async def test_a_killed_phones_process_is_replaced_and_a_stop_ends_both(server: ServerProcess) -> None:
    assert server.proc is not None
    phones = await new_server(server, None, name="phones")
    owner = the_server(server)
    os.kill(phones, signal.SIGKILL)
    again = await new_server(server, phones, name="phones")
    assert the_server(server) == owner  # the show's own process never noticed
    stop(server.proc)
    assert server.proc.returncode == 0 and gone(owner) and gone(again)


async def test_a_server_that_stops_by_itself_is_not_restarted(tmp_path: Path) -> None:
    """A database it can't open: said once, in words, and ``run`` exits 1."""
    (tmp_path / "show.db").mkdir()
    argv = [sys.executable, "-m", "server", "run", str(DEMO), "--db", str(tmp_path / "show.db"), "--no-obs"]
    done = subprocess.run(
        [*argv, "--host", "127.0.0.1", "--port", str(free_port())], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.count("not a usable show database") == 1
    assert "Traceback" not in done.stderr and "starting a new one" not in done.stderr


async def test_a_second_server_on_the_port_is_refused_in_words(server: ServerProcess, tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "server", "run", str(DEMO), "--db", str(tmp_path / "other.db"), "--no-obs"]
    done = subprocess.run(
        [*argv, "--host", "127.0.0.1", "--port", str(server.port)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 1
    taken = f"can't listen on 127.0.0.1 port {server.port}: Address already in use (is another server running on it?)"
    assert taken in done.stderr
    assert "Traceback" not in done.stderr


def test_a_port_refused_for_another_reason_gets_no_hint_of_another_server() -> None:
    """A port below 1024 without the right to bind it (made up: the tests may run as root, who may)."""
    denied = OSError(errno.EACCES, "can't listen on 0.0.0.0 port 80: Permission denied")
    assert listen_refusal(denied) == "can't listen on 0.0.0.0 port 80: Permission denied"


def test_the_listening_sockets_are_not_passed_to_programs_the_server_runs() -> None:
    """The fork alone gives the server the sockets (the tests above run on them); an exec must not, or a
    program it ran would hold the port."""
    sockets = listen("127.0.0.1", 0)
    try:
        assert sockets and not any(sock.get_inheritable() for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()


async def test_a_stop_reaches_the_server_and_the_keeper_exits_0(server: ServerProcess) -> None:
    pid = the_server(server)
    stop(server.proc)  # type: ignore[arg-type]
    assert server.proc.returncode == 0 and gone(pid)  # type: ignore[union-attr]
