"""The audience at full size: 5,000 phones held, a question reaching all of them, votes per second
with their ACK latency, and the producer -> overlay latency while the votes pour in.

Run: python bench/audience.py [--phones 5000] [--rate 3000] [--questions 3] [--clients 2]
                              [--networks 100] [--hold 30] [--processes 1 --redis URL]
The server runs as its own process (as on air, ``--no-obs``) on a temp copy of the demo show. The
phones are ``RawPhone``s (tests/transport/phones.py: the socket.io protocol over bare websockets),
run in ``--clients`` separate processes so the bench's own sockets don't starve the server in this
process; times from the different processes are compared on CLOCK_MONOTONIC (``time.perf_counter``
on Linux), which all processes share. The producer (/control) and an overlay (/overlay) are
python-socketio clients in this process.

1. Phones held: connect ``--phones`` phones 200 at a time per client process, hold them ``--hold``
   seconds (one ping interval is 25 s), count those still connected; the server's RSS before/after.
2. A question reaching the phones: from sending ``show_question`` (``reset_question`` once the
   round's questions are used up) and ``open_answers`` to each phone's first ``patch`` that shows
   the poll, and that opens it.
3. Votes: every phone votes once per question, paced at ``--rate`` votes/s over ``--questions``
   questions, then as many questions flat out (every phone at once); ACK latency, the achieved rate,
   and the server's tally (GET /api/v1/state after ``close_answers``) against the accepted votes.
4. Producer -> overlay: ``adjust_score`` every ~50 ms while the votes flow; send -> the overlay's
   patch of that revision.

With ``--processes N --redis URL`` the show runs as in docs/deploy.md: one owner (the producer and
the overlay connect there) and N-1 edges, the phones spread round-robin over all N; the show gets an
id of its own for the run and its keys are removed from Redis at the end (Redis's own CPU is not in
the table).

The server limits votes and joins per network address (server/transport/namespaces/audience.py: 200
votes/s with a burst of 5,000), and new phones' identities per address (``--phones-per-address``; the
bench raises it to each address's share of the phones, all new to the show). A real crowd comes from
many addresses, so the phones bind ``--networks`` loopback source addresses (127.1.x.y); ``--networks 1``
puts them all behind one address, as one venue NAT.
The bench's own processes collect their garbage between measurements only, so that what is timed
is the server's pauses, not the bench's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import json
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.latency import free_port, percentile  # noqa: E402
from tests.processes import server_pid, until_healthy  # noqa: E402

DEMO = ROOT / "show_configs" / "quang-nam-2024-qualifier.yaml"
TOKEN = "bench-producer-token"
TEAM = "tam-ky"
WORKER_FLAG = "--phone-worker"
CONNECT_AT_ONCE = 200  # per client process
TIMER_SECONDS = 20  # the demo audience round's answer time


# -- helpers (as bench/latency.py and bench/overlay_latency.py) -----------------------------------


def report(label: str, latencies: list[float], extra: str = "") -> None:
    if not latencies:
        print(f"  {label:<40} no samples {extra}")
        return
    values = sorted(latencies)
    print(
        f"  {label:<40} p50 {percentile(values, 50):7.2f} ms   p99 {percentile(values, 99):7.2f} ms   "
        f"max {values[-1]:7.2f} ms   (n={len(values)}) {extra}"
    )


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def copy_show(tmp: Path, show_id: str) -> Path:
    """The demo config and its media in a temp folder, so the bench never touches the real ones; under
    a show id of its own, so that its keys in a shared Redis are new too."""
    shutil.copytree(DEMO.parent / "media", tmp / "media")
    original = DEMO.read_text(encoding="utf-8")
    text = original.replace("\n  id: quang-nam-2024-qualifier\n", f"\n  id: {show_id}\n", 1)
    if text == original:
        raise SystemExit(f"{DEMO}: expected the show id 'quang-nam-2024-qualifier' (show.id) to replace")
    config = tmp / DEMO.name
    config.write_text(text, encoding="utf-8")
    return config


async def forget_redis_keys(url: str, show_id: str) -> None:
    """Remove what the run left in Redis (its ballots, tallies, snapshots: all under the show's prefix)."""
    import redis.asyncio as aioredis

    from server.transport.cluster import Keys

    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{Keys(show_id).prefix}:*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def _die_with_parent() -> None:
    """In a child, before exec: get SIGTERM if the bench dies without cleaning up (Linux prctl)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- servers ------------------------------------------------------------------------------------


class Server:
    """One ``python -m server run`` process; its output goes to a log file in the temp folder."""

    def __init__(self, argv: list[str], port: int, log: Path) -> None:
        self.port, self.log = port, log
        self.url = f"http://127.0.0.1:{port}"
        with log.open("wb") as out:
            self.popen = subprocess.Popen(
                argv,
                cwd=ROOT,
                env={**os.environ, "SHOWCALLER_TOKEN_PRODUCER": TOKEN},
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )

    @property
    def pid(self) -> int:
        """The server's own pid (not its keeper's): its CPU and memory are the ones measured."""
        return server_pid(self.popen) or self.popen.pid

    async def wait_healthy(self) -> None:
        await until_healthy(self.url, self.popen, self.log)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def server_argv(config: Path, db: Path, port: int, redis: str | None, owner: bool, per_address: int) -> list[str]:
    """One process of the show, as docs/deploy.md runs them: alone, or with ``--redis`` the owner
    (``--owner``, with the show database) or an edge (phones and overlays; no database of its own).
    ``per_address``: new phones a source address may join at once (the bench's phones are all new)."""
    argv = [sys.executable, "-m", "server", "run", str(config), "--port", str(port), "--no-obs", "--host", "127.0.0.1"]
    argv += ["--phones-per-address", str(per_address)]
    if redis is None:
        return argv + ["--db", str(db)]
    return argv + ["--redis", redis] + (["--owner", "--db", str(db)] if owner else [])


async def start_servers(tmp: Path, config: Path, processes: int, redis: str | None, per_address: int) -> list[Server]:
    """``processes`` servers on their own ports; the first owns the show (the producer and the overlay
    use it). With ``--redis`` the owner starts first, then the edges; the phones are spread
    round-robin over all of them (``PhoneWorker.connect``)."""
    db = tmp / "bench.db"
    servers: list[Server] = []
    for n in range(processes):
        port = free_port()
        argv = server_argv(config, db, port, redis, n == 0, per_address)
        server = Server(argv, port, tmp / f"server-{n}.log")
        servers.append(server)
        await server.wait_healthy()
    return servers


# -- phones, in their own processes -------------------------------------------------------------


class PhoneWorker:
    """Runs in a client process: holds its share of the phones and answers the bench's requests
    (one JSON object per line on stdin, one reply per line on stdout)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.phones: list[Any] = []
        self.indices: list[int] = []  # each phone's number in the whole crowd
        self.sessions: dict[str, aiohttp.ClientSession] = {}
        self.kind = ""  # what the armed phones wait for: "shown" or "open"
        self.seen: list[float | None] = []
        self.waiting = 0
        self.all_seen = asyncio.Event()

    def _session(self, index: int) -> aiohttp.ClientSession:
        networks = self.spec["networks"]
        net = index % networks
        address = f"127.1.{net // 250}.{net % 250 + 1}"
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
        # This process times the server: no collector pauses of its own while it does. Thousands of
        # long-lived sockets stay out of the scans; the garbage is collected between measurements.
        gc.collect()
        gc.freeze()
        gc.disable()
        return {"connected": len(self.phones), "failed": dict(failed), "seconds": time.perf_counter() - started}

    def alive(self) -> dict[str, Any]:
        up = sum(1 for p in self.phones if not p.ws.closed and p.reader is not None and not p.reader.done())
        return {"alive": up}

    def _watcher(self, k: int):
        def on_event(name: str, data: Any) -> None:
            if name != "patch" or not self.kind or self.seen[k] is not None:
                return
            poll = data.get("patch", {}).get("poll") if isinstance(data, dict) else None
            if not isinstance(poll, dict):
                return
            if (self.kind == "shown" and "id" in poll) or (self.kind == "open" and poll.get("open") is True):
                self.seen[k] = time.perf_counter()
                self.waiting -= 1
                if self.waiting == 0:
                    self.all_seen.set()

        return on_event

    def arm(self, kind: str) -> dict[str, Any]:
        gc.collect()
        self.kind, self.seen, self.waiting = kind, [None] * len(self.phones), len(self.phones)
        self.all_seen = asyncio.Event()
        if not self.phones:
            self.all_seen.set()
        for phone in self.phones:
            phone.events.clear()  # the bench reads on_event; don't let the lists grow all night
        return {}

    async def collect(self, timeout: float) -> dict[str, Any]:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.all_seen.wait(), timeout)
        self.kind = ""
        return {"times": [t for t in self.seen if t is not None], "missing": self.seen.count(None)}

    async def vote(self, rate: float, question: int, start: float) -> dict[str, Any]:
        """Every phone votes once: ``rate`` votes a second from this process from ``start`` on, or all
        at once (rate 0). Each ACK's latency is from just before the send to the ACK's arrival."""
        latencies: list[float] = []
        codes: Counter[str] = Counter()
        options: Counter[str] = Counter()
        first_send, last_send, last_ack = float("inf"), 0.0, 0.0

        async def one(k: int) -> None:
            nonlocal first_send, last_send, last_ack
            option = "ABCD"[(self.indices[k] + question) % 4]
            sent = time.perf_counter()
            first_send, last_send = min(first_send, sent), max(last_send, sent)
            try:
                ack = await self.phones[k].call("vote", {"option": option}, timeout=30)
            except (TimeoutError, ConnectionError, RuntimeError) as exc:
                codes[type(exc).__name__] += 1
                return
            now = time.perf_counter()
            last_ack = max(last_ack, now)
            latencies.append(round((now - sent) * 1000, 3))
            if ack.get("ok"):
                codes["ok"] += 1
                options[option] += 1
            else:
                codes[ack.get("error", {}).get("code", "?")] += 1

        rate *= self.spec["count"] / self.spec["total"]  # this process's share of the pace
        tasks: list[asyncio.Task] = []
        await asyncio.sleep(max(0.0, start - time.perf_counter()))
        if rate <= 0:
            tasks = [asyncio.create_task(one(k)) for k in range(len(self.phones))]
        else:
            k = 0
            while k < len(self.phones):
                due = min(len(self.phones), int((time.perf_counter() - start) * rate) + 1)
                while k < due:
                    tasks.append(asyncio.create_task(one(k)))
                    k += 1
                await asyncio.sleep(0.002)
        await asyncio.gather(*tasks)
        for phone in self.phones:
            phone.events.clear()
        return {
            "latencies": latencies,
            "codes": dict(codes),
            "options": dict(options),
            "first_send": first_send,
            "last_send": last_send,
            "last_ack": last_ack,
        }

    async def close(self) -> None:
        await asyncio.gather(*(phone.close() for phone in self.phones), return_exceptions=True)
        for session in self.sessions.values():
            await session.close()


async def worker_main(spec: dict[str, Any]) -> None:
    worker = PhoneWorker(spec)
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
    """The bench's side of the client processes: one request to all of them at once."""

    def __init__(self, procs: list[asyncio.subprocess.Process]) -> None:
        self.procs = procs

    @classmethod
    async def start(cls, urls: list[str], phones: int, clients: int, networks: int) -> Crowd:
        procs = []
        crowd = cls(procs)
        try:
            for w in range(clients):
                first, last = phones * w // clients, phones * (w + 1) // clients
                spec = {"urls": urls, "first": first, "count": last - first, "total": phones, "networks": networks}
                procs.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable,
                        __file__,
                        WORKER_FLAG,
                        json.dumps(spec),
                        cwd=ROOT,
                        stdin=asyncio.subprocess.PIPE,
                        stdout=asyncio.subprocess.PIPE,
                        limit=1 << 24,
                        preexec_fn=_die_with_parent,
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
        async def one(proc: asyncio.subprocess.Process) -> dict[str, Any]:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write((json.dumps({"op": op, **fields}) + "\n").encode())
            await proc.stdin.drain()
            line = await proc.stdout.readline()
            if not line:
                raise SystemExit(f"phone process {proc.pid} died (exit code {proc.returncode})")
            reply = json.loads(line)
            if "error" in reply:
                raise SystemExit(f"phone process {proc.pid} failed '{op}':\n{reply['error']}")
            return reply

        return list(await asyncio.gather(*(one(p) for p in self.procs)))

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


# -- the producer and the overlay ---------------------------------------------------------------


class Desk:
    """The producer on /control and an overlay on /overlay, both on the process that owns the show."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.producer = socketio.AsyncClient()
        self.overlay = socketio.AsyncClient()
        self.seen: dict[int, float] = {}  # revision -> when the overlay got its patch
        self.overlay.on("patch", self._on_patch, namespace="/overlay")

    def _on_patch(self, data: dict) -> None:
        self.seen[data["rev"]] = time.perf_counter()

    async def connect(self) -> None:
        await self.overlay.connect(self.url, namespaces=["/overlay"], transports=["websocket"])
        await self.producer.connect(self.url, namespaces=["/control"], auth={"token": TOKEN}, transports=["websocket"])

    async def call(self, name: str, payload: dict | None = None) -> dict[str, Any]:
        return await self.producer.call(name, payload or {}, namespace="/control", timeout=10)

    async def command(self, name: str, payload: dict | None = None, tolerated: str = "") -> dict[str, Any]:
        ack = await self.call(name, payload)
        if not ack["ok"] and ack["error"]["code"] != tolerated:
            raise SystemExit(f"{name} refused: {ack}")
        return ack

    async def adjust_until(self, done: asyncio.Event) -> tuple[list[float], int]:
        """``adjust_score`` every ~50 ms until ``done``: send -> the overlay's patch of that revision (ms),
        and how many patches never came."""
        sent: dict[int, float] = {}
        while not done.is_set():
            start = time.perf_counter()
            ack = await self.command("adjust_score", {"team": TEAM, "points": 1, "reason": "bench"})
            sent[ack["rev"]] = start
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 0.05)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                while not all(rev in self.seen for rev in sent):
                    await asyncio.sleep(0.01)
        latencies = [(self.seen[rev] - t) * 1000 for rev, t in sent.items() if rev in self.seen]
        return latencies, len(sent) - len(latencies)

    async def tally(self, http: aiohttp.ClientSession) -> dict[str, Any]:
        """The question's tally as the server has it (the producer view over HTTP)."""
        async with http.get(f"{self.url}/api/v1/state", headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            return (await r.json())["view"]["question"]["tally"]

    async def close(self) -> None:
        for client in (self.producer, self.overlay):
            with contextlib.suppress(Exception):
                await client.disconnect()


class CpuMeter:
    """CPU used by the server(s), the phone processes and this process, summed over labelled windows."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self.windows: dict[str, list[Any]] = {}  # label -> [wall seconds, {group: cpu seconds}]
        self.begin()

    def _now(self) -> tuple[float, dict[str, float]]:
        return time.perf_counter(), {g: sum(cpu_seconds(pid) for pid in pids) for g, pids in self.groups.items()}

    def begin(self) -> None:
        self.start = self._now()

    def end(self, label: str) -> None:
        (t0, cpu0), (t1, cpu1) = self.start, self._now()
        window = self.windows.setdefault(label, [0.0, Counter()])
        window[0] += t1 - t0
        for group in cpu1:
            window[1][group] += cpu1[group] - cpu0[group]
        self.start = (t1, cpu1)

    def print(self) -> None:
        print(f"\nCPU, % of one core ({os.cpu_count()} cores: {100 * (os.cpu_count() or 1)}% is all of them)")
        print(f"  {'':<28}" + "".join(f"{g:>10}" for g in self.groups) + f"{'seconds':>10}")
        for label, (wall, cpu) in self.windows.items():
            row = "".join(f"{100 * cpu[g] / wall:>9.0f}%" for g in self.groups)
            print(f"  {label:<28}{row}{wall:>10.1f}")


# -- the bench ----------------------------------------------------------------------------------


async def play_question(
    desk: Desk, crowd: Crowd, http: aiohttp.ClientSession, meter: CpuMeter, number: int, rate: float, label: str
) -> dict[str, Any]:
    """Show a question, open it, pour one vote per phone (paced at ``rate``/s, or flat out), close it."""
    gc.collect()  # then none while timing (collection is off in the bench's processes, see bench())
    await crowd.ask("arm", kind="shown")
    sent = time.perf_counter()
    ack = await desk.call("show_question")
    if not ack["ok"]:  # the round's questions are used up: play the last one again, as a new ballot box
        sent = time.perf_counter()
        await desk.command("reset_question")
    shown = await crowd.ask("collect", timeout=10)
    await crowd.ask("arm", kind="open")
    sent_open = time.perf_counter()
    await desk.command("open_answers")
    opened = await crowd.ask("collect", timeout=10)
    phones = sum(len(r["times"]) + r["missing"] for r in opened)
    if rate and phones / rate > TIMER_SECONDS - 5:  # a slow pace would outlast the round's timer
        await desk.command("start_timer", {"duration_ms": int((phones / rate + 30) * 1000)})

    done = asyncio.Event()
    meter.begin()
    overlay = asyncio.create_task(desk.adjust_until(done))
    votes = await crowd.ask("vote", rate=rate, question=number, start=time.perf_counter() + 0.1)
    meter.end(label)
    done.set()
    overlay_ms, overlay_missing = await overlay
    await desk.command("close_answers", tolerated="phase")  # "phase": the timer closed it first
    tally = await desk.tally(http)

    codes = sum((Counter(r["codes"]) for r in votes), Counter())
    options = sum((Counter(r["options"]) for r in votes), Counter())
    first = min(r["first_send"] for r in votes)
    last, last_send = max(r["last_ack"] for r in votes), max(r["last_send"] for r in votes)
    return {
        "label": label,
        "shown": [(t - sent) * 1000 for r in shown for t in r["times"]],
        "shown_missing": sum(r["missing"] for r in shown),
        "open": [(t - sent_open) * 1000 for r in opened for t in r["times"]],
        "open_missing": sum(r["missing"] for r in opened),
        "acks": [ms for r in votes for ms in r["latencies"]],
        "codes": codes,
        "accepted": codes["ok"],
        "rate": codes["ok"] / (last - first) if last > first else 0.0,  # first send -> last ACK
        "send_rate": codes.total() / (last_send - first) if last_send > first else float("inf"),
        "tally_ok": tally["total"] == codes["ok"] and {k: v for k, v in tally["counts"].items() if v} == options,
        "tally": tally["total"],
        "overlay": overlay_ms,
        "overlay_missing": overlay_missing,
    }


async def audience_count(http: aiohttp.ClientSession, servers: list[Server]) -> int:
    total = 0
    for server in servers:
        async with http.get(f"{server.url}/healthz") as r:
            total += (await r.json())["clients"]["audience"]
    return total


def print_votes(title: str, played: list[dict[str, Any]], paced: bool) -> None:
    print(f"\n3. votes, {title}: one per phone per question")
    for q in played:
        codes = ", ".join(f"{c} {n}" for c, n in sorted(q["codes"].items()) if c != "ok") or "none"
        print(
            f"  question {q['number']}: sent at {q['send_rate']:,.0f}/s, {q['accepted']} accepted at "
            f"{q['rate']:,.0f}/s (refused: {codes}); server tally {q['tally']} "
            f"{'=' if q['tally_ok'] else '!='} accepted"
        )
    acks = [ms for q in played for ms in q["acks"]]
    took = sum(q["accepted"] / q["rate"] for q in played if q["rate"])
    achieved = sum(q["accepted"] for q in played) / took if took else 0.0
    target = f"target p99 < 100 ms: {verdict(bool(acks) and percentile(sorted(acks), 99) < 100)}" if paced else ""
    report("vote -> ACK", acks, target)
    tallies = all(q["tally_ok"] for q in played)
    print(f"  achieved {achieved:,.0f} votes/s (first send -> last ACK); tallies exact: {verdict(tallies)}")


def print_overlay(label: str, latencies: list[float], missing: int) -> None:
    ok = bool(latencies) and percentile(sorted(latencies), 99) < 10 and not missing
    report(label, latencies, f"missing {missing}; target p99 < 10 ms: {verdict(ok)}")


def print_results(args: argparse.Namespace, r: dict[str, Any]) -> None:
    played, paced, flat = r["played"], r["played"][: args.questions], r["played"][args.questions :]
    per_thousand = (r["rss_after"] - r["rss_before"]) / max(1, r["joined"]) * 1000
    print(
        f"\nshowcaller audience bench: {args.phones} phones in {args.clients} client process(es), "
        f"{args.processes} server process(es), {args.networks} network address(es), {os.cpu_count()} cores"
    )
    print("\n1. phones held")
    failed = f" (failed: {dict(r['failed'])})" if r["failed"] else ""
    print(
        f"  connected {r['joined']}/{args.phones} in {r['seconds']:.1f} s{failed}; after {args.hold:g} s idle: "
        f"{r['alive']} still connected, the server counts {r['counted']}"
    )
    print(
        f"  server RSS {r['rss_before']:.1f} MiB before, {r['rss_after']:.1f} MiB after: {per_thousand:.1f} MiB per "
        f"1,000 phones (target < 40: {verdict(per_thousand < 40)})"
    )
    print("\n2. a question reaching the phones: command sent -> each phone's first patch that shows it")
    shown = [ms for q in played for ms in q["shown"]]
    opened = [ms for q in played for ms in q["open"]]
    missing = sum(q["open_missing"] + q["shown_missing"] for q in played)
    report("show_question -> poll on the phone", shown)
    ok = bool(opened) and max(opened) <= 500 and not missing
    report("open_answers -> poll open", opened, f"missing {missing}; target all < 500 ms: {verdict(ok)}")
    print("  last phone per question (open_answers): " + ", ".join(f"{max(q['open']):.0f}" for q in played) + " ms")
    print_votes(f"paced at {args.rate:g}/s", paced, True)
    print_votes("flat out (every phone at once)", flat, False)
    print("\n4. producer adjust_score every ~50 ms -> the overlay's patch of that revision")
    print_overlay("no votes (phones connected, idle)", *r["idle_overlay"])
    for title, qs in ((f"votes at {args.rate:g}/s", paced), ("votes flat out", flat)):
        print_overlay(title, [ms for q in qs for ms in q["overlay"]], sum(q["overlay_missing"] for q in qs))
    r["meter"].print()


async def measure(args: argparse.Namespace, servers: list[Server], crowd: Crowd, desk: Desk) -> dict[str, Any]:
    r: dict[str, Any] = {"rss_before": sum(rss_mib(s.pid) for s in servers)}
    meter = r["meter"] = CpuMeter({"server": [s.pid for s in servers], "phones": crowd.pids, "bench": [os.getpid()]})
    connected = await crowd.ask("connect")
    meter.end(f"connect {args.phones} phones")
    r["joined"] = sum(c["connected"] for c in connected)
    r["failed"] = sum((Counter(c["failed"]) for c in connected), Counter())
    r["seconds"] = max(c["seconds"] for c in connected)
    await asyncio.sleep(args.hold)
    r["alive"] = sum(c["alive"] for c in await crowd.ask("alive"))
    meter.end(f"hold {args.hold:g} s (idle)")
    r["rss_after"] = sum(rss_mib(s.pid) for s in servers)
    async with aiohttp.ClientSession() as http:
        r["counted"] = await audience_count(http, servers)
        gc.collect()
        gc.freeze()
        gc.disable()  # see PhoneWorker.connect; collected between questions (play_question)
        try:
            done = asyncio.Event()
            asyncio.get_running_loop().call_later(3, done.set)
            r["idle_overlay"] = await desk.adjust_until(done)
            r["played"] = []
            for n in range(2 * args.questions):
                paced = n < args.questions
                label = f"votes at {args.rate:g}/s" if paced else "votes flat out"
                r["played"].append(await play_question(desk, crowd, http, meter, n, args.rate if paced else 0, label))
                r["played"][-1]["number"] = n + 1
        finally:
            gc.enable()
    return r


async def bench(args: argparse.Namespace, tmp: Path) -> None:
    show_id = f"bench-{secrets.token_hex(4)}"
    config = copy_show(tmp, show_id)
    servers: list[Server] = []
    crowd: Crowd | None = None
    desk: Desk | None = None
    try:
        # Every bench phone is new to the show: each address's allowance covers its share (a venue NAT).
        per_address = max(100, -(-args.phones // args.networks))
        servers = await start_servers(tmp, config, args.processes, args.redis, per_address)
        desk = Desk(servers[0].url)
        await desk.connect()
        await desk.command("start_show")
        rundown = (await desk.call("sync"))["view"]["rundown"]
        await desk.command("goto_segment", {"index": next(s["index"] for s in rundown if s["round"] == "audience")})
        # docs/deploy.md: the desk (producer, overlay) on the owner, the phones on the edges.
        phone_servers = servers[1:] if len(servers) > 1 and args.phones_on == "edges" else servers
        crowd = await Crowd.start([s.url for s in phone_servers], args.phones, args.clients, args.networks)
        await crowd.ask("alive")  # started and answering: their imports don't count as connecting
        await asyncio.sleep(0.5)
        results = await measure(args, servers, crowd, desk)
    finally:
        if desk is not None:
            await desk.close()
        if crowd is not None:
            await crowd.stop()
        for server in servers:
            server.stop()
        if args.redis is not None:
            await forget_redis_keys(args.redis, show_id)
    print_results(args, results)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=3000, help="paced votes a second, all phones together")
    parser.add_argument("--questions", type=int, default=3, help="questions paced, then as many flat out")
    parser.add_argument("--clients", type=int, default=2, help="processes running the phones")
    parser.add_argument("--networks", type=int, default=100, help="source addresses the phones spread over")
    parser.add_argument("--hold", type=float, default=30, help="seconds the phones stay idle before counting")
    parser.add_argument("--processes", type=int, default=1, help="server processes (more need --redis)")
    parser.add_argument("--redis", default=None, help="Redis URL for the multi-process mode")
    parser.add_argument(
        "--phones-on", choices=("all", "edges"), default="all", help="several processes: phones on all, or edges only"
    )
    args = parser.parse_args()
    if args.phones < 1 or args.rate <= 0 or args.questions < 1 or args.clients < 1 or not 1 <= args.networks <= 60000:
        raise SystemExit("expected --phones, --rate, --questions, --clients >= 1 and --networks from 1 to 60000")
    if args.processes < 1 or (args.processes > 1 and args.redis is None):
        raise SystemExit("--processes N > 1 needs --redis URL (the edges share the owner's emits through Redis)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the servers and phone processes inherit it
    if hard < args.phones + 1024:
        raise SystemExit(f"{args.phones} phones need more open files than this system's limit ({hard})")
    # A SIGTERM cancels the run like Ctrl-C does, so the servers and phone processes are still stopped.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    with tempfile.TemporaryDirectory(prefix="showcaller-bench-") as tmp:
        await bench(args, Path(tmp))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == WORKER_FLAG:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the bench stops us (or our stdin closes)
        asyncio.run(worker_main(json.loads(sys.argv[2])))
    else:
        try:
            asyncio.run(main())
        except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C or SIGTERM, after the cleanup
            raise SystemExit("interrupted") from None
