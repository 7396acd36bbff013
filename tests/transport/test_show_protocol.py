"""A whole demo show played through the protocol alone, every client a real socket.io client."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import msgspec

from server.core import commands as c
from server.core.standings import standings
from server.show.sim import Simulator, simulate
from tests.transport.conftest import LiveShow, ViewClient

RATE_LIMITED_S = 10  # how long a command refused as too frequent is sent again (ProtocolRunner.run waits 30 s)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class ProtocolRunner:
    """Lets the seeded simulator (which runs in a worker thread) play over socket.io.

    Every command goes out from the client whose role gives it; after each ACK the overlay's
    scoreboard must match the producer's.
    """

    def __init__(self, live: LiveShow, loop: asyncio.AbstractEventLoop) -> None:
        self.live, self.loop = live, loop
        self.config = live.service.config
        self.clients: dict[str, ViewClient] = {}
        self.checks = 0

    @property
    def state(self):
        return self.live.service.state

    def run(self, command: c.Command):
        return asyncio.run_coroutine_threadsafe(self.send(command), self.loop).result(timeout=30)

    async def open(self) -> None:
        self.clients["producer"] = await self.live.producer()
        self.clients["overlay"] = await self.live.overlay()
        for team in self.config.teams:
            self.clients[f"team:{team.id}"] = await self.live.team(team.id)
        for judge in self.config.judges:
            self.clients[f"judge:{judge.id}"] = await self.live.judge(judge.id)

    async def phone(self, device: str) -> ViewClient:
        key = f"phone:{device}"
        if key not in self.clients:
            self.clients[key] = await self.live.client("/audience", device=f"device-{device}")
        return self.clients[key]

    async def send(self, command: c.Command):
        by = command.by
        if isinstance(command, c.CastVotes):
            for vote in command.votes:
                phone = await self.phone(vote.device)
                ack = await phone.call("vote", {"option": vote.option, "nickname": vote.nickname})
                assert ack["ok"], ack
            return self.live.service.last
        client = self.clients["producer" if by.role == "producer" else f"{by.role}:{by.id}"]
        fields = msgspec.to_builtins(command)
        payload = {k: v for k, v in fields.items() if k not in ("at", "by", "type")}
        name = snake(type(command).__name__)
        deadline = time.monotonic() + RATE_LIMITED_S
        while True:
            ack = await client.call(name, payload)
            if ack["ok"] or ack["error"]["code"] != "rate_limited":
                break
            assert time.monotonic() < deadline, f"{name} still rate limited after {RATE_LIMITED_S} s: {ack}"
            await asyncio.sleep(0.1)
        assert ack["ok"], (name, payload, ack)
        await self.check_overlay()
        return self.live.service.last

    async def check_overlay(self) -> None:
        service = self.live.service
        producer, overlay = self.clients["producer"], self.clients["overlay"]
        await producer.wait_for(lambda: producer.rev == service.views["producer"][0])
        await overlay.wait_for(lambda: overlay.rev == service.views["public"][0])
        assert scoreboard(overlay.view) == scoreboard(producer.view)
        self.checks += 1


async def test_whole_demo_show_through_the_protocol(live: LiveShow) -> None:
    runner = ProtocolRunner(live, asyncio.get_running_loop())
    await runner.open()
    await asyncio.to_thread(Simulator(runner, seed=7, audience=12).play)

    expected = simulate(live.service.config, seed=7, audience=12).state.board
    final = runner.clients["overlay"].view
    assert final["phase"] == "ended"
    assert {t["id"]: t["score"] for t in final["teams"]} == {
        team: float(points) if points % 1 else int(points) for team, points in expected.scores.items()
    }
    assert [s["team"] for s in final["standings"]] == [s.team for s in standings(live.service.config, expected)]
    assert runner.checks > 80
    phones = [client for key, client in runner.clients.items() if key.startswith("phone:")]
    assert len(phones) == 12 and all(p.view["title"] for p in phones)


def scoreboard(view: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """What a scoreboard overlay shows: every team's score, and the standings."""
    return {t["id"]: t["score"] for t in view["teams"]}, view["standings"]
