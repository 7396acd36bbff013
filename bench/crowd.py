"""Thousands of phones for the benches, in processes of their own so that the bench's sockets don't
starve the server (or the bench's own clock) in one process.

Each phone is bench/fanout_wire.py's ``Phone``: a socket.io client on /audience as a bare asyncio
protocol, a few microseconds a message, so that what a bench times is the server, not its phones. It
answers pings, votes (an ACKed event) and notes each patch's revision as it arrives. A ``Crowd`` starts
``clients`` worker processes (this file with ``--phone-worker``) and asks them all the same thing at
once: one JSON object per line on their stdin, one reply per line on their stdout. Times from different
processes are compared on CLOCK_MONOTONIC (``time.perf_counter`` on Linux), which every process shares.

Every phone counts the patches it receives and when each revision reached it (``wait_rev``), so a bench
can check that every phone got every change; ``arm`` then ``collect(rev)`` time each phone's first patch
at or after a command's revision (a question shown, answers opened). Phones bind ``networks`` loopback
source addresses (127.1.x.y), as a hall's phones come from many addresses. The workers collect their
garbage between measurements only: what is timed is the server's pauses, not theirs.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import json
import os
import signal
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fanout_wire import Phone, connect  # noqa: E402

WORKER_FLAG = "--phone-worker"
CONNECT_AT_ONCE = 200  # per worker process
# A phone on /audience (bench/fanout_wire.py's Flavour.spec): it watches the patches' revisions.
FLAVOUR = {"prefix": "/audience,", "event": "patch", "field": "rev", "chat": ("time", {}), "path": "/phones.io/"}


def die_with_parent() -> None:
    """In a child, before exec: get SIGTERM if the bench dies without cleaning up (Linux prctl)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


PHONES_NICE = 19  # the phones stand in for other devices: the CPU the server leaves is theirs


def elsewhere() -> None:
    """In a phones' worker, before exec: it dies with the bench, and takes only the CPU the server leaves,
    as the hall's phones are other devices: the server's figures are the server's, not the bench phones'
    share of two cores (their own arrival times only get later for it)."""
    die_with_parent()
    os.nice(PHONES_NICE)


def source_address(n: int, networks: int) -> str:
    """The loopback address phone ``n`` connects from."""
    net = n % networks
    return f"127.1.{net // 250}.{net % 250 + 1}"


class PhoneWorker:
    """Runs in a worker process: holds its share of the phones and answers the bench's requests."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.phones: list[Phone] = []
        self.indices: list[int] = []  # each phone's number in the whole crowd
        self.patches: list[int] = []  # patches each phone received
        self.revs: dict[int, list[float]] = {}  # revision -> [phones that got it, first, last arrival]
        self.rev_wanted: tuple[int, asyncio.Event] | None = None
        self.arrivals: list[list[tuple[int, float]]] | None = None  # since ``arm``: each phone's (rev, time)
        self.target: int | None = None  # ``collect``'s revision
        self.reached = 0
        self.all_reached = asyncio.Event()

    async def connect(self) -> dict[str, Any]:
        urls, first, count, networks = self.spec["urls"], self.spec["first"], self.spec["count"], self.spec["networks"]
        failed: Counter[str] = Counter()
        started = time.perf_counter()
        for start in range(first, first + count, CONNECT_AT_ONCE):
            batch = range(start, min(first + count, start + CONNECT_AT_ONCE))
            results = await asyncio.gather(*(self._connect(n, urls, networks) for n in batch), return_exceptions=True)
            for n, result in zip(batch, results, strict=True):
                if isinstance(result, BaseException):
                    failed[type(result).__name__] += 1
                    continue
                result.slot, result.armed = len(self.phones), 0  # armed 0: every patch counts (_on_seen)
                self.phones.append(result)
                self.indices.append(n)
                self.patches.append(0)
        # No collector pauses while timing: thousands of long-lived sockets stay out of the scans, and
        # the garbage is collected between measurements.
        gc.collect()
        gc.freeze()
        gc.disable()
        return {"connected": len(self.phones), "failed": dict(failed), "seconds": time.perf_counter() - started}

    def _connect(self, n: int, urls: list[str], networks: int) -> Any:
        # Phone n talks to server n mod N: round-robin over the processes.
        host, port = urls[n % len(urls)].removeprefix("http://").rsplit(":", 1)
        flavour = {**FLAVOUR, "auth": {"device": f"bench-phone-{n:06d}"}}
        return connect(host, int(port), flavour, self._on_seen, source_address(n, networks))

    def alive(self) -> dict[str, Any]:
        return {"alive": sum(1 for p in self.phones if not p.closed)}

    def _on_seen(self, phone: Phone, rev: int, at: float) -> None:
        phone.armed = rev + 1  # the phone watches for one revision: from now on, the next
        k = phone.slot
        self.patches[k] += 1
        got = self.revs.get(rev)
        if got is None:
            got = self.revs[rev] = [0, at, at]
        got[0] += 1
        got[2] = at
        if self.rev_wanted is not None and self.rev_wanted[0] == rev and got[0] == len(self.phones):
            self.rev_wanted[1].set()
        if self.arrivals is not None:
            mine = self.arrivals[k]
            mine.append((rev, at))
            target = self.target
            if target is not None and rev >= target and (len(mine) == 1 or mine[-2][0] < target):
                self.reached += 1
                if self.reached == len(self.phones):
                    self.all_reached.set()

    async def wait_rev(self, rev: int, timeout: float) -> dict[str, Any]:
        """Until every phone has revision ``rev`` (or ``timeout`` s): how many did, first and last arrival."""
        got = self.revs.get(rev)
        if got is None or got[0] < len(self.phones):
            self.rev_wanted = (rev, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.rev_wanted[1].wait(), timeout)
            self.rev_wanted = None
        got = self.revs.pop(rev, [0, 0.0, 0.0])
        return {"count": int(got[0]), "first": got[1], "last": got[2], "phones": len(self.phones)}

    def patch_counts(self) -> dict[str, Any]:
        """Patches received per phone: the fewest, the most, all of them."""
        patches = self.patches
        return {"fewest": min(patches, default=0), "most": max(patches, default=0), "total": sum(patches)}

    def arm(self) -> dict[str, Any]:
        """Note every phone's patches from now on, for ``collect`` (collecting the garbage first)."""
        gc.collect()
        self.revs.clear()
        self.arrivals = [[] for _ in self.phones]
        return {}

    async def collect(self, rev: int, timeout: float) -> dict[str, Any]:
        """Each phone's first patch at revision ``rev`` or later since ``arm``, waiting ``timeout`` s at most."""
        assert self.arrivals is not None, "collect without arm"
        self.target, self.all_reached = rev, asyncio.Event()
        self.reached = sum(1 for mine in self.arrivals if mine and mine[-1][0] >= rev)
        if self.reached == len(self.phones):
            self.all_reached.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.all_reached.wait(), timeout)
        times = [next((t for r, t in mine if r >= rev), None) for mine in self.arrivals]
        self.target, self.arrivals = None, None
        return {"times": [t for t in times if t is not None], "missing": times.count(None)}

    async def vote(self, rate: float, question: int, start: float) -> dict[str, Any]:
        """Every phone votes once: ``rate`` votes a second from this process from ``start`` on, or all
        at once (rate 0)."""
        tally = _Tally()
        rate *= self.spec["count"] / self.spec["total"]  # this process's share of the pace
        tasks: list[asyncio.Task] = []
        await asyncio.sleep(max(0.0, start - time.perf_counter()))
        if rate <= 0:
            tasks = [asyncio.create_task(self._vote(k, question, tally)) for k in range(len(self.phones))]
        else:
            k = 0
            while k < len(self.phones):
                due = min(len(self.phones), int((time.perf_counter() - start) * rate) + 1)
                while k < due:
                    tasks.append(asyncio.create_task(self._vote(k, question, tally)))
                    k += 1
                await asyncio.sleep(0.002)
        await asyncio.gather(*tasks)
        return tally.reply()

    async def loop(self, lanes: int, votes: int, seconds: float, question: int) -> dict[str, Any]:
        """A closed loop: ``lanes`` votes outstanding, each lane sending the next phone's vote once the
        previous one's ACK came; each phone votes once, ``votes`` of them at most, for ``seconds`` at most."""
        gc.collect()
        tally = _Tally()
        phones = iter(range(min(votes, len(self.phones))))
        deadline = time.perf_counter() + seconds

        async def lane() -> None:
            for k in phones:  # one iterator for all lanes: each phone once
                if time.perf_counter() > deadline:
                    return
                await self._vote(k, question, tally)

        await asyncio.gather(*(lane() for _ in range(lanes)))
        return tally.reply()

    async def _vote(self, k: int, question: int, tally: _Tally) -> None:
        """Phone ``k`` votes; the ACK's latency is from just before the send to its arrival."""
        option = "ABCD"[(self.indices[k] + question) % 4]
        sent = time.perf_counter()
        tally.first_send, tally.last_send = min(tally.first_send, sent), max(tally.last_send, sent)
        try:
            reply = self.phones[k].emit("vote", {"option": option}, ack=True, future=True)
            assert reply is not None
            ack = (await asyncio.wait_for(reply, 30))[0]
        except (TimeoutError, ConnectionError) as exc:
            tally.codes[type(exc).__name__] += 1
            return
        now = time.perf_counter()
        tally.last_ack = max(tally.last_ack, now)
        tally.latencies.append(round((now - sent) * 1000, 3))
        if ack.get("ok"):
            tally.codes["ok"] += 1
            tally.options[option] += 1
        else:
            tally.codes[ack.get("error", {}).get("code", "?")] += 1

    async def close(self) -> None:
        for phone in self.phones:
            phone.close()


class _Tally:
    """One round of votes from one worker: ACK latencies (ms), answers by code, options counted, times."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.codes: Counter[str] = Counter()
        self.options: Counter[str] = Counter()
        self.first_send, self.last_send, self.last_ack = float("inf"), 0.0, 0.0

    def reply(self) -> dict[str, Any]:
        return {
            "latencies": self.latencies,
            "codes": dict(self.codes),
            "options": dict(self.options),
            "first_send": self.first_send,
            "last_send": self.last_send,
            "last_ack": self.last_ack,
        }


async def serve(worker: Any) -> None:
    """A phone worker process's loop: one JSON request a line on stdin (``{"op": method, ...}``), the
    method's result a line on stdout, until ``quit`` or the bench goes away; then ``worker.close()``."""
    try:
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:  # the bench went away
                break
            request = json.loads(line)
            op = request.pop("op")
            if op == "quit":
                break
            try:
                result = getattr(worker, op)(**request)
                if asyncio.iscoroutine(result):
                    result = await result
            except Exception:
                result = {"error": traceback.format_exc()}
            sys.stdout.write(json.dumps(result) + "\n")
            sys.stdout.flush()
    finally:
        closed = worker.close()
        if asyncio.iscoroutine(closed):
            await closed


async def worker_main(spec: dict[str, Any]) -> None:
    await serve(PhoneWorker(spec))


class Workers:
    """The bench's side of worker processes, each running a script with a spec of its own (``serve``):
    one request to all of them at once."""

    def __init__(self, procs: list[asyncio.subprocess.Process]) -> None:
        self.procs = procs

    @classmethod
    async def spawn(cls, script: str, specs: list[dict[str, Any]]) -> Self:
        """One process of ``script`` per spec; all stopped again if one fails to start."""
        workers = cls([])
        try:
            for spec in specs:
                workers.procs.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable,
                        script,
                        WORKER_FLAG,
                        json.dumps(spec),
                        cwd=ROOT,
                        stdin=asyncio.subprocess.PIPE,
                        stdout=asyncio.subprocess.PIPE,
                        limit=1 << 26,
                        preexec_fn=elsewhere,
                    )
                )
        except BaseException:
            await workers.stop()
            raise
        return workers

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    async def ask(self, op: str, **fields: Any) -> list[dict[str, Any]]:
        """Send ``op`` to every worker; their replies, in worker order."""
        return await self.ask_each(op, [fields] * len(self.procs))

    async def ask_each(self, op: str, fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send ``op`` to every worker with fields of its own."""

        async def one(proc: asyncio.subprocess.Process, mine: dict[str, Any]) -> dict[str, Any]:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write((json.dumps({"op": op, **mine}) + "\n").encode())
            await proc.stdin.drain()
            line = await proc.stdout.readline()
            if not line:
                raise SystemExit(f"phone process {proc.pid} died (exit code {proc.returncode})")
            reply = json.loads(line)
            if "error" in reply:
                raise SystemExit(f"phone process {proc.pid} failed '{op}':\n{reply['error']}")
            return reply

        return list(await asyncio.gather(*(one(p, f) for p, f in zip(self.procs, fields, strict=True))))

    async def stop(self) -> None:
        for proc in self.procs:
            if proc.returncode is None and proc.stdin is not None:
                with contextlib.suppress(Exception):
                    proc.stdin.write(b'{"op": "quit"}\n')
                    await proc.stdin.drain()
        for proc in self.procs:
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()


class Crowd(Workers):
    """Phones on /audience in ``clients`` worker processes."""

    @classmethod
    async def start(cls, urls: list[str], phones: int, clients: int, networks: int) -> Crowd:
        """``clients`` processes sharing ``phones`` phones of ``urls`` (round-robin), not yet connected."""
        specs = []
        for w in range(clients):
            first, last = phones * w // clients, phones * (w + 1) // clients
            specs.append({"urls": urls, "first": first, "count": last - first, "total": phones, "networks": networks})
        return await cls.spawn(__file__, specs)


def run_loop(main: Any) -> None:
    """``asyncio.run(main)``, on uvloop when it is installed (as ``run`` serves): the clients' side of a
    socket costs less."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != WORKER_FLAG:
        raise SystemExit(f"usage: {sys.argv[0]} {WORKER_FLAG} SPEC (started by Crowd.start)")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the bench stops us (or our stdin closes)
    run_loop(worker_main(json.loads(sys.argv[2])))
