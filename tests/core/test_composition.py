"""Composition: overlays sharing a zone never on air together, looks, segment changes, undo."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from server.configs import load_show
from server.core import commands as c
from server.core import events as ev
from server.core.audit import label_in
from server.core.config import OVERLAYS
from server.core.errors import NotFound
from server.core.zones import OVERLAY_ZONES, SAFE, ZONES, collide, collisions, fitting, zone_of
from server.show.views import producer_view, public_view
from tests.conftest import SHIPPED_SHOWS
from tests.core.play import Play, exact, make_show

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = SHIPPED_SHOWS

RUNDOWN = """
  - id: greet
    title: Chào hỏi
    round: judged
    scoring:
      criteria: [{id: content, name: Nội dung, max: 10}]
    looks:
      - {id: scores, title: Bảng điểm, overlays: [scoreboard, timer]}
      - {id: judges, title: Điểm giám khảo, overlays: [judges, scoreboard, timer]}
      - {id: vote, title: Bình chọn, overlays: [audience, scoreboard]}
    overlays: [lower_third]
  - id: skills
    title: Kỹ năng số
    round: turns
    scoring: {points: 10}
    questions: [t1, t2]
    looks:
      - {id: question, title: Câu hỏi, overlays: [question, timer, buzzer, scoreboard]}
      - {id: scores, title: Bảng điểm, overlays: [scoreboard]}
  - id: warm
    title: Khởi động
    round: buzzer
    scoring: {points: 10}
    questions: [b1, b2]
    overlays: [question, timer]
  - id: plain
    title: Không đồ hoạ
    round: buzzer
    scoring: {points: 10}
    questions: [b1]
"""
CONFIG = make_show(RUNDOWN)


def on_air(play: Play) -> set[str]:
    return set(play.state.board.on_air)


def test_every_overlay_has_a_zone_inside_the_title_safe_area() -> None:
    assert set(OVERLAY_ZONES) == set(OVERLAYS)
    assert all(box.inside(SAFE) for box in ZONES.values())
    # A full-frame zone collides with everything; the quiz picture fits side by side.
    assert all(collide("standings", o) for o in OVERLAYS if o != "standings")
    assert collisions(["question", "timer", "buzzer", "scoreboard"]) == []
    assert collisions(["question", "audience", "timer"]) == [("question", "audience"), ("audience", "timer")]
    assert collide("question", "judges") and not collide("question", "question")
    assert fitting(["question", "timer", "audience", "scoreboard"]) == ("question", "timer", "scoreboard")
    assert zone_of("scoreboard") == ZONES["band"]


def test_set_overlay_takes_off_what_it_would_draw_over_and_one_undo_brings_it_back() -> None:
    play = Play(CONFIG)  # the first look: scoreboard and timer
    assert on_air(play) == {"scoreboard", "timer"}
    play(c.SetOverlay, overlay="question", visible=True)
    assert on_air(play) == {"scoreboard", "timer", "question"}
    action = play(c.SetOverlay, overlay="audience", visible=True)
    assert list(action.events) == [
        ev.OverlaySet("question", False),
        ev.OverlaySet("timer", False),
        ev.OverlaySet("audience", True),
    ]
    assert on_air(play) == {"scoreboard", "audience"}
    play(c.Undo)
    assert on_air(play) == {"scoreboard", "timer", "question"}
    play(c.SetOverlay, overlay="standings", visible=True)
    assert on_air(play) == {"standings"}
    play(c.SetOverlay, overlay="standings", visible=False)
    assert on_air(play) == set()


def test_a_strap_takes_off_the_card_it_would_cover() -> None:
    play = Play(CONFIG)
    play(c.TakeLook, look="judges")
    play(c.ShowLowerThird, team="a")
    assert on_air(play) == {"scoreboard", "timer", "lower_third"}
    play(c.Undo)
    assert on_air(play) == {"judges", "scoreboard", "timer"}


def test_take_look_puts_exactly_that_look_on_air_keeping_a_strap_that_fits() -> None:
    play = Play(CONFIG)
    play(c.ShowLowerThird, team="a")
    assert on_air(play) == {"scoreboard", "timer", "lower_third"}
    assert public_view(CONFIG, play.state)["look"] == "scores"  # the strap fits beside it
    play(c.SetOverlay, overlay="buzzer", visible=True)
    assert public_view(CONFIG, play.state)["look"] is None
    action = play(c.TakeLook, look="judges")
    assert on_air(play) == {"judges", "scoreboard", "timer"}  # the strap was in the judges' zone
    assert action.label == "take the look 'Điểm giám khảo'"
    assert label_in(action, "vi") == "chọn bố cục 'Điểm giám khảo'"
    assert public_view(CONFIG, play.state)["look"] == "judges"
    play(c.TakeLook, look="vote")
    assert on_air(play) == {"audience", "scoreboard"}
    play.fails(c.TakeLook, exact("the look 'Bình chọn' is already on air"), look="vote")
    missing = "'Chào hỏi' has no look 'nope'; its looks: scores, judges, vote"
    play.fails(c.TakeLook, missing, error=NotFound, look="nope")
    play(c.Undo)
    play(c.Undo)
    assert on_air(play) == {"scoreboard", "timer", "lower_third", "buzzer"}


def test_a_segment_change_takes_the_default_look_and_takes_off_what_the_segment_does_not_offer() -> None:
    play = Play(CONFIG)
    play(c.ShowLowerThird, team="a")
    play(c.SetOverlay, overlay="bracket", visible=True)
    before = play.state.board
    action = play(c.GotoSegment, step=1)
    assert on_air(play) == {"question", "timer", "buzzer", "scoreboard"}
    assert action.events[0] == ev.SegmentEntered(1)
    assert public_view(CONFIG, play.state)["look"] == "question"
    play(c.Undo)
    assert play.state.board == before  # one undo: the segment and the whole picture
    play(c.GotoSegment, index=1)
    play(c.TakeLook, look="scores")
    play(c.ShowLowerThird, team="b")
    # Without looks the listed overlays make the one look; the strap is not offered there.
    play(c.GotoSegment, step=1)
    assert on_air(play) == {"question", "timer"}
    assert public_view(CONFIG, play.state)["look"] == "default"
    # A segment naming no overlays leaves the picture alone.
    play(c.SetOverlay, overlay="scoreboard", visible=True)
    play(c.GotoSegment, step=1)
    assert on_air(play) == {"question", "timer", "scoreboard"}
    play.fails(c.TakeLook, "'Không đồ hoạ' has no look 'default'; its looks: none", error=NotFound, look="default")


def test_the_segment_changes_replay_from_the_log() -> None:
    play = Play(CONFIG)
    play(c.TakeLook, look="vote")
    play(c.GotoSegment, step=1)
    play(c.Undo)
    play(c.Redo)
    assert play.replayed() == play.state


def test_a_tie_break_has_a_buzzer_round_look() -> None:
    play = Play(make_show(RUNDOWN.split("  - id: skills")[0]))
    play(c.SetOverlay, overlay="audience", visible=True)
    play(c.StartTiebreak, teams=("a", "b", "c"))
    assert on_air(play) == {"scoreboard", "question", "timer", "buzzer"}
    assert public_view(play.config, play.state)["segment"]["looks"][0]["id"] == "tiebreak"


def test_views_list_the_segment_looks_and_every_overlay_with_its_zone() -> None:
    play = Play(CONFIG)
    view = producer_view(CONFIG, play.state)
    assert view["segment"]["looks"][1] == {
        "id": "judges",
        "title": "Điểm giám khảo",
        "overlays": ["judges", "scoreboard", "timer"],
    }
    assert view["segment"]["overlays"] == ["lower_third", "scoreboard", "timer", "judges", "audience"]
    assert view["look"] == "scores"
    assert view["overlays"]["standings"] == {"zone": "full", "ready": False, "why": "no_season"}
    assert view["overlays"]["question"] == {"zone": "main", "ready": True, "why": None}
    assert set(view["overlays"]) == set(OVERLAYS)
    season = producer_view(CONFIG, play.state, season=True)
    assert season["overlays"]["bracket"] == {"zone": "full", "ready": True, "why": None}
    assert "overlays" not in public_view(CONFIG, play.state)


def test_the_views_share_what_the_config_decides_and_no_view_changes_another() -> None:
    play = Play(CONFIG)
    before = public_view(CONFIG, play.state)
    desk = producer_view(CONFIG, play.state)
    assert all("capabilities" in entry for entry in desk["rundown"])
    assert not any("capabilities" in entry for entry in before["rundown"])  # the desk's did not leak
    play(c.AdjustScore, team="a", points=Decimal(5), reason="thưởng")
    after = public_view(CONFIG, play.state)
    assert after["show"] is before["show"] and after["rundown"] is before["rundown"]  # built once, not compared
    assert [t["score"] for t in before["teams"]] == [0, 0, 0]  # an older view keeps its scores
    assert [t["score"] for t in after["teams"]] == [5, 0, 0]
    assert after["teams"][0]["members"] == before["teams"][0]["members"]
    assert after == {**before, "teams": after["teams"], "standings": after["standings"], "ties": [["b", "c"]]}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_looks_fit_and_every_segment_starts_with_one(path: Path) -> None:
    config = load_show(path)
    for segment in config.rundown:
        assert segment.looks, segment.id
        for look in segment.looks:
            assert collisions(look.overlays) == [], (segment.id, look.id)
            assert not {"standings", "bracket"} & set(look.overlays)
    play = Play(config)
    for index in range(1, len(config.rundown)):
        play(c.GotoSegment, index=index)
        assert on_air(play) == set(config.rundown[index].looks[0].overlays)
