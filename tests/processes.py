"""Servers in their own processes, for the tests and the benchmarks: a free port, and waiting until one answers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from tests.conftest import DEMO

ROOT = Path(__file__).resolve().parents[1]


_PORTS = random.SystemRandom()  # not the tests' seeded random: every call a new port


def free_port() -> int:
    """A loopback port nothing listens on, below the kernel's range for outgoing connections' own ports:
    a client connecting meanwhile (a crowd of phones, a link retrying) can't take it before the server
    under test binds it. (Port 0 picked from that range, and OBS once found its port taken.)"""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(200):
        port = _PORTS.randint(max(1024, low - 12_000), low - 1)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port below {low}")


async def until_healthy(url: str, proc: subprocess.Popen, log: Path | None = None, timeout: float = 15) -> None:
    """Wait until the server at ``url`` answers /healthz; if it exits or never does, say so with its log."""
    async with aiohttp.ClientSession() as http:
        for _ in range(int(timeout / 0.05)):
            if proc.poll() is not None:
                break
            try:
                async with http.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:]) if log is not None and log.exists() else ""
    raise RuntimeError(f"the server at {url} did not start (exit code {proc.poll()}); its last output:\n{tail}")


async def run_server(config: Path, db: Path, port: int, *extra: str, tokens: dict[str, str]) -> subprocess.Popen:
    """``python -m server run`` in its own process on loopback (without OBS), its output in ``db`` with the
    suffix .log, once it answers; ``tokens`` go to its environment (SHOWCALLER_TOKEN_<ROLE>)."""
    env = {**os.environ, **{f"SHOWCALLER_TOKEN_{role}": token for role, token in tokens.items()}}
    argv = [sys.executable, "-m", "server", "run", str(config), "--db", str(db), "--port", str(port), "--no-obs"]
    log = db.with_suffix(".log")
    with log.open("a") as out:  # the child keeps its own copy
        proc = subprocess.Popen([*argv, "--host", "127.0.0.1", *extra], cwd=ROOT, env=env, stdout=out, stderr=out)
    await until_healthy(f"http://127.0.0.1:{port}", proc, log, timeout=20)
    return proc


def server_pid(keeper: subprocess.Popen, name: str = "") -> int | None:
    """The pid of the server ``run``'s keeper has forked now (server/transport/keeper.py), or None between
    two; ``name``: of a helper instead (``phones``: the phones process)."""
    for child in Path(f"/proc/{keeper.pid}/task/{keeper.pid}/children").read_text().split():
        with contextlib.suppress(FileNotFoundError):  # gone meanwhile
            comm = Path(f"/proc/{child}/comm").read_text().strip()
            if (comm == f"sc-{name}") if name else not comm.startswith("sc-"):
                return int(child)
    return None


def server_pids(keeper: subprocess.Popen) -> list[int]:
    """Every process ``run``'s keeper has forked now: the server first, then its helpers (the phones process)."""
    children = Path(f"/proc/{keeper.pid}/task/{keeper.pid}/children").read_text().split()
    server = server_pid(keeper)
    return [server] * (server is not None) + [int(c) for c in children if int(c) != server]  # type: ignore[list-item]


def kill_all(proc: subprocess.Popen, port: int) -> None:
    """SIGKILL ``run``'s keeper, and so its server (which dies with it), as a power cut would; returns
    once the port is free again (the server, no longer the keeper's child, dies a moment later).
    It blocks while it waits: from a coroutine, ``await asyncio.to_thread(kill_all, proc, port)``."""
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while True:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
                return
            except OSError:
                assert time.monotonic() < deadline, f"port {port} still taken 10 s after SIGKILL"
        time.sleep(0.01)


def printed_urls(printout: str) -> dict[str, str]:
    """``run``'s printout as rows: label -> the first URL on the line."""
    rows = {}
    for line in printout.splitlines():
        found = re.match(r"\s{2}(\S.*?)\s{2,}(https?://\S+)", line)
        if found:
            rows[found.group(1)] = found.group(2)
    return rows


def stop(*procs: subprocess.Popen, timeout: float = 10) -> None:
    """Stop servers as an operator would (SIGINT); one that has not stopped in time is killed, and the
    test fails: a server that hangs on the way down holds up the restart of a show."""
    hung = []
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                hung.append(" ".join(map(str, proc.args[:4])))
    assert not hung, f"did not stop within {timeout} s: {hung}"


class ServerProcess:
    """``python -m server run`` on the demo show, its database ``db`` and a free port, which a test may
    kill, stop and start again (on the same port); its output goes to ``db`` with the suffix .log."""

    def __init__(self, db: Path, token: str, config: Path = DEMO) -> None:
        self.db, self.token, self.config = db, token, config
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.proc = await run_server(self.config, self.db, self.port, tokens={"PRODUCER": self.token})

    async def kill(self) -> None:
        """SIGKILL the keeper and the server: a new ``start`` imports Python again. The test's event loop
        runs on meanwhile (its clients see the server go)."""
        assert self.proc is not None
        await asyncio.to_thread(kill_all, self.proc, self.port)

    def kill_server(self) -> int:
        """SIGKILL only the server, which the keeper replaces; returns the killed pid."""
        assert self.proc is not None
        pid = server_pid(self.proc)
        assert pid is not None, "the keeper has no server"
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


class RedisServer:
    """A real redis-server on a free loopback port, without persistence; a test may stop and restart it."""

    def __init__(self, folder: Path) -> None:
        self.port, self.folder = free_port(), folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen([*argv, "--dir", str(self.folder)], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not listen on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def kill(self) -> None:
        """Gone at once, with everything it held (SIGKILL; nothing is saved)."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)
        self.proc = None
