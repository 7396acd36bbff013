"""What is on air: overlay toggles and the lower third, undoable like everything else."""

from __future__ import annotations

import typing
from pathlib import Path

import msgspec

from server.configs import load_show
from server.core import commands as c
from server.core import events as ev
from server.core.errors import Forbidden, InvalidCommand, NotFound
from server.core.events import Action
from server.core.show import replay
from server.core.state import Strap
from tests.core.play import Play

DEMO = load_show(Path(__file__).resolve().parents[2] / "show_configs" / "quang-nam-2024-qualifier.yaml")


def _concrete(base: type) -> set[type]:
    out: set[type] = set()
    for sub in base.__subclasses__():
        out |= {sub} | _concrete(sub)
    return out


def test_every_command_and_event_can_be_read_back_from_the_log() -> None:
    assert _concrete(c.Command) == set(typing.get_args(c.AnyCommand))
    assert _concrete(ev.Event) == set(typing.get_args(ev.AnyEvent))


def test_overlay_toggles_and_straps_survive_the_log() -> None:
    play = Play(DEMO, start=False)
    play(c.SetOverlay, overlay="scoreboard", visible=True)
    play(c.ShowLowerThird, member="ntm-3")
    play(c.SetOverlay, overlay="lower_third", visible=False)
    decoded = [msgspec.json.decode(msgspec.json.encode(a), type=Action) for a in play.actions]
    assert replay(decoded) == play.state
    assert play.state.board.on_air == {"scoreboard"}


def test_a_strap_for_each_kind_of_subject() -> None:
    play = Play(DEMO)
    play(c.ShowLowerThird, team="dien-ban")
    assert play.state.board.lower_third == Strap(
        "team", "Đội Thị xã Điện Bàn", "Thị xã Điện Bàn", "dien-ban", "dien-ban"
    )
    assert "lower_third" in play.state.board.on_air
    play(c.ShowLowerThird, member="ntm-3")
    assert play.state.board.lower_third == Strap(
        "member", "Đinh Thị Mỹ Duyên", "Thành viên — Đội Huyện Nam Trà My", "ntm-3", "nam-tra-my"
    )
    play(c.ShowLowerThird, judge="gk-2")
    assert play.state.board.lower_third.title == "Trưởng phòng Cải cách hành chính, Sở Nội vụ"
    action = play(c.ShowLowerThird, name="  <script>x</script>Ông  Phan\tVăn Hưng ", title="Khách mời <b>danh dự</b>")
    assert play.state.board.lower_third == Strap("guest", "xÔng Phan Văn Hưng", "Khách mời danh dự")
    assert action.label == "lower third: xÔng Phan Văn Hưng"


def test_undo_brings_back_the_previous_strap_and_takes_a_new_one_off_air() -> None:
    play = Play(DEMO)
    play(c.ShowLowerThird, team="tam-ky")
    play(c.ShowLowerThird, judge="gk-1")
    play(c.Undo)
    assert play.state.board.lower_third.subject == "tam-ky"
    play(c.Undo)
    assert play.state.board.lower_third is None and "lower_third" not in play.state.board.on_air


def test_refusals_change_nothing() -> None:
    play = Play(DEMO)
    play.fails(c.ShowLowerThird, "say who the lower third is for", error=InvalidCommand)
    play.fails(c.ShowLowerThird, "say who", error=InvalidCommand, team="tam-ky", name="Khách")
    play.fails(c.ShowLowerThird, "say who", error=InvalidCommand, name="<b></b>  ")
    play.fails(c.ShowLowerThird, "no judge 'nope'", error=NotFound, judge="nope")
    play.fails(c.ShowLowerThird, "no team member 'x'", error=NotFound, member="x")
    play.fails(c.ShowLowerThird, "no team 'x'", error=NotFound, team="x")
    play.fails(c.ShowLowerThird, "name: at most 80 characters", error=InvalidCommand, name="A" * 81)
    play.fails(c.ShowLowerThird, "only the producer", error=Forbidden, by=c.Actor("overlay"), team="tam-ky")
    play(c.ShowLowerThird, team="tam-ky")
    play.fails(c.ShowLowerThird, "already on air", team="tam-ky")
