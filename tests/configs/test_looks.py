"""Looks in show files: collisions are errors in a look, warnings in a segment's overlays; season tables warned."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.cli import main
from server.configs import ConfigError, load_show
from tests.configs.test_check import SHIPPED, VALID, write

SPEED_OVERLAYS = "    timer: 30\n"  # the speed segment's last line in VALID: keys go after it


def with_speed(tmp_path: Path, keys: str) -> Path:
    assert VALID.count(SPEED_OVERLAYS) == 1
    return write(tmp_path, VALID.replace(SPEED_OVERLAYS, SPEED_OVERLAYS + keys))


def test_looks_are_read_and_the_first_is_the_default(tmp_path: Path) -> None:
    path = with_speed(
        tmp_path,
        "    looks:\n"
        "      - {id: q, title: Câu hỏi, overlays: [question, timer, buzzer]}\n"
        "      - {id: s, title: Bảng điểm, overlays: [scoreboard]}\n"
        "    overlays: [lower_third]\n",
    )
    warnings: list[str] = []
    segment = load_show(path, warnings).rundown[0]
    assert [look.id for look in segment.looks] == ["q", "s"]
    assert segment.overlays == ("lower_third", "question", "timer", "buzzer", "scoreboard")
    assert warnings == []


def test_a_look_whose_overlays_collide_is_an_error(tmp_path: Path) -> None:
    path = with_speed(
        tmp_path,
        "    looks:\n"
        "      - {id: q, title: Câu hỏi, overlays: [question, audience]}\n"
        "      - {id: q, title: Lại, overlays: [nope]}\n"
        "      - {title: Thiếu id, overlays: []}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_show(path)
    assert caught.value.errors == [
        f"{path}:21: rundown[0].looks[0].overlays: expected overlays that fit on screen together, got question "
        "(zone main) and audience (zone stage), which draw over each other; put them in different looks",
        f"{path}:22: rundown[0].looks[1].id: duplicate look id 'q'",
        f"{path}:22: rundown[0].looks[1].overlays[0]: expected an overlay: scoreboard, lower_third, question, "
        "timer, buzzer, judges, audience, standings, bracket, winner, got 'nope'",
        f"{path}:23: rundown[0].looks[2]: missing required key 'id'",
        f"{path}:23: rundown[0].looks[2].overlays: expected at least one overlay, got a list",
    ]


def test_colliding_overlays_and_a_season_table_are_warnings(tmp_path: Path, capsys) -> None:
    path = with_speed(tmp_path, "    overlays: [question, timer, audience, standings]\n")
    warnings: list[str] = []
    config = load_show(path, warnings)
    assert config.rundown[0].looks[0].overlays == ("question", "timer")
    assert warnings == [
        f"{path}:20: rundown[0].overlays: question and audience; question and standings; timer and audience; "
        "timer and standings; audience and standings draw over each other (their zones intersect), so they never "
        "go on air together; the segment's one look leaves out audience, standings: name its looks under 'looks'",
        f"{path}:20: rundown[0].overlays: standings shows a season's table and a show file runs without a season, "
        "so it would put nothing on air; leave it out (a season's shows offer it by themselves)",
    ]
    assert main(["check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "Tăng tốc" in out
    assert err.splitlines() == warnings


def test_a_season_table_in_a_look_is_warned_too(tmp_path: Path) -> None:
    path = with_speed(tmp_path, "    looks:\n      - {id: t, title: Bảng, overlays: [bracket]}\n")
    warnings: list[str] = []
    load_show(path, warnings)
    assert [w.split(": ", 2)[1] for w in warnings] == ["rundown[0].looks"]
    assert "bracket shows a season's table" in warnings[0]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_check_warns_about_no_shipped_config(path: Path, capsys) -> None:
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().err == ""
