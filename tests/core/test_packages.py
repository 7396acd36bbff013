"""Packages rounds ("Về đích"): each team picks questions by value, may bet its star, may be stolen from.

The round "Về đích" has values 10/20/30, one question per package, and a pool of two questions
of each value (p10a, p10b, p20a, ...). The star doubles a right answer and costs the whole value
on a wrong one, by default.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.core import commands as c
from server.core.errors import Forbidden, InvalidCommand, NotFound, PhaseError
from server.core.state import QPhase, Timer
from tests.core.play import Play, exact, make_config, make_show, team

D = Decimal
STEAL = "steal: {take_from_turn: true, penalty_share: 0.5}"


def choose(p: Play, team_id: str, *values: int) -> None:
    p(c.ChoosePackage, by=team(team_id), team=team_id, values=tuple(D(v) for v in values))


def star(p: Play, team_id: str) -> None:
    p(c.PlaceStar, by=team(team_id), team=team_id)


def play_one(p: Play, team_id: str, value: int, correct: bool, with_star: bool = False) -> None:
    """``team_id`` chooses a one-question package and answers it."""
    choose(p, team_id, value)
    p(c.ShowQuestion)
    if with_star:
        star(p, team_id)
    p(c.OpenAnswers)
    p(c.JudgeAnswer, team=team_id, correct=correct)


TWO_ROUNDS = "".join(
    f"""
  - id: {segment}
    title: {title}
    round: packages
    scoring: {{values: [10, 20, 30], size: 1}}
    questions: [p10a, p10b, p20a, p20b, p30a, p30b]
"""
    for segment, title in (("finish", "Về đích"), ("finish2", "Về đích 2"))
)  # two packages rounds sharing one pool: the second gets what the first left


SIZE_TWO = """
  - id: finish
    title: Về đích
    round: packages
    scoring: {values: [10, 20, 30], size: 2}
    questions: [p10a, p10b, p20a, p20b, p30a, p30b]
"""


# -- choosing packages --------------------------------------------------------------------


def test_a_package_assigns_questions_of_the_chosen_values() -> None:
    p = Play(make_config("packages"))
    choose(p, "a", 20)
    choose(p, "b", 20)
    choose(p, "c", 30)

    assert p.state.board.packages == {"finish": {"a": ("p20a",), "b": ("p20b",), "c": ("p30a",)}}


def test_a_bigger_package_keeps_the_order_of_the_values() -> None:
    p = Play(make_show(SIZE_TWO))
    choose(p, "a", 30, 10)
    choose(p, "b", 20, 20)
    p.fails(
        c.ChoosePackage,
        exact("no 10-point question left in this round"),
        by=team("c"),
        team="c",
        values=(D(10), D(10)),
    )

    assert p.state.board.packages == {"finish": {"a": ("p30a", "p10a"), "b": ("p20a", "p20b")}}


def test_the_team_plays_its_package_on_its_turn() -> None:
    p = Play(make_show(SIZE_TWO))
    choose(p, "a", 30, 10)
    played = []
    for _ in range(2):
        p(c.ShowQuestion)
        question = p.state.board.question
        played.append((question.id, question.turn, question.value))
        p(c.OpenAnswers)
        p(c.JudgeAnswer, team="a", correct=True)

    assert played == [("p30a", "a", D(30)), ("p10a", "a", D(10))]
    assert p.scores == {"a": D(40), "b": D(0), "c": D(0)}
    p.fails(c.ShowQuestion, exact("no package questions left; let the next team choose a package first"))


def test_the_questions_of_a_value_run_out() -> None:
    p = Play(make_config("packages"))
    choose(p, "a", 10)
    choose(p, "b", 10)
    p.fails(c.ChoosePackage, exact("no 10-point question left in this round"), by=team("c"), team="c", values=(D(10),))
    choose(p, "c", 30)


@pytest.mark.parametrize("values", [(10, 20), (), (15,), (0,)])
def test_a_package_of_the_wrong_size_or_values_is_refused(values: tuple[int, ...]) -> None:
    p = Play(make_config("packages"))
    p.fails(
        c.ChoosePackage,
        exact("values: expected 1 value(s) from 10/20/30"),
        by=team("a"),
        team="a",
        values=tuple(D(v) for v in values),
        error=InvalidCommand,
    )


def test_a_team_chooses_its_package_once() -> None:
    p = Play(make_config("packages"))
    choose(p, "a", 10)
    p.fails(c.ChoosePackage, exact("Đội A has already chosen its package"), by=team("a"), team="a", values=(D(30),))
    assert p.state.board.packages["finish"] == {"a": ("p10a",)}


def test_packages_are_chosen_between_questions_only() -> None:
    p = Play(make_config("packages"))
    choose(p, "a", 10)
    p(c.ShowQuestion)
    p.fails(
        c.ChoosePackage,
        exact("can't choose a package while the question is not open yet"),
        by=team("b"),
        team="b",
        values=(D(10),),
        error=PhaseError,
    )
    p(c.OpenAnswers)
    p.fails(
        c.ChoosePackage,
        exact("can't choose a package while answers are still open"),
        by=team("b"),
        team="b",
        values=(D(10),),
        error=PhaseError,
    )
    p(c.JudgeAnswer, team="a", correct=True)
    choose(p, "b", 10)  # once the question is closed


def test_a_pad_chooses_only_for_its_own_team() -> None:
    p = Play(make_config("packages"))
    p.fails(
        c.ChoosePackage,
        exact("this pad belongs to Đội B, not Đội A"),
        by=team("b"),
        team="a",
        values=(D(10),),
        error=Forbidden,
    )


def test_packages_are_chosen_only_in_a_packages_round() -> None:
    p = Play(make_config("turns", "packages"))
    p.fails(
        c.ChoosePackage,
        exact("packages are chosen only in a packages round"),
        by=team("a"),
        team="a",
        values=(D(10),),
    )


def test_only_questions_of_a_chosen_package_can_be_shown() -> None:
    p = Play(make_config("packages"))
    p.fails(c.ShowQuestion, exact("no package questions left; let the next team choose a package first"))
    choose(p, "a", 10)
    p.fails(c.ShowQuestion, exact("question 'p30a' is not in the segment 'Về đích'"), question="p30a", error=NotFound)


def test_time_to_answer_can_depend_on_the_value() -> None:
    p = Play(make_config("packages", packages="time_by_value: {10: 10, 20: 15, 30: 20}"))
    choose(p, "a", 20)
    p(c.ShowQuestion)
    p(c.OpenAnswers)

    assert p.state.board.timer == Timer(15_000, 15_000, p.now)


# -- answering without and with the star ---------------------------------------------------


def test_a_right_answer_wins_the_value() -> None:
    p = Play(make_config("packages"))
    play_one(p, "a", 30, correct=True)
    assert p.scores == {"a": D(30), "b": D(0), "c": D(0)}
    assert p.state.board.question.phase is QPhase.CLOSED


def test_a_wrong_answer_without_the_star_loses_the_rounds_penalty_share() -> None:
    p = Play(make_config("packages"))
    play_one(p, "a", 30, correct=False)
    assert p.scores == {"a": D(0), "b": D(0), "c": D(0)}
    assert p.state.board.awards == ()

    p = Play(make_config("packages", packages="penalty_share: 0.5"))
    play_one(p, "a", 30, correct=False)
    assert p.scores == {"a": D(-15), "b": D(0), "c": D(0)}


def test_the_star_doubles_a_right_answer() -> None:
    p = Play(make_config("packages"))
    choose(p, "a", 20)
    p(c.ShowQuestion)
    star(p, "a")

    assert p.state.board.question.star is True
    assert p.state.board.stars_used == frozenset({"a"})
    p(c.OpenAnswers)
    p(c.JudgeAnswer, team="a", correct=True)
    assert p.scores == {"a": D(40), "b": D(0), "c": D(0)}


def test_the_star_costs_the_value_on_a_wrong_answer() -> None:
    p = Play(make_config("packages"))
    play_one(p, "a", 20, correct=False, with_star=True)
    assert p.scores == {"a": D(-20), "b": D(0), "c": D(0)}


@pytest.mark.parametrize(("correct", "points"), [(True, D(60)), (False, D(-10))])
def test_the_star_follows_its_configured_multiplier_and_penalty_share(correct: bool, points: Decimal) -> None:
    p = Play(make_config("packages", packages="star: {multiplier: 3, penalty_share: 0.5}"))
    play_one(p, "a", 20, correct=correct, with_star=True)
    assert p.scores["a"] == points


def test_the_star_is_placed_once_per_show_by_each_team() -> None:
    p = Play(make_show(SIZE_TWO))
    choose(p, "a", 10, 20)
    p(c.ShowQuestion)
    star(p, "a")
    p.fails(c.PlaceStar, exact("the star is already on this question"), by=team("a"), team="a")
    p(c.OpenAnswers)
    p(c.JudgeAnswer, team="a", correct=True)
    p(c.ShowQuestion)
    p.fails(c.PlaceStar, exact("Đội A has already used its star of hope in this show"), by=team("a"), team="a")
    assert p.state.board.question.star is False


def test_the_star_used_in_one_round_is_gone_in_the_next() -> None:
    p = Play(make_show(TWO_ROUNDS))
    play_one(p, "a", 10, correct=True, with_star=True)
    play_one(p, "b", 10, correct=True)
    p(c.GotoSegment, index=1)
    choose(p, "a", 20)
    choose(p, "b", 20)  # b plays first: the latest package is played first
    p(c.ShowQuestion)
    star(p, "b")  # b never used its star
    p(c.OpenAnswers)
    p(c.JudgeAnswer, team="b", correct=True)
    p(c.ShowQuestion)
    p.fails(c.PlaceStar, exact("Đội A has already used its star of hope in this show"), by=team("a"), team="a")

    assert p.scores == {"a": D(20), "b": D(50), "c": D(0)}


def test_only_the_team_on_turn_places_the_star() -> None:
    p = Play(make_config("packages"))
    choose(p, "a", 10)
    p(c.ShowQuestion)
    p.fails(c.PlaceStar, exact("only the team on turn can place the star, not Đội B"), by=team("b"), team="b")
    p.fails(c.PlaceStar, exact("only the team on turn can place the star, not Đội C"), team="c")
    p.fails(c.PlaceStar, exact("this pad belongs to Đội B, not Đội A"), by=team("b"), team="a", error=Forbidden)
    assert p.state.board.stars_used == frozenset()


def test_the_star_is_placed_before_answers_open() -> None:
    p = Play(make_config("packages"))
    p.fails(
        c.PlaceStar,
        exact("can't place the star of hope while no question is on screen"),
        by=team("a"),
        team="a",
        error=PhaseError,
    )
    choose(p, "a", 10)
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    p.fails(
        c.PlaceStar,
        exact("can't place the star of hope while answers are still open"),
        by=team("a"),
        team="a",
        error=PhaseError,
    )


def test_a_round_can_have_no_star() -> None:
    p = Play(make_config("packages", packages="star: false"))
    choose(p, "a", 10)
    p(c.ShowQuestion)
    p.fails(c.PlaceStar, exact("there is no star of hope in this round"), by=team("a"), team="a")


def test_resetting_a_question_keeps_the_star_the_team_placed() -> None:
    p = Play(make_config("packages"))
    choose(p, "a", 20)
    p(c.ShowQuestion)
    star(p, "a")
    p(c.OpenAnswers)
    p(c.ResetQuestion)  # e.g. the question's video did not play

    assert p.state.board.question.phase is QPhase.READY
    assert p.state.board.question.star is True
    assert p.state.board.stars_used == frozenset({"a"})
    p(c.OpenAnswers)
    p(c.JudgeAnswer, team="a", correct=True)
    assert p.scores["a"] == D(40)


# -- stealing -----------------------------------------------------------------------------


def test_a_miss_opens_the_steal_window_to_the_other_teams() -> None:
    p = Play(make_config("packages", packages=STEAL))
    play_one(p, "a", 30, correct=False)

    assert p.state.board.question.phase is QPhase.STEAL
    assert p.state.board.timer == Timer(5000, 5000, p.now)
    p.fails(c.Buzz, exact("Đội A has already answered this question"), by=team("a"), team="a")


def test_no_buzzing_while_the_team_on_turn_answers() -> None:
    p = Play(make_config("packages", packages=STEAL))
    choose(p, "a", 30)
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    p.fails(c.Buzz, exact("can't buzz now: the team on turn is answering"), by=team("b"), team="b", error=PhaseError)


def test_a_right_steal_takes_the_points_from_the_team_on_turn() -> None:
    p = Play(make_config("packages", packages=STEAL))
    play_one(p, "a", 30, correct=False)
    p(c.Buzz, by=team("b"), team="b")
    p(c.JudgeAnswer, team="b", correct=True)

    assert p.scores == {"a": D(-30), "b": D(30), "c": D(0)}
    kinds = [(award.team, award.points, award.kind) for award in p.state.board.awards]
    assert kinds == [("b", D(30), "steal"), ("a", D(-30), "stolen")]
    assert p.state.board.question.phase is QPhase.CLOSED


def test_a_right_steal_without_take_from_turn_leaves_the_team_on_turn_alone() -> None:
    p = Play(make_config("packages", packages="steal: {window: 3}"))
    play_one(p, "a", 30, correct=False)
    assert p.state.board.timer == Timer(3000, 3000, p.now)
    p(c.Buzz, by=team("c"), team="c")
    p(c.JudgeAnswer, team="c", correct=True)

    assert p.scores == {"a": D(0), "b": D(0), "c": D(30)}


def test_a_wrong_steal_loses_its_share_of_the_value() -> None:
    p = Play(make_config("packages", packages=STEAL))
    play_one(p, "a", 30, correct=False)
    p(c.Buzz, by=team("c"), team="c")
    p(c.JudgeAnswer, team="c", correct=False)

    assert p.scores == {"a": D(0), "b": D(0), "c": D(-15)}
    assert p.state.board.question.phase is QPhase.CLOSED


def test_a_steal_after_a_missed_star_is_worth_the_plain_value() -> None:
    p = Play(make_config("packages", packages=STEAL))
    play_one(p, "a", 20, correct=False, with_star=True)
    p(c.Buzz, by=team("b"), team="b")
    p(c.JudgeAnswer, team="b", correct=True)

    # a: -20 for the missed star, -20 more taken by the steal; b: the plain value
    assert p.scores == {"a": D(-40), "b": D(20), "c": D(0)}
    assert p.replayed() == p.state
