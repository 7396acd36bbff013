"""Every view the service renders fits its contract (server/transport/contract): every shipped show is
played by the simulator through a real ``ShowService`` and, after every step, each role's view is
converted strictly into its struct. A field added to a view without the contract, or of another type,
fails here with the config, the step, the view and the field's path."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest

from server.configs import load_show
from server.core import commands as c
from server.core.config import ShowConfig
from server.core.events import Action
from server.log.store import EventLog
from server.season.book import SeasonBook
from server.season.sim import play_season
from server.show.preview import Preview, sample_season
from server.show.service import ShowService
from server.show.sim import Simulator
from server.transport.contract import views, wire
from tests.conftest import SHIPPED_SHOWS

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = SHIPPED_SHOWS
SEASON = ROOT / "show_configs" / "quang-nam-2024.season.yaml"


def conform(where: str, audience: str, view: dict[str, Any]) -> None:
    """The view converts strictly into its struct, or the test fails naming what does not fit."""
    try:
        kind = views.view_type(audience)
    except KeyError:
        pytest.fail(f"{where}: a view for '{audience}' that has no struct in server/transport/contract/views.py")
    try:
        msgspec.convert(view, kind, strict=True)
    except msgspec.ValidationError as exc:
        pytest.fail(f"{where}: the {audience} view does not fit {kind.__name__}: {exc}")


class CheckedRunner:
    """The simulator's runner: each command through the service, then every view checked."""

    def __init__(self, config: ShowConfig, log: EventLog, name: str) -> None:
        self.config, self.name = config, name
        self.now = 1_718_000_000_000
        self.service = ShowService(config, log, clock=lambda: self.now)
        self.steps = 0
        self.check("start")

    @property
    def state(self):
        return self.service.state

    def run(self, command: c.Command) -> Action:
        self.now = max(self.now, command.at)
        action = self.service.submit(command)
        self.steps += 1
        self.check(f"step {self.steps} ({type(command).__name__})")
        return action

    def check(self, step: str) -> None:
        for audience, (rev, view) in self.service.views.items():
            where = f"{self.name}, {step}"
            conform(where, audience, view)
            envelope = self.service.snapshot(audience)
            msgspec.convert(envelope, wire.Snapshot, strict=True)
            assert envelope["rev"] == rev


@pytest.fixture(scope="module")
def live_season(tmp_path_factory) -> dict[str, Any]:
    """A real season's view (qualifiers played, the semi-finals proposed), as a season's show carries it."""
    log = EventLog(tmp_path_factory.mktemp("season") / "season.db")
    try:
        book = SeasonBook.open(SEASON, log)
        play_season(book, seed=4, until="vl")
        return book.view(live="bk-1")
    finally:
        log.close()


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_every_view_of_a_whole_show_fits_the_contract(path: Path, tmp_path: Path, live_season) -> None:
    config = load_show(path)
    log = EventLog(tmp_path / "show.db")
    try:
        log.add_show(config, path.read_text(encoding="utf-8"), 0)
        runner = CheckedRunner(config, log, path.name)
        simulator = Simulator(runner, seed=11, audience=8)
        simulator.play()
        # What the simulator never does: straps, overlays, undo and redo, a season.
        first = config.teams[0] if config.teams else None
        if first is not None:
            simulator.cmd(c.ShowLowerThird, team=first.id)
            if first.members:
                simulator.cmd(c.ShowLowerThird, member=first.members[0].id)
        simulator.cmd(c.ShowLowerThird, name="Nguyễn Văn A", title="Khách mời")
        simulator.cmd(c.SetOverlay, overlay="scoreboard", visible="scoreboard" not in runner.state.board.on_air)
        simulator.cmd(c.Undo)
        simulator.cmd(c.Redo)
        simulator.cmd(c.Undo)
        for season in (sample_season(config), live_season, None):
            runner.service.set_season(season)
            runner.check(f"season {'none' if season is None else season.get('id', 'sample')}")
        assert runner.steps > 10
    finally:
        log.close()


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_the_overlays_sample_views_fit_the_public_contract(path: Path) -> None:
    """``?preview=1`` draws the overlays from sample public views: they keep the same shape."""
    config = load_show(path)
    for name, view in Preview(config).views(1_718_000_000_000).items():
        conform(f"{path.name}, preview of {name}", "public", view)


def test_a_field_outside_the_contract_fails_with_its_path(tmp_path: Path) -> None:
    config = load_show(CONFIGS[0])
    log = EventLog(tmp_path / "show.db")
    try:
        log.add_show(config, CONFIGS[0].read_text(encoding="utf-8"), 0)
        view = ShowService(config, log).views["producer"][1]
    finally:
        log.close()
    conform("as rendered", "producer", view)
    grown = {**view, "teams": [{**view["teams"][0], "mascot": "🐉"}, *view["teams"][1:]]}
    with pytest.raises(msgspec.ValidationError, match=r"unknown field `mascot` - at `\$\.teams\[0\]`"):
        msgspec.convert(grown, views.ProducerView, strict=True)
    wrong = {**view, "phase": 3}
    with pytest.raises(msgspec.ValidationError, match=r"\$\.phase"):
        msgspec.convert(wrong, views.ProducerView, strict=True)


def fits(kind: type, value: Any) -> Any:
    """``value`` converted strictly into ``kind`` (the test fails with the path otherwise)."""
    try:
        return msgspec.convert(value, kind, strict=True)
    except msgspec.ValidationError as exc:
        pytest.fail(f"{value!r:.200} does not fit {kind.__name__}: {exc}")


async def test_acks_envelopes_and_http_answers_fit_the_contract(live) -> None:
    """The real server's answers, over real sockets and HTTP, against the wire structs."""
    producer = await live.producer()
    presence: list[Any] = []
    told = asyncio.Event()

    async def present(data: Any) -> None:
        presence.append(data)
        told.set()

    producer.sio.on("presence", present, namespace="/control")
    overlay = await live.overlay()
    phone = await live.client("/audience", device="phone-contract-1")
    conform("/control", "producer", producer.view)
    conform("/overlay", "public", overlay.view)
    conform("/audience", "audience", phone.view)
    fits(wire.SyncAck, await producer.call("sync"))
    fits(wire.TimeAck, await overlay.call("time"))
    fits(wire.MineAck, await phone.call("mine"))
    fits(wire.ErrorAck, await phone.call("vote", {"option": "A"}))
    fits(wire.ErrorAck, await producer.call("pause_timer"))
    patches: list[Any] = []
    keep = overlay._patch

    async def seen(data: Any) -> None:
        patches.append(data)
        await keep(data)

    overlay.sio.on("patch", seen, namespace="/overlay")
    fits(wire.CommandAck, await producer.call("start_show"))
    await overlay.wait_for(lambda: overlay.view.get("phase") == "live")
    assert patches
    for data in patches:
        fits(wire.Patch, data)
    async with asyncio.timeout(5):
        await told.wait()
    for data in presence:
        fits(wire.Presence, data)
    bearer = {"Authorization": f"Bearer {live.token('producer')}"}
    async with aiohttp.ClientSession(live.url) as http:
        async with http.get("/healthz") as r:
            fits(wire.Health, await r.json())
        async with http.get("/api/v1/state") as r:
            conform("GET /api/v1/state", "public", fits(wire.SyncAck, await r.json()).view)
        async with http.get("/api/v1/state", headers=bearer) as r:
            conform("GET /api/v1/state", "producer", fits(wire.SyncAck, await r.json()).view)
        async with http.get("/api/v1/commands") as r:
            fits(wire.CommandList, await r.json())
        async with http.get("/api/v1/awards", headers=bearer) as r:
            fits(wire.Awards, await r.json())
        async with http.get("/api/v1/pads", headers=bearer) as r:
            fits(wire.Pads, await r.json())
        async with http.post("/api/v1/commands/next_please", headers=bearer) as r:
            fits(wire.ErrorAck, await r.json())
        async with http.post("/api/v1/commands/end_show", headers=bearer, json={}) as r:
            fits(wire.CommandDone, await r.json())
