"""A live server on a free loopback port, and real socket.io clients that keep a view."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio

from server.app import Settings, create_app
from server.show.patch import merge
from server.transport.keys import ACCESS, SERVICE
from tests.processes import ServerProcess


class ViewClient:
    """A socket.io client on one namespace that keeps its view current from snapshots and patches."""

    def __init__(self, url: str, namespace: str, auth: dict[str, Any] | None = None) -> None:
        self.url, self.namespace, self.auth = url, namespace, auth or {}
        self.sio = socketio.AsyncClient(reconnection=False)
        self.view: dict[str, Any] = {}
        self.rev = -1
        self.resyncs = 0
        self.changed = asyncio.Event()
        self.events: list[tuple[str, Any]] = []
        self.sio.on("snapshot", self._snapshot, namespace=namespace)
        self.sio.on("patch", self._patch, namespace=namespace)
        self.sio.on("*", self._any, namespace=namespace)

    async def connect(self) -> ViewClient:
        await self.sio.connect(self.url, namespaces=[self.namespace], auth=self.auth, transports=["websocket"])
        await self.wait_for(lambda: self.rev >= 0)
        return self

    async def _snapshot(self, data: dict[str, Any]) -> None:
        self.view, self.rev = data["view"], data["rev"]
        self.changed.set()

    async def _patch(self, data: dict[str, Any]) -> None:
        if data["base"] != self.rev:
            self.resyncs += 1
            reply = await self.sio.call("sync", namespace=self.namespace)
            await self._snapshot(reply)
            return
        self.view, self.rev = merge(self.view, data["patch"]), data["rev"]
        self.changed.set()

    async def _any(self, event: str, data: Any = None) -> None:
        self.events.append((event, data))

    async def call(self, event: str, payload: Any = None, timeout: float = 5) -> dict[str, Any]:
        return await self.sio.call(event, payload, namespace=self.namespace, timeout=timeout)

    async def wait_for(self, predicate, timeout: float = 5) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

    async def close(self) -> None:
        await self.sio.disconnect()


class LiveShow:
    def __init__(self, server, app) -> None:
        self.server, self.app = server, app
        self.url = f"http://127.0.0.1:{server.port}"
        self.clients: list[ViewClient] = []

    @property
    def service(self):
        return self.app[SERVICE]

    def token(self, role: str, subject: str = "") -> str:
        return self.app[ACCESS].token(role, subject)

    async def client(self, namespace: str, **auth: Any) -> ViewClient:
        client = await ViewClient(self.url, namespace, auth).connect()
        self.clients.append(client)
        return client

    async def producer(self) -> ViewClient:
        return await self.client("/control", token=self.token("producer"))

    async def team(self, team: str, **extra: Any) -> ViewClient:
        return await self.client("/team", token=self.token("team", team), **extra)

    async def judge(self, judge: str) -> ViewClient:
        return await self.client("/judge", token=self.token("judge", judge))

    async def overlay(self) -> ViewClient:
        return await self.client("/overlay")


@pytest.fixture
async def live(aiohttp_server, show_files) -> AsyncIterator[LiveShow]:
    config, db = show_files
    async with serve(aiohttp_server, Settings(config_path=config, db_path=db)) as show:
        yield show


@contextlib.asynccontextmanager
async def serve(aiohttp_server, settings: Settings) -> AsyncIterator[LiveShow]:
    """A live show on loopback for ``settings``; its clients are closed after."""
    app = create_app(settings)
    show = LiveShow(await aiohttp_server(app, host="127.0.0.1"), app)
    try:
        yield show
    finally:
        for client in show.clients:
            if client.sio.connected:
                await client.close()


RUN_TOKEN = "run-test-producer-token"  # the producer's token of ``run_server``


@pytest.fixture
async def run_server(tmp_path) -> AsyncIterator[ServerProcess]:
    """``python -m server run`` on the demo show (keeper, server, phones process), stopped after the test if
    it still runs; the producer's token is ``RUN_TOKEN``."""
    running = ServerProcess(tmp_path / "show.db", RUN_TOKEN)
    await running.start()
    yield running
    running.stop()
