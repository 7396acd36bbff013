"""The fanout bench's phones, in processes of their own (``Crowd``): each holds a share of the phones
(``bench/fanout_wire.py``) and answers the bench's requests, one JSON object a line on stdin and one
reply a line on stdout.

Phone ``i`` lives in process ``i mod W`` and connects from loopback address 127.1.x.y (``i mod networks``):
a hall's phones come from many addresses, and the servers' per-address limits stay out of the way.
Growing the crowd (``connect`` up to a total) keeps the phones already connected. The processes collect
their garbage only between measurements (``arm``), so their pauses are not timed as the server's.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.crowd import WORKER_FLAG, Workers, serve, source_address  # noqa: E402
from bench.fanout_wire import Phone, connect  # noqa: E402

CONNECT_AT_ONCE = 200  # per process
CHAT_TICK = 0.005  # seconds between a chatting process's sends


class PhoneWorker:
    """One process's share of the phones."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.phones: list[Phone] = []
        self.numbers: list[int] = []  # each phone's number in the whole crowd
        self.seen: list[float | None] = []
        self.waiting = 0
        self.all_seen = asyncio.Event()
        self.chatting: asyncio.Task[int] | None = None

    def _mine(self, upto: int) -> range:
        """The global numbers of this process's phones below ``upto``."""
        return range(self.spec["worker"], upto, self.spec["workers"])

    def _on_seen(self, phone: Phone, rev: int, at: float) -> None:
        if self.seen[phone.slot] is None:
            self.seen[phone.slot] = at
            self.waiting -= 1
            if self.waiting == 0:
                self.all_seen.set()

    async def connect(self, upto: int) -> dict[str, Any]:
        """Connect this process's phones up to ``upto`` phones in all (those connected stay)."""
        host, port, networks = "127.0.0.1", self.spec["port"], self.spec["networks"]
        have = set(self.numbers)
        todo = [n for n in self._mine(upto) if n not in have]
        failed: Counter[str] = Counter()
        started = time.perf_counter()
        gc.enable()
        fresh: list[Phone] = []
        for at in range(0, len(todo), CONNECT_AT_ONCE):
            batch = todo[at : at + CONNECT_AT_ONCE]
            results = await asyncio.gather(
                *(connect(host, port, self._flavour(n), self._on_seen, source_address(n, networks)) for n in batch),
                return_exceptions=True,
            )
            for n, result in zip(batch, results, strict=True):
                if isinstance(result, BaseException):
                    failed[type(result).__name__] += 1
                    continue
                result.slot = len(self.phones)
                self.phones.append(result)
                self.numbers.append(n)
                fresh.append(result)
        if self.spec.get("join"):  # NodeCG: a replicant's changes go to the sockets in its room
            acks = [p.emit("joinRoom", self.spec["join"], ack=True, future=True) for p in fresh]
            await asyncio.gather(*(a for a in acks if a is not None))
        _quiet_gc()
        return {"connected": len(self.phones), "failed": dict(failed), "seconds": time.perf_counter() - started}

    def _flavour(self, n: int) -> dict[str, Any]:
        flavour = dict(self.spec["flavour"])
        flavour["auth"] = {k: v.format(n=n) if isinstance(v, str) else v for k, v in flavour["auth"].items()}
        return flavour

    def alive(self) -> dict[str, Any]:
        return {"alive": sum(1 for p in self.phones if not p.closed)}

    def arm(self, revision: int) -> dict[str, Any]:
        """Watch for the first event at ``revision`` or later on every phone (collecting garbage first)."""
        gc.collect()
        self.seen, self.waiting = [None] * len(self.phones), len(self.phones)
        self.all_seen = asyncio.Event()
        if not self.phones:
            self.all_seen.set()
        for phone in self.phones:
            phone.armed = revision
        return {}

    async def collect(self, timeout: float) -> dict[str, Any]:
        """When each phone saw the armed event (CLOCK_MONOTONIC seconds), and how many did not in time."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.all_seen.wait(), timeout)
        for phone in self.phones:
            phone.armed = -1
        return {"times": [t for t in self.seen if t is not None], "missing": self.seen.count(None)}

    def chat_start(self, clients: int, rate: float) -> dict[str, Any]:
        """This process's phones among the first ``clients`` send the flavour's chat request, ``rate`` a second
        among all processes, until ``chat_stop``."""
        chatty = [p for n, p in zip(self.numbers, self.phones, strict=True) if n < clients]
        share = rate * len(chatty) / max(1, clients)
        self.chatting = asyncio.create_task(self._chat(chatty, share))
        return {"clients": len(chatty)}

    async def _chat(self, chatty: list[Phone], rate: float) -> int:
        event, payload = self.spec["flavour"]["chat"]
        sent, start = 0, time.perf_counter()
        try:
            while chatty and rate > 0:
                due = int((time.perf_counter() - start) * rate)
                while sent < due:
                    chatty[sent % len(chatty)].emit(event, payload, ack=True)
                    sent += 1
                await asyncio.sleep(CHAT_TICK)
        except asyncio.CancelledError:
            pass
        return sent

    async def chat_stop(self, timeout: float = 5) -> dict[str, Any]:
        """Stop chatting; the ACKs' round trips (ms) once the last has come back, or ``timeout`` passed."""
        assert self.chatting is not None
        self.chatting.cancel()
        sent = await self.chatting
        deadline = time.perf_counter() + timeout
        while any(p.acks for p in self.phones) and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        ack_ms = [ms for p in self.phones for ms in p.ack_ms]
        unanswered = sum(len(p.acks) for p in self.phones)
        for phone in self.phones:
            phone.ack_ms.clear()
            phone.acks.clear()
        return {"sent": sent, "ack_ms": ack_ms, "unanswered": unanswered}

    def close(self) -> None:
        for phone in self.phones:
            phone.close()


def _quiet_gc() -> None:
    """Thousands of long-lived sockets stay out of the collector's scans; garbage is collected in ``arm``."""
    gc.collect()
    gc.freeze()
    gc.disable()


async def worker_main(spec: dict[str, Any]) -> None:
    await serve(PhoneWorker(spec))


class Crowd(Workers):
    """The fanout bench's phones in worker processes of their own."""

    @classmethod
    async def start(cls, spec: dict[str, Any], workers: int) -> Crowd:
        """``workers`` processes sharing the phones of one server (``spec``: port, networks, flavour, join)."""
        crowd = await cls.spawn(__file__, [{**spec, "worker": w, "workers": workers} for w in range(workers)])
        try:
            await crowd.ask("alive")  # started and answering: their imports are not timed
        except BaseException:
            await crowd.stop()
            raise
        return crowd


def _run_worker(spec: dict[str, Any]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the bench stops us (or our stdin closes)
    try:
        import uvloop
    except ImportError:
        asyncio.run(worker_main(spec))
    else:
        uvloop.run(worker_main(spec))


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == WORKER_FLAG:
    _run_worker(json.loads(sys.argv[2]))
