"""Phones speaking the socket.io protocol (Engine.IO 4) over a bare websocket: light enough that a
test or a benchmark runs thousands of them in one process. Each is a real client of the server's
/audience namespace: it connects with a device id (adopting the identity the server issues it, as the
phone page does), answers pings, sends ACKed events, reads ACKs."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import aiohttp


class RawPhone:
    def __init__(self, http: aiohttp.ClientSession, base_url: str, device: str) -> None:
        self.http, self.base_url, self.device = http, base_url, device
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future] = {}
        self.events: list[tuple[str, Any]] = []
        self.joined = asyncio.Event()
        self.reader: asyncio.Task | None = None
        self.on_event = None  # optional callback(name, data), e.g. to time a broadcast

    async def connect(self) -> RawPhone:
        url = self.base_url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await self.http.ws_connect(url, compress=0, autoping=False)
        await self.ws.receive()  # Engine.IO "open"
        await self.ws.send_str("40/audience," + json.dumps({"device": self.device}))
        self.reader = asyncio.create_task(self._read())
        await asyncio.wait_for(self.joined.wait(), 30)
        return self

    async def _read(self) -> None:
        assert self.ws is not None
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data: str = message.data
            if data == "2":
                await self.ws.send_str("3")
            elif data.startswith("40/audience"):
                self.joined.set()
            elif data.startswith("44/audience"):
                self.joined.set()
                self.events.append(("connect_error", json.loads(data.split(",", 1)[1])))
            elif data.startswith("43/audience,"):
                body = data[len("43/audience,") :]
                ack_id, payload = body.split("[", 1)
                future = self.waiting.pop(int(ack_id), None)
                if future is not None and not future.done():
                    future.set_result(json.loads("[" + payload)[0])
            elif data.startswith("42/audience,"):
                name, *args = json.loads(data[len("42/audience,") :])
                self.events.append((name, args[0] if args else None))
                if name == "identity":  # the server issued this phone an identity: present it from now on
                    self.device = args[0]["device"]
                if self.on_event is not None:
                    self.on_event(name, args[0] if args else None)

    async def call(self, event: str, payload: Any = None, timeout: float = 30) -> dict[str, Any]:
        assert self.ws is not None
        ack_id = next(self.ids)
        future = asyncio.get_running_loop().create_future()
        self.waiting[ack_id] = future
        await self.ws.send_str(f"42/audience,{ack_id}" + json.dumps([event, payload or {}], ensure_ascii=False))
        return await asyncio.wait_for(future, timeout)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()


def phone_session() -> aiohttp.ClientSession:
    """An HTTP session for many phones (the default connector would hold them to 100 connections)."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))


async def crowd(http: aiohttp.ClientSession, base_url: str, count: int, prefix: str = "phone", at_once: int = 200):
    """``count`` connected phones, joining ``at_once`` at a time (as a hall does after the QR code shows)."""
    phones: list[RawPhone] = []
    for start in range(0, count, at_once):
        batch = [RawPhone(http, base_url, f"{prefix}-{n:06d}") for n in range(start, min(count, start + at_once))]
        phones += await asyncio.gather(*(p.connect() for p in batch))
    return phones
