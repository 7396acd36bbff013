"""Turns rounds: each question belongs to one team; the others may steal a missed one.

The round "Kỹ năng số" plays t1, t2, t3 for 10 points each, with 20 s to answer.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.core import commands as c
from server.core.errors import Forbidden, InvalidCommand, PhaseError
from server.core.state import QPhase, Timer
from tests.core.play import Play, exact, make_config, make_show, team

D = Decimal
STEAL = "steal: {window: 5, penalty: 5}"


def on_air(p: Play, question: str | None = None) -> None:
    """Show the next (or the given) question and open answering."""
    p(c.ShowQuestion, question=question)
    p(c.OpenAnswers)


def question_phase(p: Play) -> QPhase:
    assert p.state.board.question is not None
    return p.state.board.question.phase


# -- whose turn ---------------------------------------------------------------------------


def test_teams_take_turns_in_the_order_of_the_team_list() -> None:
    p = Play(make_config("turns"))
    turns = []
    for _ in range(3):
        p(c.ShowQuestion)
        question = p.state.board.question
        assert question is not None
        assert question.floor == question.turn  # the team on turn has the floor
        turns.append((question.id, question.turn))
        p(c.OpenAnswers)
        p(c.CloseAnswers)

    assert turns == [("t1", "a"), ("t2", "b"), ("t3", "c")]


def test_the_turn_follows_the_question_not_the_order_it_is_shown_in() -> None:
    p = Play(make_config("turns"))
    p(c.ShowQuestion, question="t3")
    assert p.state.board.question.turn == "c"
    p(c.ShowQuestion, question="t2")
    assert p.state.board.question.turn == "b"


def test_the_turn_wraps_around_when_there_are_more_questions_than_teams() -> None:
    p = Play(make_config("turns", teams=2))
    turns = []
    for _ in range(3):
        p(c.ShowQuestion)
        turns.append(p.state.board.question.turn)
    assert turns == ["a", "b", "a"]


def test_a_question_can_name_its_team() -> None:
    config = make_show(
        """
  - id: skills
    title: Kỹ năng số
    round: turns
    questions:
      - {question: t1, team: c}
      - {question: t2, team: c}
      - {question: t3, team: a}
"""
    )
    p = Play(config)
    turns = []
    for _ in range(3):
        p(c.ShowQuestion)
        turns.append((p.state.board.question.id, p.state.board.question.turn))

    assert turns == [("t1", "c"), ("t2", "c"), ("t3", "a")]


# -- the team on turn ---------------------------------------------------------------------


def test_a_right_answer_wins_the_points_and_closes_the_question() -> None:
    p = Play(make_config("turns"))
    on_air(p)
    p(c.SubmitAnswer, by=team("a"), team="a", answer="  x  ")
    assert p.state.board.question.answers["a"].text == "x"
    assert p.state.board.question.answers["a"].correct is None
    p(c.JudgeAnswer, team="a", correct=True)

    assert p.scores == {"a": D(10), "b": D(0), "c": D(0)}
    question = p.state.board.question
    assert question.phase is QPhase.CLOSED
    assert question.answers["a"].correct is True
    award = p.state.board.awards[-1]
    assert (award.team, award.points, award.kind, award.segment, award.question) == ("a", 10, "correct", "skills", "t1")
    assert not p.state.board.timer.running


def test_a_question_with_its_own_points_is_worth_them() -> None:
    config = make_show(
        """
  - id: skills
    title: Kỹ năng số
    round: turns
    scoring: {points: 10}
    questions: [p30a]
"""
    )
    p = Play(config)
    on_air(p)
    p(c.JudgeAnswer, team="a", correct=True)

    assert p.scores["a"] == D(30)


def test_the_answer_is_judged_even_when_the_team_says_it_out_loud() -> None:
    p = Play(make_config("turns"))
    on_air(p)
    p(c.JudgeAnswer, team="a", correct=True)  # no SubmitAnswer: the producer heard it

    assert p.state.board.question.answers["a"].text == ""
    assert p.scores["a"] == D(10)


def test_a_wrong_answer_costs_the_penalty() -> None:
    p = Play(make_config("turns", turns="penalty: 5"))
    on_air(p)
    p(c.JudgeAnswer, team="a", correct=False)

    assert p.scores == {"a": D(-5), "b": D(0), "c": D(0)}
    assert p.state.board.awards[-1].kind == "wrong"
    assert question_phase(p) is QPhase.CLOSED  # no steal configured


def test_a_wrong_answer_without_penalty_gives_no_award() -> None:
    p = Play(make_config("turns"))
    on_air(p)
    p(c.JudgeAnswer, team="a", correct=False)

    assert p.state.board.awards == ()
    assert question_phase(p) is QPhase.CLOSED
    assert p.state.board.question.locked == frozenset({"a"})


def test_the_team_on_turn_can_still_be_judged_after_time_is_up() -> None:
    p = Play(make_config("turns"))
    on_air(p)
    p(c.Expire, by=c.SYSTEM, dt=20_000)
    assert question_phase(p) is QPhase.CLOSED

    p(c.JudgeAnswer, team="a", correct=True)

    assert p.scores["a"] == D(10)


def test_the_team_on_turn_can_still_be_judged_after_answers_are_closed() -> None:
    p = Play(make_config("turns", turns=STEAL))
    on_air(p)
    p(c.CloseAnswers)
    p.fails(c.JudgeAnswer, exact("Đội B does not have the right to answer; Đội A does"), team="b", correct=True)
    p(c.JudgeAnswer, team="a", correct=False)

    assert question_phase(p) is QPhase.STEAL  # a miss still opens the steal window


def test_only_the_team_on_turn_answers() -> None:
    p = Play(make_config("turns"))
    on_air(p)
    p.fails(c.SubmitAnswer, exact("it is Đội A's turn, not Đội B's"), by=team("b"), team="b", answer="x")
    p.fails(
        c.SubmitAnswer,
        exact("this pad belongs to Đội B, not Đội A"),
        by=team("b"),
        team="a",
        answer="x",
        error=Forbidden,
    )
    p.fails(
        c.Buzz,
        exact("can't buzz now: the team on turn is answering"),
        by=team("b"),
        team="b",
        error=PhaseError,
    )
    p(c.SubmitAnswer, by=team("a"), team="a", answer="x")
    p.fails(c.SubmitAnswer, exact("Đội A has already answered"), by=team("a"), team="a", answer="y")


def test_an_empty_or_overlong_answer_is_refused() -> None:
    p = Play(make_config("turns"))
    on_air(p)
    p.fails(
        c.SubmitAnswer,
        exact("answer: expected 1 to 300 characters, got 0"),
        team="a",
        answer="   ",
        error=InvalidCommand,
    )
    p.fails(
        c.SubmitAnswer,
        exact("answer: expected 1 to 300 characters, got 301"),
        team="a",
        answer="x" * 301,
        error=InvalidCommand,
    )


def test_judging_before_answers_open_is_refused() -> None:
    p = Play(make_config("turns"))
    p(c.ShowQuestion)
    p.fails(
        c.JudgeAnswer,
        exact("can't judge an answer while the question is not open yet"),
        team="a",
        correct=True,
        error=PhaseError,
    )


def test_judging_a_team_that_does_not_have_the_floor_is_refused() -> None:
    p = Play(make_config("turns"))
    on_air(p)
    p.fails(c.JudgeAnswer, exact("Đội B does not have the right to answer; Đội A does"), team="b", correct=True)
    p.fails(c.JudgeAnswer, exact("there is no team 'z'"), team="z", correct=True)
    assert p.scores == {"a": 0, "b": 0, "c": 0}


@pytest.mark.parametrize("first", [True, False])
@pytest.mark.parametrize("again", [True, False])
def test_an_answer_is_judged_once(first: bool, again: bool) -> None:
    p = Play(make_config("turns", turns="penalty: 5"))
    on_air(p)
    p(c.JudgeAnswer, team="a", correct=first)
    scores = p.scores

    p.fails(c.JudgeAnswer, exact("Đội A's answer was already judged"), team="a", correct=again)
    assert p.scores == scores == {"a": D(10) if first else D(-5), "b": 0, "c": 0}


def test_only_the_producer_judges() -> None:
    p = Play(make_config("turns"))
    on_air(p)
    p.fails(c.JudgeAnswer, exact("only the producer can judge an answer"), by=team("a"), team="a", correct=True)


# -- stealing -----------------------------------------------------------------------------


def test_a_wrong_answer_opens_the_steal_window() -> None:
    p = Play(make_config("turns", turns=STEAL))
    on_air(p)
    p(c.JudgeAnswer, team="a", correct=False, dt=3000)

    question = p.state.board.question
    assert question.phase is QPhase.STEAL
    assert question.floor is None
    assert question.locked == frozenset({"a"})
    assert p.state.board.timer == Timer(5000, 5000, p.now)  # the window, not the answer time
    assert p.scores == {"a": D(0), "b": D(0), "c": D(0)}  # the penalty is the steal's, not the turn's


def test_the_team_on_turn_cannot_steal_its_own_question() -> None:
    p = Play(make_config("turns", turns=STEAL))
    on_air(p)
    p(c.JudgeAnswer, team="a", correct=False)
    p.fails(c.Buzz, exact("Đội A has already answered this question"), by=team("a"), team="a")


def test_the_first_to_buzz_in_the_window_steals() -> None:
    p = Play(make_config("turns", turns=STEAL))
    on_air(p)
    p(c.JudgeAnswer, team="a", correct=False)
    p(c.Buzz, by=team("b"), team="b", dt=1200)

    question = p.state.board.question
    assert question.phase is QPhase.ANSWERING
    assert question.floor == "b"
    assert p.state.board.timer == Timer(5000, 3800, None)  # paused while b answers
    p.fails(c.Buzz, exact("can't buzz while a team is answering"), by=team("c"), team="c", error=PhaseError)
    p.fails(c.JudgeAnswer, exact("Đội C does not have the right to answer; Đội B does"), team="c", correct=True)


def test_a_right_steal_wins_the_questions_points() -> None:
    p = Play(make_config("turns", turns=STEAL))
    on_air(p)
    p(c.JudgeAnswer, team="a", correct=False)
    p(c.Buzz, by=team("c"), team="c")
    p(c.JudgeAnswer, team="c", correct=True)

    assert p.scores == {"a": D(0), "b": D(0), "c": D(10)}
    assert p.state.board.awards[-1].kind == "steal"
    assert question_phase(p) is QPhase.CLOSED


def test_a_steal_can_be_worth_its_own_points() -> None:
    p = Play(make_config("turns", turns="steal: {points: 5}"))
    on_air(p)
    p(c.JudgeAnswer, team="a", correct=False)
    p(c.Buzz, by=team("b"), team="b")
    p(c.JudgeAnswer, team="b", correct=True)

    assert p.scores == {"a": D(0), "b": D(5), "c": D(0)}


def test_a_wrong_steal_costs_the_steal_penalty_and_closes_the_question() -> None:
    p = Play(make_config("turns", turns="penalty: 2, " + STEAL))
    on_air(p)
    p(c.JudgeAnswer, team="a", correct=False)
    p(c.Buzz, by=team("b"), team="b")
    p(c.JudgeAnswer, team="b", correct=False)

    assert p.scores == {"a": D(-2), "b": D(-5), "c": D(0)}
    assert question_phase(p) is QPhase.CLOSED
    assert p.state.board.question.locked == frozenset({"a", "b"})
    p.fails(c.Buzz, exact("can't buzz while answers are closed"), by=team("c"), team="c", error=PhaseError)


def test_no_one_can_be_judged_in_the_window_before_buzzing() -> None:
    p = Play(make_config("turns", turns=STEAL))
    on_air(p)
    p(c.JudgeAnswer, team="a", correct=False)
    p.fails(
        c.JudgeAnswer,
        exact("can't judge an answer while the steal window is open"),
        team="b",
        correct=True,
        error=PhaseError,
    )


def test_the_steal_window_runs_out() -> None:
    p = Play(make_config("turns", turns=STEAL))
    on_air(p)
    p(c.JudgeAnswer, team="a", correct=False)
    p.fails(c.Expire, exact("the timer has not run out"), by=c.SYSTEM, dt=4999)
    p.fails(c.Buzz, exact("too late: time is up"), by=team("b"), team="b", dt=1)
    p(c.Expire, by=c.SYSTEM, dt=0)

    assert question_phase(p) is QPhase.CLOSED
    assert p.state.board.timer == Timer(5000, 0, None)
    assert p.scores == {"a": 0, "b": 0, "c": 0}


def test_a_right_answer_opens_no_steal_window() -> None:
    p = Play(make_config("turns", turns=STEAL))
    on_air(p)
    p(c.JudgeAnswer, team="a", correct=True)

    assert question_phase(p) is QPhase.CLOSED
    p.fails(c.Buzz, exact("can't buzz while answers are closed"), by=team("b"), team="b", error=PhaseError)


def test_a_whole_round_adds_up_and_replays() -> None:
    p = Play(make_config("turns", turns="penalty: 5, " + STEAL))
    on_air(p)  # a
    p(c.JudgeAnswer, team="a", correct=True)
    p(c.RevealAnswer)
    on_air(p)  # b misses, c steals
    p(c.JudgeAnswer, team="b", correct=False)
    p(c.Buzz, by=team("c"), team="c")
    p(c.JudgeAnswer, team="c", correct=True)
    p(c.RevealAnswer)
    on_air(p)  # c misses, a steals wrong
    p(c.JudgeAnswer, team="c", correct=False)
    p(c.Buzz, by=team("a"), team="a")
    p(c.JudgeAnswer, team="a", correct=False)

    assert p.scores == {"a": D(5), "b": D(-5), "c": D(5)}
    assert p.replayed() == p.state
    p(c.RevealAnswer)
    p.fails(
        c.ShowQuestion,
        exact("every question of 'Kỹ năng số' has been played; go to the next segment"),
    )
