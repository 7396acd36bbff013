"""What the producer can do now: asked of the rules, agreeing with them at every step."""

from __future__ import annotations

from decimal import Decimal

from msgspec.structs import replace

from server.configs import load_show
from server.core import commands as c
from server.core.possible import SIMPLE, next_action, possible
from server.core.show import execute
from tests.conftest import DEMO
from tests.core.play import Play, make_config, team


def can(p: Play) -> dict[str, object]:
    return possible(p.config, p.state, p.now + 1)


def enabled(p: Play) -> set[str]:
    return {key for key, value in can(p).items() if value is True}


def agrees_with_the_rules(p: Play) -> None:
    """Every simple command is marked possible exactly when executing it would succeed."""
    now = can(p)
    for key, make in SIMPLE.items():
        try:
            execute(p.config, p.state, replace(make(), at=p.now + 1))
            accepted = True
        except Exception:
            accepted = False
        assert now[key] is accepted, key


def test_before_the_show_only_starting_it_and_the_desk_tools_are_possible() -> None:
    p = Play(make_config("judged", "turns"), start=False)

    assert enabled(p) == {"start_show"}
    assert next_action(can(p), p.state) == "start_show"
    agrees_with_the_rules(p)


def test_a_judged_segment_offers_no_next_question() -> None:
    p = Play(make_config("judged", "turns"))

    now = can(p)
    assert now["show_question"] is False
    assert now["next_segment"] is True and now["prev_segment"] is False
    assert now["judge"] == []
    agrees_with_the_rules(p)


def test_a_turns_question_moves_the_possible_steps_along() -> None:
    p = Play(make_config("turns"))
    assert next_action(can(p), p.state) == "show_question"

    p(c.ShowQuestion)
    assert next_action(can(p), p.state) == "open_answers"
    assert can(p)["judge"] == []
    agrees_with_the_rules(p)

    p(c.OpenAnswers)
    assert can(p)["judge"] == ["a"]  # the team on turn, and only it
    assert next_action(can(p), p.state) == "judge"
    assert can(p)["open_answers"] is False and can(p)["close_answers"] is True
    agrees_with_the_rules(p)

    p(c.JudgeAnswer, team="a", correct=True)
    assert can(p)["judge"] == []
    agrees_with_the_rules(p)
    assert can(p)["undo"] is True and can(p)["redo"] is False


def test_a_speed_question_is_judged_after_it_closes_then_revealed() -> None:
    p = Play(make_config("speed"))
    p(c.ShowQuestion, question="s2")  # a written answer: graded by the producer
    p(c.OpenAnswers)
    p(c.SubmitAnswer, by=team("b"), team="b", answer="Đề án 06")
    p(c.CloseAnswers)

    assert can(p)["judge"] == ["b"]
    assert next_action(can(p), p.state) == "judge"
    p(c.JudgeAnswer, team="b", correct=True)
    assert next_action(can(p), p.state) == "reveal_answer"
    agrees_with_the_rules(p)


def test_packages_and_the_star_name_the_teams_that_can() -> None:
    p = Play(make_config("packages"))

    assert can(p)["choose_package"] == ["a", "b", "c"]
    p(c.ChoosePackage, team="a", values=(Decimal(10),))
    assert can(p)["choose_package"] == ["b", "c"]
    p(c.ShowQuestion)
    assert can(p)["place_star"] == ["a"]


def test_after_the_end_a_tie_can_still_be_broken() -> None:
    p = Play(make_config("turns"))
    p(c.EndShow)

    now = can(p)
    assert now["start_tiebreak"] is True  # everyone on 0: a three-way tie for the win
    assert next_action(now, p.state) == "start_tiebreak"
    assert now["show_question"] is False and now["end_show"] is False


def test_a_tie_is_offered_a_tie_break_only_once_the_points_are_in() -> None:
    p = Play(make_config("turns", "buzzer"))  # everyone level at 0 from the start

    assert can(p)["start_tiebreak"] is False  # the rules would allow it, but nothing is decided yet
    p(c.GotoSegment, index=1)
    assert can(p)["start_tiebreak"] is True


def test_the_looks_that_can_be_taken_are_those_not_already_on_air() -> None:
    p = Play(load_show(DEMO))
    looks = [look.id for look in p.config.rundown[0].looks]

    assert len(looks) > 1
    assert can(p)["take_look"] == looks[1:]  # the default look went on air with the segment
    p(c.TakeLook, look=looks[1])
    assert can(p)["take_look"] == [looks[0], *looks[2:]]
