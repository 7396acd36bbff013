"""The servers the fanout bench compares, behind one interface: start one in its own process, connect a
producer and a graphic to it, send the producer's change a graphic shows (``score``) and the one the
phones see (``change``), and say how its phones speak (``flavour``).

- ``Showcaller``: ``python -m server run`` on the demo show; the producer on /control, an overlay on
  /overlay (its ``patch`` events keyed by ``rev``), the phones on /audience.
- ``Bare``: ``bench/bare_sio.py``, python-socketio with a durable log and its own emit.
NodeCG is in ``bench/fanout_nodecg.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.crowd import die_with_parent  # noqa: E402
from bench.fanout_wire import Flavour, Peer  # noqa: E402
from bench.servers import KeptView  # noqa: E402
from tests.processes import free_port, server_pids  # noqa: E402

DEMO = ROOT / "show_configs" / "quang-nam-2024-qualifier.yaml"
TOKEN = "bench-producer-token"
TEAM = "tam-ky"


class Target:
    """One server under test, in its own process, with a producer and a graphic connected to it."""

    name = ""
    chat = ""  # what a chatting phone sends, in words
    change_words = ""  # what the change the phones see is, in words
    join: str | None = None  # a room the phones ask to join once connected (NodeCG's replicant rooms)

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tmp / f"{self.name}.log"
        self.producer = Peer()
        self.graphic = Peer()
        self.seen: dict[int, float] = {}  # revision -> when the graphic got it
        self.arrived = asyncio.Event()
        self.revision = 0  # the newest revision the producer knows of
        self.problems: list[str] = []  # what went wrong without stopping the run, printed after it

    # -- the process ------------------------------------------------------------------------------

    def spawn(self, argv: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=die_with_parent
            )

    async def until_answers(self, path: str, timeout: float = 60) -> None:
        """Wait until GET ``path`` answers 200; if the process ends or it never does, say so with its log."""
        assert self.proc is not None
        deadline = time.perf_counter() + timeout
        async with aiohttp.ClientSession() as http:
            while time.perf_counter() < deadline and self.proc.poll() is None:
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(self.url + path) as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.05)
        tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        raise RuntimeError(f"{self.name} did not start (exit code {self.proc.poll()}); its last output:\n{tail}")

    @property
    def pids(self) -> list[int]:
        """The processes whose CPU and memory are measured."""
        assert self.proc is not None
        return [self.proc.pid]

    async def start(self) -> None:
        raise NotImplementedError

    async def connect_desk(self) -> None:
        """Connect ``producer`` and ``graphic`` (the graphic listening first)."""
        raise NotImplementedError

    async def swap_desk(self, producer: Any, graphic: Any) -> None:
        """Hang up the producer and the graphic and connect these two clients in their place (a
        ``Peer`` or a ``socketio.AsyncClient``): the bench's reference phase times the same server through
        python-socketio's own client."""
        await self.hang_up()
        self.producer, self.graphic, self.seen = producer, graphic, {}
        await self.connect_desk()

    async def hang_up(self) -> None:
        for client in (self.producer, self.graphic):
            with contextlib.suppress(Exception):
                await client.disconnect()

    async def stop(self) -> None:
        await self.hang_up()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                await asyncio.to_thread(self.proc.wait, 10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def describe(self) -> str:
        """One line: what runs, and how."""
        return self.name

    # -- the producer and the graphic -------------------------------------------------------------

    def flavour(self) -> Flavour:
        raise NotImplementedError

    def graphic_saw(self, revision: int) -> None:
        self.seen[revision] = time.perf_counter()
        self.arrived.set()

    async def graphic_got(self, revision: int, timeout: float = 5) -> float | None:
        """When the graphic got ``revision`` (None if not within ``timeout``)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while revision not in self.seen:
                    self.arrived.clear()
                    await self.arrived.wait()
        return self.seen.pop(revision, None)

    async def score(self, i: int) -> int:
        """Send the producer's change that the graphic shows; the revision the graphic will see."""
        raise NotImplementedError

    def next_revision(self) -> int:
        """The lowest revision the next ``change`` can carry."""
        return self.revision + 1

    async def change(self) -> None:
        """Send the producer's change that every phone sees."""
        raise NotImplementedError


class Showcaller(Target):
    name = "showcaller"
    chat = "`time` on /audience (ACKed with the server's clock)"
    change_words = "open_answers / reset_question in turn on the audience round's question (the phones' poll)"

    def __init__(self, tmp: Path) -> None:
        super().__init__(tmp)
        self.opened = False
        self.loop = ""
        self.kept = KeptView(self.graphic_saw)  # the graphic's view, kept from its snapshot and patches

    async def start(self) -> None:
        argv = [sys.executable, "-m", "server", "run", str(DEMO), "--db", str(self.tmp / "showcaller.db")]
        argv += ["--port", str(self.port), "--host=127.0.0.1", "--no-obs", "--phones-per-address=100000"]
        self.spawn(argv, env={**os.environ, "SHOWCALLER_TOKEN_PRODUCER": TOKEN})
        await self.until_answers("/healthz")
        await self.connect_desk()
        await self._command("start_show")
        rundown = (await self.producer.call("sync", {}, namespace="/control"))["view"]["rundown"]
        await self._command("goto_segment", {"index": next(s["index"] for s in rundown if s["round"] == "audience")})
        await self._command("show_question")
        self.loop = _loop_of(self.pids[0])

    async def hang_up(self) -> None:
        await super().hang_up()
        if self.kept.missed:
            self.problems.append(f"the graphic's view missed {self.kept.missed} patch(es)")

    async def connect_desk(self) -> None:
        self.kept = KeptView(self.graphic_saw)
        self.kept.listen(self.graphic)
        await self.graphic.connect(self.url, namespaces=["/overlay"], transports=["websocket"])
        await self.producer.connect(self.url, namespaces=["/control"], auth={"token": TOKEN}, transports=["websocket"])

    @property
    def pids(self) -> list[int]:
        """The serving processes under ``run``'s keeper: the owner and the phones process."""
        assert self.proc is not None
        return server_pids(self.proc) or [self.proc.pid]

    def describe(self) -> str:
        return f"showcaller: python -m server run on the demo show (--no-obs), pids {self.pids}, {self.loop}"

    async def _command(self, name: str, payload: dict[str, Any] | None = None) -> int:
        ack = await self.producer.call(name, payload or {}, namespace="/control", timeout=10)
        if not ack["ok"]:
            raise SystemExit(f"showcaller refused {name}: {ack}")
        self.revision = max(self.revision, ack["rev"])
        return int(ack["rev"])

    def flavour(self) -> Flavour:
        phones = "/phones.io/"  # its phones' own path (server/transport/phones_link.py)
        return Flavour("/audience", {"device": "bench-phone-{n:06d}"}, "patch", "rev", ("time", {}), phones)

    async def score(self, i: int) -> int:
        return await self._command("adjust_score", {"team": TEAM, "points": 1, "reason": f"bench {i}"})

    async def change(self) -> None:
        await self._command("reset_question" if self.opened else "open_answers")
        self.opened = not self.opened


class Bare(Target):
    name = "bare"
    chat = "`time` (ACKed with the server's clock)"
    change_words = "`poll` {open: true/false}: appended to the log, emitted to the phones' room"

    def __init__(self, tmp: Path, loop: str) -> None:
        super().__init__(tmp)
        self.loop = loop

    async def start(self) -> None:
        argv = [sys.executable, str(ROOT / "bench" / "bare_sio.py"), "--port", str(self.port)]
        self.spawn(argv + ["--db", str(self.tmp / "bare.db"), "--loop", self.loop])
        await self.until_answers("/healthz")
        await self.connect_desk()

    async def connect_desk(self) -> None:
        self.graphic.on("score", lambda data: self.graphic_saw(data["rev"]))
        await self.graphic.connect(self.url, auth={"role": "graphic"}, transports=["websocket"])
        await self.producer.connect(self.url, auth={"role": "producer"}, transports=["websocket"])

    def describe(self) -> str:
        return f"bare python-socketio: bench/bare_sio.py, pids {self.pids}, {self.loop} event loop"

    async def _command(self, name: str, payload: Any) -> int:
        ack = await self.producer.call(name, payload, timeout=10)
        self.revision = max(self.revision, ack["rev"])
        return int(ack["rev"])

    def flavour(self) -> Flavour:
        return Flavour("/", {"role": "phone"}, "poll", "rev", ("time", {}))

    async def score(self, i: int) -> int:
        return await self._command("score", {"team": TEAM, "points": 1, "reason": f"bench {i}"})

    async def change(self) -> None:
        await self._command("poll", {"open": self.revision % 2 == 0})


def _loop_of(pid: int) -> str:
    """Which event loop a Python server runs on, as far as its memory map tells (uvloop loaded or not)."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return "event loop unknown"
    return UVLOOP if "uvloop" in maps else "asyncio event loop (uvloop not loaded)"


UVLOOP = "uvloop loaded"
