"""Thousands of phones for the benches, in processes of their own so that the bench's sockets don't
starve the server (or the bench's own clock) in one process.

Each phone is a ``RawPhone`` (tests/transport/phones.py: the socket.io protocol over a bare websocket) on
/audience. A ``Crowd`` starts ``clients`` worker processes (this file with ``--phone-worker``) and asks
them all the same thing at once: one JSON object per line on their stdin, one reply per line on their
stdout. Times from different processes are compared on CLOCK_MONOTONIC (``time.perf_counter`` on
Linux), which every process shares.

Every phone counts the patches it receives and when each revision reached it (``wait_rev``), so a
bench can check that every phone got every change. A ``lean`` crowd's phones only do that (and answer
pings): they are bench/fanout_wire.py's bare asyncio protocol, a few microseconds a message, so that a
fan-out to thousands of them times the server, not the phones. Phones bind ``networks`` loopback source
addresses (127.1.x.y), as a hall's phones come from many addresses. The workers collect their garbage
between measurements only: what is timed is the server's pauses, not theirs.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import json
import signal
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORKER_FLAG = "--phone-worker"
CONNECT_AT_ONCE = 200  # per worker process
# A lean phone on /audience (bench/fanout_wire.py's Flavour.spec): it watches the patches' revisions.
LEAN_FLAVOUR = {"prefix": "/audience,", "event": "patch", "field": "rev", "chat": ("time", {})}


def die_with_parent() -> None:
    """In a child, before exec: get SIGTERM if the bench dies without cleaning up (Linux prctl)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def source_address(n: int, networks: int) -> str:
    """The loopback address phone ``n`` connects from."""
    net = n % networks
    return f"127.1.{net // 250}.{net % 250 + 1}"


def quiet_gc() -> None:
    """No collector pauses while timing: thousands of long-lived sockets stay out of the scans, and the
    garbage is collected between measurements."""
    gc.collect()
    gc.freeze()
    gc.disable()


class Revisions:
    """What a worker's phones received: patches per phone, and per revision how many phones got it and
    when the first and the last did."""

    def __init__(self) -> None:
        self.phones: list[Any] = []
        self.patches: list[int] = []  # patches each phone received
        self.revs: dict[int, list[float]] = {}  # revision -> [phones that got it, first, last arrival]
        self.rev_wanted: tuple[int, asyncio.Event] | None = None

    def saw(self, k: int, rev: Any, now: float) -> None:
        """Phone ``k`` got the patch of revision ``rev`` at ``now``."""
        self.patches[k] += 1
        got = self.revs.get(rev)
        if got is None:
            got = self.revs[rev] = [0, now, now]
        got[0] += 1
        got[2] = now
        if self.rev_wanted is not None and self.rev_wanted[0] == rev and got[0] == len(self.phones):
            self.rev_wanted[1].set()

    def forget_events(self) -> None:
        """What the phones keep besides (nothing, unless a subclass's phones do)."""

    async def wait_rev(self, rev: int, timeout: float) -> dict[str, Any]:
        """Until every phone has revision ``rev`` (or ``timeout`` s): how many did, first and last arrival."""
        got = self.revs.get(rev)
        if got is None or got[0] < len(self.phones):
            self.rev_wanted = (rev, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.rev_wanted[1].wait(), timeout)
            self.rev_wanted = None
        got = self.revs.pop(rev, [0, 0.0, 0.0])
        self.forget_events()
        return {"count": int(got[0]), "first": got[1], "last": got[2], "phones": len(self.phones)}

    def patch_counts(self) -> dict[str, Any]:
        """Patches received per phone: the fewest, the most, all of them."""
        patches = self.patches
        return {"fewest": min(patches, default=0), "most": max(patches, default=0), "total": sum(patches)}


class LeanWorker(Revisions):
    """A worker whose phones only receive (bench/fanout_wire.py): each counts every patch it gets."""

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__()
        self.spec = spec

    def _on_seen(self, phone: Any, rev: int, at: float) -> None:
        phone.armed = rev + 1  # fanout_wire's phone watches for one revision: watch for the next
        self.saw(phone.slot, rev, at)

    async def connect(self) -> dict[str, Any]:
        from bench.fanout_wire import connect

        first, count, networks = self.spec["first"], self.spec["count"], self.spec["networks"]
        host, port = self.spec["urls"][0].removeprefix("http://").rsplit(":", 1)
        failed: Counter[str] = Counter()
        started = time.perf_counter()
        for start in range(first, first + count, CONNECT_AT_ONCE):
            batch = range(start, min(first + count, start + CONNECT_AT_ONCE))
            flavours = [{**LEAN_FLAVOUR, "auth": {"device": f"bench-phone-{n:06d}"}} for n in batch]
            results = await asyncio.gather(
                *(
                    connect(host, int(port), f, self._on_seen, source_address(n, networks))
                    for n, f in zip(batch, flavours, strict=True)
                ),
                return_exceptions=True,
            )
            for result in results:
                if isinstance(result, BaseException):
                    failed[type(result).__name__] += 1
                    continue
                result.slot, result.armed = len(self.phones), 0
                self.phones.append(result)
                self.patches.append(0)
        quiet_gc()
        return {"connected": len(self.phones), "failed": dict(failed), "seconds": time.perf_counter() - started}

    def alive(self) -> dict[str, Any]:
        return {"alive": sum(1 for p in self.phones if not p.closed)}

    async def close(self) -> None:
        for phone in self.phones:
            phone.close()


class PhoneWorker(Revisions):
    """Runs in a worker process: holds its share of the phones (``RawPhone``s, which vote and read what a
    patch shows) and answers the bench's requests."""

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__()
        self.spec = spec
        self.indices: list[int] = []  # each phone's number in the whole crowd
        self.sessions: dict[str, aiohttp.ClientSession] = {}
        self.kind = ""  # what the armed phones wait for: "shown" or "open"
        self.seen: list[float | None] = []
        self.waiting = 0
        self.all_seen = asyncio.Event()

    def _session(self, index: int) -> aiohttp.ClientSession:
        address = source_address(index, self.spec["networks"])
        if address not in self.sessions:
            connector = aiohttp.TCPConnector(limit=0, local_addr=(address, 0))
            self.sessions[address] = aiohttp.ClientSession(connector=connector)
        return self.sessions[address]

    async def connect(self) -> dict[str, Any]:
        from tests.transport.phones import RawPhone

        urls, first, count = self.spec["urls"], self.spec["first"], self.spec["count"]
        failed: Counter[str] = Counter()
        started = time.perf_counter()
        for start in range(first, first + count, CONNECT_AT_ONCE):
            batch = []
            for n in range(start, min(first + count, start + CONNECT_AT_ONCE)):
                # Phone n talks to server n mod N: round-robin over the processes.
                batch.append((n, RawPhone(self._session(n), urls[n % len(urls)], f"bench-phone-{n:06d}")))
            results = await asyncio.gather(*(phone.connect() for _, phone in batch), return_exceptions=True)
            for (n, phone), result in zip(batch, results, strict=True):
                refused = [e["data"]["code"] for name, e in phone.events if name == "connect_error"]
                if isinstance(result, BaseException) or refused:
                    failed[refused[0] if refused else type(result).__name__] += 1
                    await phone.close()
                    continue
                phone.events.clear()
                phone.on_event = self._watcher(len(self.phones))
                self.phones.append(phone)
                self.indices.append(n)
                self.patches.append(0)
        quiet_gc()
        return {"connected": len(self.phones), "failed": dict(failed), "seconds": time.perf_counter() - started}

    def alive(self) -> dict[str, Any]:
        up = sum(1 for p in self.phones if not p.ws.closed and p.reader is not None and not p.reader.done())
        return {"alive": up}

    def _watcher(self, k: int):
        def on_event(name: str, data: Any) -> None:
            if name != "patch" or not isinstance(data, dict):
                return
            now = time.perf_counter()
            self.saw(k, data.get("rev"), now)
            if self.kind and self.seen[k] is None:
                poll = data.get("patch", {}).get("poll")
                if isinstance(poll, dict) and (
                    (self.kind == "shown" and "id" in poll) or (self.kind == "open" and poll.get("open") is True)
                ):
                    self.seen[k] = now
                    self.waiting -= 1
                    if self.waiting == 0:
                        self.all_seen.set()

        return on_event

    def forget_events(self) -> None:
        for phone in self.phones:
            phone.events.clear()  # RawPhone keeps every event; the bench reads on_event

    def arm(self, kind: str) -> dict[str, Any]:
        """Note each phone's first patch that shows a poll (``shown``) or opens it (``open``)."""
        gc.collect()
        self.kind, self.seen, self.waiting = kind, [None] * len(self.phones), len(self.phones)
        self.all_seen = asyncio.Event()
        if not self.phones:
            self.all_seen.set()
        self.revs.clear()
        self.forget_events()
        return {}

    async def collect(self, timeout: float) -> dict[str, Any]:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.all_seen.wait(), timeout)
        self.kind = ""
        return {"times": [t for t in self.seen if t is not None], "missing": self.seen.count(None)}

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
        self.forget_events()
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
        self.forget_events()
        return tally.reply()

    async def _vote(self, k: int, question: int, tally: _Tally) -> None:
        """Phone ``k`` votes; the ACK's latency is from just before the send to its arrival."""
        option = "ABCD"[(self.indices[k] + question) % 4]
        sent = time.perf_counter()
        tally.first_send, tally.last_send = min(tally.first_send, sent), max(tally.last_send, sent)
        try:
            ack = await self.phones[k].call("vote", {"option": option}, timeout=30)
        except (TimeoutError, ConnectionError, RuntimeError) as exc:
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
        await asyncio.gather(*(phone.close() for phone in self.phones), return_exceptions=True)
        for session in self.sessions.values():
            await session.close()


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


async def worker_main(spec: dict[str, Any]) -> None:
    worker = LeanWorker(spec) if spec.get("lean") else PhoneWorker(spec)
    out = sys.stdout
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
            out.write(json.dumps(result) + "\n")
            out.flush()
    finally:
        await worker.close()


class Crowd:
    """The bench's side of the worker processes: one request to all of them at once."""

    def __init__(self, procs: list[asyncio.subprocess.Process]) -> None:
        self.procs = procs

    @classmethod
    async def start(cls, urls: list[str], phones: int, clients: int, networks: int, lean: bool = False) -> Crowd:
        """``clients`` processes sharing ``phones`` phones of ``urls`` (round-robin), not yet connected; a
        ``lean`` crowd's phones only receive (one URL)."""
        procs: list[asyncio.subprocess.Process] = []
        crowd = cls(procs)
        try:
            for w in range(clients):
                first, last = phones * w // clients, phones * (w + 1) // clients
                spec = {"urls": urls, "first": first, "count": last - first, "total": phones, "networks": networks}
                spec["lean"] = lean
                procs.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable,
                        __file__,
                        WORKER_FLAG,
                        json.dumps(spec),
                        cwd=ROOT,
                        stdin=asyncio.subprocess.PIPE,
                        stdout=asyncio.subprocess.PIPE,
                        limit=1 << 26,
                        preexec_fn=die_with_parent,
                    )
                )
        except BaseException:
            await crowd.stop()
            raise
        return crowd

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


def run_loop(main: Any) -> None:
    """``asyncio.run(main)``, on uvloop when it is installed: the clients' side of a socket costs less."""
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
    run_loop(worker_main(json.loads(sys.argv[1 + 1])))
