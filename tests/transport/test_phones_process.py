"""One machine's phones process (server/transport/phones_link.py, phones_process.py, handoff.py): ``run``
serves the phones' websockets from a process of their own; their votes land in the owner's log and are
answered from it; the phones stay connected while the show's owner restarts, and come back when their
own process dies."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from server.cli import PHONES_NICE
from server.transport.phones_link import FRAME_MOST, Asks, encode, read
from tests.processes import ServerProcess, server_pid, until_healthy
from tests.transport.conftest import RUN_TOKEN as TOKEN

LINKED = "the phones process is linked"  # the owner's log
ATTACHED = "the phones process's channel is attached"  # from then on the owner hands phones over


class Phone:
    """A phone as the audience page connects: a websocket at the phones' own path."""

    def __init__(self, url: str, n: int, transports: tuple[str, ...] = ("websocket",)) -> None:
        self.url, self.device, self.transports = url, f"phone-test-{n:04d}", list(transports)
        self.sio = socketio.AsyncClient(reconnection_delay=0.05, reconnection_delay_max=0.2)
        self.rev = -1
        self.poll: dict[str, Any] | None = None
        self.snapshots = 0
        self.dropped = 0
        self.changed = asyncio.Event()
        self.sio.on("snapshot", self._snapshot, namespace="/audience")
        self.sio.on("patch", self._patch, namespace="/audience")
        self.sio.on("identity", self._identity, namespace="/audience")
        self.sio.on("disconnect", self._dropped, namespace="/audience")
        self.sio.on("connect", self._connected, namespace="/audience")
        self.live = False  # its namespace connected (a vote may go)

    async def connect(self) -> None:
        await self.sio.connect(
            self.url,
            namespaces=["/audience"],
            socketio_path="phones.io",
            transports=self.transports,
            auth=lambda: {"device": self.device},
            wait_timeout=10,
        )

    def _identity(self, data: dict[str, Any]) -> None:
        self.device = data["device"]

    def _dropped(self, *_: Any) -> None:
        self.dropped += 1
        self.live = False

    def _connected(self) -> None:
        self.live = True
        self.changed.set()

    def _snapshot(self, data: dict[str, Any]) -> None:
        self.snapshots += 1
        self.rev, self.poll = data["rev"], data["view"].get("poll")
        self.changed.set()

    def _patch(self, data: dict[str, Any]) -> None:
        if data["base"] == self.rev:
            self.rev = data["rev"]
            if "poll" in data["patch"]:
                self.poll = None if data["patch"]["poll"] is None else {**(self.poll or {}), **data["patch"]["poll"]}
            self.changed.set()

    async def until(self, test: Any, timeout: float = 10) -> None:
        async with asyncio.timeout(timeout):
            while not test(self):
                self.changed.clear()
                await self.changed.wait()

    async def vote(self, option: str) -> dict[str, Any]:
        return await self.sio.call("vote", {"option": option}, namespace="/audience", timeout=10)


class Producer:
    def __init__(self, url: str) -> None:
        self.url = url
        self.sio = socketio.AsyncClient()
        self.presence: dict[str, Any] = {}
        self.sio.on("presence", self._presence, namespace="/control")

    def _presence(self, data: dict[str, Any]) -> None:
        self.presence = data

    async def connect(self) -> None:
        await self.sio.connect(self.url, namespaces=["/control"], auth={"token": TOKEN}, wait_timeout=10)

    async def command(self, name: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        ack = await self.sio.call(name, payload or {}, namespace="/control", timeout=10)
        assert ack["ok"], ack
        return ack

    async def open_poll(self) -> None:
        """The demo show's audience round, its question shown and open."""
        await self.command("start_show")
        rundown = (await self.sio.call("sync", {}, namespace="/control"))["view"]["rundown"]
        await self.command("goto_segment", {"index": next(s["index"] for s in rundown if s["round"] == "audience")})
        await self.command("show_question")
        await self.command("open_answers")

    async def open_a_poll(self, crowd: list[Phone]) -> list[str]:
        """``open_poll``, seen open on every phone; the poll's options."""
        await self.open_poll()
        await asyncio.gather(*(phone.until(lambda p: p.poll and p.poll.get("open")) for phone in crowd))
        return sorted(crowd[0].poll["options"])  # type: ignore[index]


@pytest.fixture
async def server(run_server: ServerProcess) -> ServerProcess:
    return run_server


@pytest.fixture
async def producer(server: ServerProcess) -> AsyncIterator[Producer]:
    desk = Producer(server.url)
    await desk.connect()
    yield desk
    await desk.sio.disconnect()


async def phones(url: str, count: int) -> list[Phone]:
    crowd = [Phone(url, n) for n in range(count)]
    await asyncio.gather(*(phone.connect() for phone in crowd))
    await asyncio.gather(*(phone.until(lambda p: p.snapshots) for phone in crowd))
    return crowd


def connections(pid: int, port: int) -> int:
    """Established TCP connections to ``port`` that process ``pid`` holds (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    held = 0
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local_port, state, inode = int(fields[1].rsplit(":", 1)[1], 16), fields[3], fields[9]
            held += local_port == port and state == "01" and inode in inodes
    return held


async def the_phones_process(server: ServerProcess, old: int | None = None, links: int = 1) -> int:
    """The phones process's pid (a new one after ``old``), once the owner says it is linked and its channel
    attached ``links`` times: the phones that come before are the owner's own (a long-polling phone's
    next request would go to a process that never heard of its session)."""
    assert server.proc is not None
    log = server.db.with_suffix(".log")

    def ready() -> bool:
        text = log.read_text()
        return text.count(LINKED) >= links and text.count(ATTACHED) >= links

    async with asyncio.timeout(10):
        while (pid := server_pid(server.proc, "phones")) in (None, old) or not ready():
            await asyncio.sleep(0.02)
    return pid  # type: ignore[return-value]


async def tally(server: ServerProcess, producer: Producer) -> dict[str, int]:
    """The closed poll's counts, from the owner's state."""
    await producer.command("close_answers")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/api/v1/state", headers=headers) as response:
        return (await response.json())["view"]["question"]["tally"]["counts"]


async def test_phones_are_served_by_their_own_process_and_their_votes_are_the_owners_log(
    server: ServerProcess, producer: Producer
) -> None:
    phones_pid, owner_pid = await the_phones_process(server), server_pid(server.proc)  # type: ignore[arg-type]
    crowd = await phones(server.url, 30)
    assert connections(phones_pid, server.port) == 30  # every phone's websocket, handed over
    assert connections(owner_pid, server.port) == 1  # the producer's alone  # type: ignore[arg-type]
    # On a busy machine the show's own process gets the CPU first.
    assert os.getpriority(os.PRIO_PROCESS, phones_pid) == os.getpriority(os.PRIO_PROCESS, owner_pid) + PHONES_NICE  # type: ignore[arg-type]
    options = await producer.open_a_poll(crowd)
    acks = await asyncio.gather(*(phone.vote(options[n % 2]) for n, phone in enumerate(crowd)))
    assert all(ack["ok"] for ack in acks), acks
    again = await crowd[0].vote(options[1])  # one vote per phone per poll: the owner says so
    assert not again["ok"]
    counts = await tally(server, producer)
    assert counts[options[0]] == 15 and counts[options[1]] == 15
    # The producer's devices panel counts the phones of the other process.
    async with asyncio.timeout(5):
        while producer.presence.get("audience") != 30:
            await asyncio.sleep(0.05)
    for phone in crowd:
        await phone.sio.disconnect()


async def test_the_phones_stay_connected_while_the_owner_restarts(server: ServerProcess, producer: Producer) -> None:
    await the_phones_process(server)
    crowd = await phones(server.url, 10)
    options = await producer.open_a_poll(crowd)
    assert (await crowd[0].vote(options[0]))["ok"]
    await producer.sio.disconnect()
    server.kill_server()
    await until_healthy(server.url, server.proc)  # type: ignore[arg-type]
    await the_phones_process(server, links=2)
    # Linked again, the phones get the show as the new owner has it (from its log: the poll still open).
    await asyncio.gather(*(phone.until(lambda p: p.snapshots >= 2) for phone in crowd))
    async with asyncio.timeout(10):
        while not (ack := await crowd[1].vote(options[1]))["ok"]:
            assert ack["error"]["code"] == "unavailable", ack  # not linked yet
            await asyncio.sleep(0.05)
    assert all(phone.dropped == 0 for phone in crowd)
    await producer.connect()
    assert await tally(server, producer) == {options[0]: 1, options[1]: 1}
    for phone in crowd:
        await phone.sio.disconnect()


async def test_phones_come_back_when_their_process_dies(server: ServerProcess, producer: Producer) -> None:
    old = await the_phones_process(server)
    crowd = await phones(server.url, 10)
    options = await producer.open_a_poll(crowd)
    os.kill(old, signal.SIGKILL)
    new = await the_phones_process(server, old, links=2)
    # Dropped, and connected again: the snapshot of the poll still open.
    back = [phone.until(lambda p: p.dropped and p.live and p.snapshots == 2 and p.poll) for phone in crowd]
    await asyncio.gather(*back)
    acks = await asyncio.gather(*(phone.vote(options[0]) for phone in crowd))
    assert all(ack["ok"] for ack in acks), acks
    assert (await tally(server, producer))[options[0]] == 10
    async with asyncio.timeout(10):  # the phones that came back before the new process was linked: the owner's
        while connections(new, server.port) + connections(server_pid(server.proc), server.port) < 11:  # type: ignore[arg-type]
            await asyncio.sleep(0.05)
    for phone in crowd:
        await phone.sio.disconnect()


async def test_a_phone_that_long_polls_at_the_phones_path_is_served_too(
    server: ServerProcess, producer: Producer
) -> None:
    """Each of its requests is a connection of its own at the phones process (GET and POST handed over)."""
    await the_phones_process(server)
    crowd = [Phone(server.url, 0, ("polling",)), Phone(server.url, 1, ("polling", "websocket"))]
    for phone in crowd:
        await phone.connect()
        await phone.until(lambda p: p.snapshots)
    options = await producer.open_a_poll(crowd)
    acks = [await phone.vote(options[0]) for phone in crowd]
    assert all(ack["ok"] for ack in acks), acks
    assert (await tally(server, producer)) == {options[0]: 2}
    assert crowd[0].sio.transport() == "polling" and crowd[1].sio.transport() == "websocket"
    # (Not disconnected: python-socketio's polling client waits out its pending poll, about 30 s.)
    await crowd[1].sio.disconnect()


async def test_the_link_refuses_what_is_not_a_message() -> None:
    for raw in (b"\x00\x00\x00\x03abc", (FRAME_MOST + 1).to_bytes(4, "big")):
        reader = asyncio.StreamReader()
        reader.feed_data(raw)
        with pytest.raises(ValueError):
            await read(reader)
    reader = asyncio.StreamReader()
    reader.feed_data(encode(Asks([]))[:3])
    reader.feed_eof()
    with pytest.raises(EOFError):
        await read(reader)
