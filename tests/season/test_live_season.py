"""A season's show on the live server: the season in its views, its result recorded when it ends,
the next stage confirmed and a played show corrected from the controller's socket."""

from __future__ import annotations

from pathlib import Path

from server.app import Settings
from server.core import commands as c
from server.log.store import EventLog
from server.season.book import SeasonBook
from server.season.sim import play_season, register
from server.show.engine import Engine
from server.show.sim import Simulator
from tests.transport.conftest import serve
from tests.wording import vi

ROOT = Path(__file__).resolve().parents[2]
QUANG_NAM = ROOT / "show_configs" / "quang-nam-2024.season.yaml"


class _Stop(Exception):
    pass


class _UntilTheEnd:
    """Plays a show through the engine but stops before ``EndShow``: the producer ends it live."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.config = engine, engine.config

    @property
    def state(self):
        return self.engine.state

    def run(self, command: c.Command):
        if isinstance(command, c.EndShow):
            raise _Stop
        return self.engine.run(command)


def prepare(db: Path) -> None:
    """Qualifiers played, semi-finals confirmed, semi-final 2 played; semi-final 1 played up to its end."""
    log = EventLog(db)
    try:
        book = SeasonBook.open(QUANG_NAM, log)
        play_season(book, seed=4, until="vl")
        book.confirm("bk", seed=1)
        for index, runner in ((1, Engine), (0, lambda config, log: _UntilTheEnd(Engine(config, log)))):
            config = book.show_config("bk", index)
            register(book, config)
            try:
                Simulator(runner(config, log), seed=40 + index).play()
            except _Stop:
                pass
            book.record(config)
    finally:
        log.close()


async def test_a_season_show_ends_live_and_the_next_stage_is_confirmed_from_the_desk(aiohttp_server, tmp_path):
    db = tmp_path / "season.db"
    prepare(db)
    settings = Settings(config_path=QUANG_NAM, db_path=db, season_path=QUANG_NAM, season_show="bk-1")
    async with serve(aiohttp_server, settings) as show:
        producer, overlay = await show.producer(), await show.overlay()
        season = producer.view["season"]
        assert [s["status"] for s in season["bracket"][1]["shows"]] == ["live", "done"]
        assert season["next"][0]["waiting"] == ["qn2024-bk-1"]
        # The screen gets the standings and the bracket; what comes next is for the desk.
        assert overlay.view["season"] == {k: v for k, v in season.items() if k not in ("next", "conflicts")}
        teams = [t["id"] for t in producer.view["teams"]]
        assert teams == [t["team"] for t in season["bracket"][1]["shows"][0]["teams"]]

        # Refused before the show ends: nothing changes.
        refusal = await producer.call("season_confirm", {"stage": "ck"})
        assert refusal["error"]["code"] == "rule" and "waiting for Bán kết 1" in refusal["error"]["message"]
        assert "còn chờ" in vi(refusal["error"])

        # The producer ends the show: its result goes into the season, the overlays see it.
        assert (await producer.call("end_show"))["ok"]
        await overlay.wait_for(lambda: overlay.view["season"]["bracket"][1]["shows"][0]["status"] == "done")
        await producer.wait_for(lambda: producer.view["season"]["next"][0]["lineups"] is not None)
        season = producer.view["season"]
        proposal = season["next"][0]
        assert proposal["stage"] == "ck" and len(proposal["lineups"][0]) == 3
        played = {t["team"]: t["points"] for t in season["bracket"][1]["shows"][0]["teams"]}
        assert played == {t["id"]: t["score"] for t in overlay.view["teams"]}

        # Bad requests say what is wrong, and change nothing.
        for event, payload, code, words in [
            ("season_confirm", {}, "bad_request", "stage"),
            ("season_confirm", {"stage": "vl"}, "rule", "has been played"),
            ("season_confirm", {"stage": "ck", "lineups": [["hoi-an"]], "reason": "tay"}, "invalid", "2 to 3 teams"),
            (
                "season_correct",
                {"show": "bk-1", "team": teams[0], "points": "x", "reason": "r"},
                "bad_request",
                "points",
            ),
            (
                "season_correct",
                {"show": "qn2024-bk-1", "team": teams[0], "points": 5, "reason": ""},
                "invalid",
                "reason",
            ),
            ("season_correct", {"show": "nope", "team": teams[0], "points": 5, "reason": "r"}, "not_found", "nope"),
            ("season_confirm", {"stage": "ck", "extra": 1}, "bad_request", "unknown field"),
        ]:
            reply = await producer.call(event, payload)
            assert reply["error"]["code"] == code and words in reply["error"]["message"], (payload, reply)
        assert producer.view["season"] == season

        # An upheld appeal: the points reach the standings on the overlays.
        before = next(r for r in season["standings"] if r["team"] == teams[2])["points"]
        reason = "Khiếu nại được chấp nhận: câu 2 phần Tăng tốc"
        reply = await producer.call(
            "season_correct", {"show": "qn2024-bk-1", "team": teams[2], "points": 5, "reason": reason}
        )
        assert reply["ok"], reply
        await overlay.wait_for(
            lambda: (
                next(r for r in overlay.view["season"]["standings"] if r["team"] == teams[2])["points"] == before + 5
            )
        )

        # Confirming the final: the rules' line-up, now on the bracket.
        lineup = producer.view["season"]["next"][0]["lineups"][0]
        stale = [[*lineup[:2], next(t for t in teams if t not in lineup)]]
        reply = await producer.call("season_confirm", {"stage": "ck", "expect": stale})
        assert reply["error"]["code"] == "rule" and "changed meanwhile" in reply["error"]["message"]
        assert (await producer.call("season_confirm", {"stage": "ck", "expect": [lineup]}))["ok"]
        await producer.wait_for(lambda: producer.view["season"]["next"] == [])
        final = overlay.view["season"]["bracket"][2]["shows"][0]
        assert final["confirmed"] and [t["team"] for t in final["teams"]] == lineup

    # Everything is in the database: a new book reads the same season.
    log = EventLog(db)
    try:
        book = SeasonBook.open(QUANG_NAM, log)
        assert book.state.lineups["ck"].lineups == (tuple(lineup),)
        assert [c.reason for c in book.state.corrections] == [reason]
        assert book.state.result("bk", 0) is not None
    finally:
        log.close()


async def test_a_show_without_a_season_refuses_season_commands(aiohttp_server, show_files) -> None:
    config, db = show_files
    async with serve(aiohttp_server, Settings(config_path=config, db_path=db)) as show:
        producer = await show.producer()
        assert producer.view["season"] is None
        reply = await producer.call("season_confirm", {"stage": "ck"})
        assert reply["error"]["code"] == "no_season" and vi(reply["error"])
