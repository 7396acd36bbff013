"""5,000 entrants taking the online quiz at once, on one ``python -m server quiz run`` process.

Run: python bench/online_quiz.py [--entrants 5000] [--answers 10] [--gap 1,3] [--workers 2] [--quick]
                                 [--redis URL [--edges 1]]

1. Each entrant registers (a code, read from the server's console as the organizers' would be), signs in
   and starts, from one of 100 loopback source addresses (127.2.x.y: a commune's phones come from many).
2. Paced: every entrant answers ``--answers`` questions, one every ``--gap`` seconds (uniform), all at
   once: each save -> its ACK (ms). The target: p99 <= 100 ms.
3. Capacity, closed loop: 64, 256 and 1,024 saves in flight, each sent the moment the last one was
   ACKed, for ``--seconds`` each: saves ACKed per second (measured, not asked for).
4. Memory: the server's RSS before the entrants and with every attempt open, MiB per 1,000 entrants.
The entrants run in ``--workers`` processes of their own, on bare keep-alive HTTP/1.1 connections.
With ``--redis``: an owner (``--owner``) and ``--edges`` edges share that Redis; the entrants connect to
the edges in turn, the owner writes (RSS and CPU are the processes' sum).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.crowd import die_with_parent  # noqa: E402
from bench.measure import cpu_seconds, machine, percentile, progress, report, rss_mib, verdict  # noqa: E402
from tests.processes import free_port  # noqa: E402

QUIZ = ROOT / "show_configs" / "ung-hoa-2025.quiz.yaml"
WORKER_FLAG = "--entrant-worker"
NETWORKS = 100
CODE = re.compile(r"one-time code for (\S+) \(.*\): (\d{6})")


def source(n: int) -> str:
    return f"127.2.{n % NETWORKS // 250}.{n % NETWORKS % 250 + 1}"


# -- the entrants' side: bare HTTP/1.1 keep-alive connections -------------------------------------


class Http(asyncio.Protocol):
    """One keep-alive connection: a request at a time, its answer's status and body."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).decode("latin-1")
        length = int(re.search(r"(?i)content-length: *(\d+)", head).group(1))
        if len(self.buffer) < end + 4 + length:
            return
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((int(head.split(" ", 2)[1]), body))

    def connection_lost(self, exc) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("closed"))

    async def post(self, path: str, body: bytes, cookie: str) -> tuple[int, bytes]:
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(
            f"POST {path} HTTP/1.1\r\nHost: quiz\r\nCookie: {cookie}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        return await self.waiter


async def worker(job: dict[str, Any]) -> None:
    """A worker's entrants: one connection each; a phase for each line on stdin, its figures on stdout."""
    loop = asyncio.get_running_loop()
    conns: list[Http] = []
    for n, (_, address) in enumerate(job["entrants"]):
        port = job["ports"][n % len(job["ports"])]
        _, conn = await loop.create_connection(Http, "127.0.0.1", port, local_addr=(address, 0))
        conns.append(conn)
    print(json.dumps({"ready": len(conns)}), flush=True)
    saves = Saves(conns, [cookie for cookie, _ in job["entrants"]])
    for line in sys.stdin:
        ask = json.loads(line)
        saves.latencies.clear()
        saves.refused.clear()
        started = time.perf_counter()
        if ask["phase"] == "paced":
            await asyncio.gather(*(paced(saves, k, ask["answers"], *ask["gap"]) for k in range(len(conns))))
        else:
            free = list(range(len(conns)))
            random.shuffle(free)
            until = started + ask["seconds"]
            await asyncio.gather(*(lane(saves, free, until) for _ in range(ask["lanes"])))
        figures = {"latencies": saves.latencies, "refused": saves.refused, "wall": time.perf_counter() - started}
        print(json.dumps(figures), flush=True)


class Saves:
    """Entrants' saves, each timed from its request to its ACK."""

    def __init__(self, conns: list[Http], cookies: list[str]) -> None:
        self.conns, self.cookies = conns, cookies
        self.latencies: list[float] = []
        self.refused: dict[str, int] = {}

    async def save(self, k: int, item: int) -> None:
        body = json.dumps({"item": item, "choice": random.randrange(4)}).encode()
        start = time.perf_counter()
        status, answer = await self.conns[k].post("/quiz/api/answer", body, self.cookies[k])
        self.latencies.append((time.perf_counter() - start) * 1000)
        if status != 200:
            key = json.loads(answer)["error"]["key"]
            self.refused[key] = self.refused.get(key, 0) + 1


async def paced(saves: Saves, k: int, answers: int, lo: float, hi: float) -> None:
    """One entrant answering at a human's pace, starting at a random moment."""
    await asyncio.sleep(random.uniform(0, hi))
    for item in range(answers):
        await saves.save(k, item)
        await asyncio.sleep(random.uniform(lo, hi))


async def lane(saves: Saves, free: list[int], until: float) -> None:
    """A save in flight at all times, each from the entrant who waited longest."""
    while time.perf_counter() < until:
        k = free.pop()
        await saves.save(k, random.randrange(20))
        free.insert(0, k)


# -- the bench -------------------------------------------------------------------------------------


class Workers:
    def __init__(self, procs: list[asyncio.subprocess.Process]) -> None:
        self.procs = procs

    @classmethod
    async def start(cls, ports: list[int], entrants: list[tuple[str, str]], count: int) -> Workers:
        procs = []
        for w in range(count):
            job = {"ports": ports, "entrants": entrants[w::count]}
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                WORKER_FLAG,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                preexec_fn=die_with_parent,
                limit=2**26,
            )
            proc.stdin.write((json.dumps(job) + "\n").encode())  # too long for an argument
            procs.append(proc)
        for proc in procs:
            json.loads(await proc.stdout.readline())
        return cls(procs)

    async def ask(self, **ask: Any) -> list[dict[str, Any]]:
        for proc in self.procs:
            proc.stdin.write((json.dumps(ask) + "\n").encode())
            await proc.stdin.drain()
        return [json.loads(await proc.stdout.readline()) for proc in self.procs]

    async def stop(self) -> None:
        for proc in self.procs:
            proc.stdin.close()
            proc.kill()
            await proc.wait()


async def register(url: str, log: Path, entrants: int, units: list[str]) -> list[tuple[str, str]]:
    """Every entrant registered, signed in and started: (their session cookie, their source address)."""
    sessions = [
        aiohttp.ClientSession(
            url, connector=aiohttp.TCPConnector(local_addr=(source(n), 0)), cookie_jar=aiohttp.DummyCookieJar()
        )
        for n in range(NETWORKS)
    ]
    contacts = [f"08{n:08d}" for n in range(entrants)]
    gate = asyncio.Semaphore(64)

    async def post(n: int, path: str, body: dict, cookie: str = "") -> aiohttp.ClientResponse:
        async with gate:
            headers = {"Cookie": cookie} if cookie else {}
            async with sessions[n % NETWORKS].post(f"/quiz/api/{path}", json=body, headers=headers) as response:
                answer = await response.json()
                if not answer["ok"]:
                    raise SystemExit(f"{path} refused for entrant {n}: {answer['error']['message']}")
                return response

    await asyncio.gather(
        *(
            post(n, "code", {"contact": c, "name": f"Người dự thi {n}", "unit": units[n % len(units)], "consent": True})
            for n, c in enumerate(contacts)
        )
    )
    codes = dict(CODE.findall(log.read_text(errors="replace")))
    cookies: list[str] = [""] * entrants

    async def sign_in(n: int) -> None:
        response = await post(n, "verify", {"contact": contacts[n], "code": codes[contacts[n]]})
        morsel = next(iter(response.cookies.values()))
        cookies[n] = f"{morsel.key}={morsel.value}"
        await post(n, "start", {}, cookies[n])

    await asyncio.gather(*(sign_in(n) for n in range(entrants)))
    for session in sessions:
        await session.close()
    return [(cookies[n], source(n)) for n in range(entrants)]


async def bench(args: argparse.Namespace) -> None:
    print(machine())
    lanes = ", ".join(map(str, args.lanes))
    print(
        f"online quiz bench: {args.entrants:,} entrants, {args.answers} paced answers each one every "
        f"{args.gap[0]}-{args.gap[1]} s, closed loop at {lanes} in flight for {args.seconds} s each"
    )
    tmp = Path(tempfile.mkdtemp(prefix="showcaller-quiz-"))
    log = tmp / "quiz.log"  # the owner's: the codes are printed there
    argv = [sys.executable, "-m", "server", "quiz", "run", str(QUIZ), "--rehearsal", "--host", "127.0.0.1"]
    roles = [[]] if args.redis is None else [["--redis", args.redis, "--owner"]]
    roles += [["--redis", args.redis]] * (args.edges if args.redis else 0)
    procs, ports = [], []
    for n, role in enumerate(roles):
        port = free_port()
        with (log if n == 0 else tmp / f"edge-{n}.log").open("w") as out:
            procs.append(
                subprocess.Popen(
                    [*argv, *role, "--port", str(port), "--db", str(tmp / ("quiz.db" if n == 0 else f"edge-{n}.db"))],
                    cwd=ROOT,
                    stdout=out,
                    stderr=out,
                    preexec_fn=die_with_parent,
                )
            )
        ports.append(port)
    if args.redis:
        print(f"  a cluster: an owner and {args.edges} edge(s) sharing {args.redis}; entrants on the edges")
        ports = ports[1:]
    proc = procs[0]
    pids = [p.pid for p in procs]
    url = f"http://127.0.0.1:{ports[0]}"
    workers = None
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(400):
                try:
                    async with http.get(f"{url}/quiz/api/info") as response:
                        units = (await response.json())["units"]
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.05)
            else:
                raise SystemExit(f"the quiz server did not start: {log.read_text()[-2000:]}")
        rss0 = sum(rss_mib(pid) for pid in pids)
        progress(f"registering {args.entrants:,} entrants")
        took = time.perf_counter()
        entrants = await register(url, log, args.entrants, units)
        print(f"  registered, signed in and started {len(entrants):,} entrants in {time.perf_counter() - took:.1f} s")
        workers = await Workers.start(ports, entrants, args.workers)
        rss1 = sum(rss_mib(pid) for pid in pids)
        per_1000 = (rss1 - rss0) / args.entrants * 1000
        print(f"  server RSS {rss0:.1f} -> {rss1:.1f} MiB with every attempt open and connected", end="")
        print(f": {per_1000:.1f} MiB per 1,000 entrants")
        progress("paced answers")
        cpu0 = sum(cpu_seconds(pid) for pid in pids)
        replies = await workers.ask(phase="paced", answers=args.answers, gap=args.gap)
        wall = max(r["wall"] for r in replies)
        paced = [ms for r in replies for ms in r["latencies"]]
        refused = {k: v for r in replies for k, v in r["refused"].items()}
        report(f"save -> ACK, {args.entrants:,} entrants paced ({len(paced) / wall:,.0f}/s)", paced)
        cpu = 100 * (sum(cpu_seconds(pid) for pid in pids) - cpu0) / wall
        print(f"  {'':<44} refused: {refused or 'none'}; server CPU {cpu:.0f} % of a core")
        rates = {}
        for lanes in args.lanes:
            progress(f"closed loop, {lanes} saves in flight")
            replies = await workers.ask(phase="closed", lanes=max(1, lanes // args.workers), seconds=args.seconds)
            wall = max(r["wall"] for r in replies)
            got = [ms for r in replies for ms in r["latencies"]]
            rates[lanes] = len(got) / wall
            report(f"closed loop, {lanes} in flight ({rates[lanes]:,.0f} saves/s)", got)
        rss2 = sum(rss_mib(pid) for pid in pids)
        print(f"  server RSS after the answers: {rss2:.1f} MiB")
        print(f"\n== targets ({args.entrants:,} entrants)")
        verdict("save -> ACK p99 while every entrant answers", percentile(sorted(paced), 99), 100, "ms")
        print(
            f"INFO    answers saved per second, closed loop, best of {len(rates)} levels: {max(rates.values()):,.0f}/s"
        )
        print(f"INFO    memory: {per_1000:.1f} MiB per 1,000 entrants with their attempts open and connected")
    finally:
        if workers is not None:
            await workers.stop()
        for proc in procs:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entrants", type=int, default=5000)
    parser.add_argument("--answers", type=int, default=10, help="paced answers per entrant")
    parser.add_argument("--gap", default="1,3", help="seconds between an entrant's answers: low,high")
    parser.add_argument("--lanes", default="64,256,1024", help="saves in flight, closed loop")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 300 entrants, 3 answers, 1 s a level")
    parser.add_argument("--redis", default=None, help="a cluster sharing this Redis URL: an owner and --edges edges")
    parser.add_argument("--edges", type=int, default=1, help="with --redis: edges the entrants connect to")
    args = parser.parse_args(argv)
    args.gap = [float(x) for x in args.gap.split(",")]
    args.lanes = [int(x) for x in args.lanes.split(",")]
    if args.quick:
        args.entrants, args.answers, args.seconds, args.gap, args.lanes = 300, 3, 1.0, [0.2, 0.5], [16, 64]
    return args


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == WORKER_FLAG:
        asyncio.run(worker(json.loads(sys.stdin.readline())))
        raise SystemExit(0)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        asyncio.run(bench(parse()))
    except KeyboardInterrupt:
        raise SystemExit("interrupted") from None
