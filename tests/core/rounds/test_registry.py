"""The registry of round types: each round one module, listed once; its settings, capabilities and hooks."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import msgspec
import pytest
from msgspec import Struct

from server.configs import load_show
from server.configs.parse import _Builder, _how
from server.configs.reader import Node, Problems
from server.configs.source import load_yaml
from server.core import commands as c
from server.core.config import ShowConfig
from server.core.rounds import BY_NAME, NAMES, ROUNDS, RoundType, capabilities, round_of
from server.core.rounds.base import Capabilities, Settings, read
from server.show.views import producer_view, public_view
from tests.conftest import SHIPPED_SHOWS
from tests.core.play import Play, make_config

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = SHIPPED_SHOWS


def test_every_round_is_listed_once_and_its_settings_are_tagged_with_its_name() -> None:
    assert NAMES == ("judged", "turns", "speed", "buzzer", "packages", "audience", "obstacle")
    assert [r.value for r in RoundType] == list(NAMES)
    for kind in ROUNDS:
        assert issubclass(kind.settings, Settings)
        assert kind.settings.__struct_config__.tag == kind.name
        assert BY_NAME[kind.name] is kind
        assert kind.words().text("en") == kind.name and kind.words().text("vi") != kind.name


def _nested(struct: type) -> list[type]:
    found = [struct]
    for f in msgspec.structs.fields(struct):
        item = _how(f).item
        if item is not None:
            found += _nested(item)
    return found


@pytest.mark.parametrize("kind", ROUNDS, ids=lambda r: r.name)
def test_every_setting_says_how_the_show_file_writes_it(kind) -> None:
    for struct in _nested(kind.settings):
        for f in msgspec.structs.fields(struct):
            assert _how(f).kind  # raises for a field without ``read(...)``


def test_capabilities_are_these_booleans() -> None:
    assert Capabilities.__struct_fields__ == (
        "questions",
        "buzz",
        "pad_answers",
        "choices",
        "votes",
        "judged",
        "packages",
        "star",
        "steal",
        "turns",
        "speed",
        "keyword",
    )
    assert Capabilities.__struct_config__.frozen


def _by_round(config: ShowConfig) -> dict[str, dict[str, bool]]:
    return {s.round.value: capabilities(config, s) for s in config.rundown}


def test_what_each_shipped_round_offers() -> None:
    olympia = _by_round(load_show(ROOT / "show_configs" / "olympia-style.yaml"))
    on = {name: {k for k, v in caps.items() if v} for name, caps in olympia.items()}
    assert on["turns"] == {"questions", "turns", "pad_answers"}  # no steals configured
    assert on["buzzer"] == {"questions", "buzz"}
    assert on["speed"] >= {"questions", "pad_answers", "speed"}
    assert on["packages"] == {"questions", "turns", "pad_answers", "packages", "star", "steal", "buzz"}
    qualifier = load_show(ROOT / "show_configs" / "quang-nam-2024-qualifier.yaml")
    judged = [capabilities(qualifier, s) for s in qualifier.rundown if s.round == "judged"]
    assert [caps["votes"] for caps in judged] == [False, True]  # the second one has an audience share
    assert all(caps["judged"] and not caps["buzz"] for caps in judged)
    speed = next(capabilities(qualifier, s) for s in qualifier.rundown if s.round == "speed")
    assert speed["choices"]  # its questions are A-D on the pads
    hall = _by_round(load_show(ROOT / "show_configs" / "tay-ninh-launch.yaml"))
    assert {k for k, v in hall["audience"].items() if v} == {"questions", "votes"}
    assert on["obstacle"] == {"questions", "buzz", "pad_answers", "keyword"}
    keyword = {name for config in SHIPPED for name, caps in _by_round(load_show(config)).items() if caps["keyword"]}
    assert keyword == {"obstacle"}


def test_a_packages_round_without_a_star_offers_none() -> None:
    config = make_config("packages", packages="star: false")
    assert capabilities(config, config.rundown[0])["star"] is False
    assert capabilities(config, config.rundown[0])["packages"] is True


def test_the_views_carry_the_capabilities_of_the_segment_on_air_and_of_each_rundown_entry() -> None:
    config = make_config("judged", "turns", "speed")
    play = Play(config)
    for step in range(3):
        segment = config.rundown[step]
        expected = msgspec.structs.asdict(round_of(segment).capabilities(config, segment))
        producer = producer_view(config, play.state, play.now)
        assert producer["segment"]["capabilities"] == expected
        assert public_view(config, play.state)["segment"]["capabilities"] == expected
        assert [e["capabilities"] for e in producer["rundown"]] == [_by_round(config)[s.round] for s in config.rundown]
        if step < 2:
            play(c.GotoSegment, step=1)


def test_nothing_outside_the_rounds_branches_on_a_round_name() -> None:
    server = ROOT / "server"
    wrong = []
    for path in server.rglob("*.py"):
        if path.parent.name == "rounds":
            continue
        text = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "RoundType":
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Name) and node.id.endswith("Scoring") and node.id != "Scoring":
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.id}")
    assert wrong == []


# -- the config reader takes a round's keys, defaults and errors from its settings struct ----------


def _toy_value(value: str) -> tuple[int, ...]:
    return (int(value),)


class Toy(Struct, frozen=True):
    tiles: Annotated[int, read("int", lo=1, hi=9)] = 4
    points: Annotated[Decimal, read("points")] = Decimal(10)
    window_ms: Annotated[int, read("seconds", key="window")] = 5000
    ladder: Annotated[tuple[Decimal, ...], read("rank_points")] = (Decimal(80), Decimal(60))


def _read(text: str) -> tuple[Toy | None, list[str]]:
    problems = Problems()
    builder = _Builder(problems, Path("."))
    node = Node(load_yaml(text), "scoring", 1, problems)
    value = builder.attempt(lambda: builder.settings(node, Toy))
    return value, [f"{p.line}: {p.path}: {p.message}" for p in problems.items]


def test_a_settings_struct_is_read_from_its_fields() -> None:
    assert _read("{}") == (Toy(), [])
    assert _read("{tiles: 6, window: 2.5, ladder: [40, 20]}") == (
        Toy(tiles=6, window_ms=2500, ladder=(Decimal(40), Decimal(20))),
        [],
    )
    value, errors = _read("tiles: 12\nwindow_ms: 3\npoints: -1\n")
    assert value == Toy()  # a wrong value leaves the default; the problems say why
    assert errors == [
        "2: scoring.window_ms: unknown key (did you mean 'window'?); allowed here: tiles, points, window, ladder",
        "1: scoring.tiles: expected a whole number from 1 to 9, got 12",
        "3: scoring.points: expected a positive number of points from 0.01 to 10000, got -1",
    ]
