"""Speed rounds: every team answers every question against the clock.

The round "Tăng tốc" plays s1 (multiple choice, answer B) and s2 (free text, "Đề án 06"),
with 30 s per question. Times are the server's receive times, counted from the opening.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.core import commands as c
from server.core.errors import Forbidden, InvalidCommand, PhaseError
from server.core.standings import standings
from server.core.state import QPhase, Timer
from tests.core.play import Play, exact, make_config, team

D = Decimal


def answer(p: Play, team_id: str, text: str, dt: int = 1000) -> None:
    p(c.SubmitAnswer, by=team(team_id), dt=dt, team=team_id, answer=text)


def open_question(p: Play, question: str | None = None) -> int:
    """Show and open a question; the server time it opened at."""
    p(c.ShowQuestion, question=question)
    p(c.OpenAnswers)
    return p.now


def reveal(p: Play) -> None:
    p(c.CloseAnswers)
    p(c.RevealAnswer)


def speed_awards(p: Play) -> list[tuple[str, Decimal, int | None]]:
    return [(a.team, a.points, a.elapsed_ms) for a in p.state.board.awards if a.kind == "speed"]


# -- ranking by time ----------------------------------------------------------------------


def test_right_answers_earn_points_by_how_fast_they_arrived() -> None:
    p = Play(make_config("speed", teams=4))
    open_question(p)
    answer(p, "b", "B", dt=1000)
    answer(p, "d", "B", dt=500)
    answer(p, "a", "B", dt=500)
    answer(p, "c", "B", dt=2000)
    reveal(p)

    assert p.scores == {"a": D(20), "b": D(40), "c": D(10), "d": D(30)}
    assert speed_awards(p) == [("b", 40, 1000), ("d", 30, 1500), ("a", 20, 2000), ("c", 10, 4000)]
    assert p.state.board.question.phase is QPhase.REVEALED


def test_wrong_answers_take_no_rank() -> None:
    p = Play(make_config("speed", teams=4))
    open_question(p)
    answer(p, "a", "A")  # fastest, but wrong
    answer(p, "b", "B")
    answer(p, "c", "C")
    answer(p, "d", "B")
    reveal(p)

    assert p.scores == {"a": D(0), "b": D(40), "c": D(0), "d": D(30)}


def test_only_as_many_ranks_as_points() -> None:
    p = Play(make_config("speed", teams=4, speed="points: [40, 30]"))
    open_question(p)
    for team_id in "dcba":
        answer(p, team_id, "B")
    reveal(p)

    assert p.scores == {"a": D(0), "b": D(0), "c": D(30), "d": D(40)}


def test_exact_ties_share_the_better_rank_and_skip_the_next() -> None:
    p = Play(make_config("speed", teams=4))
    open_question(p)
    answer(p, "c", "B", dt=1200)
    answer(p, "a", "B", dt=0)  # same millisecond as c
    answer(p, "b", "B", dt=1)
    answer(p, "d", "B", dt=1)
    reveal(p)

    assert p.scores == {"a": D(40), "b": D(20), "c": D(40), "d": D(10)}


def test_the_time_counts_from_the_opening_not_from_the_showing() -> None:
    p = Play(make_config("speed"))
    p(c.ShowQuestion)
    opened = p.now + 7000
    p(c.OpenAnswers, dt=7000)
    answer(p, "a", "B", dt=2500)

    assert p.state.board.question.opened_at == opened
    assert p.state.board.question.answers["a"].elapsed_ms == 2500
    assert p.state.board.question.answers["a"].at == opened + 2500


# -- accuracy mode and answer time --------------------------------------------------------


def test_accuracy_mode_gives_every_right_answer_the_same_points() -> None:
    p = Play(make_config("speed", speed="mode: accuracy, points: 15"))
    open_question(p)
    answer(p, "a", "B", dt=4000)
    answer(p, "b", "B", dt=1000)
    answer(p, "c", "D", dt=1000)
    reveal(p)

    assert p.scores == {"a": D(15), "b": D(15), "c": D(0)}
    assert speed_awards(p) == [("a", 15, 4000), ("b", 15, 5000)]


def test_answer_time_breaks_ties_on_points_in_the_standings() -> None:
    config = make_config("speed", speed="mode: accuracy, points: 15", top="ranking: [points, answer_time]\n")
    p = Play(config)
    open_question(p, "s1")
    answer(p, "a", "B", dt=3000)  # a: 3000 ms
    answer(p, "b", "B", dt=1000)  # b: 4000 ms
    answer(p, "c", "A", dt=100)  # wrong: no time counted
    reveal(p)
    open_question(p, "s2")
    answer(p, "b", "Đề án 06", dt=500)  # b: 500 ms -> 4500 in all
    answer(p, "a", "Đề án 06", dt=1000)  # a: 1500 ms -> 4500 in all
    answer(p, "c", "Đề án 6", dt=100)
    p(c.CloseAnswers)
    p(c.JudgeAnswer, team="a", correct=True)
    p(c.JudgeAnswer, team="b", correct=True)
    p(c.JudgeAnswer, team="c", correct=False)
    p(c.RevealAnswer)

    table = standings(config, p.state.board)
    assert [(s.rank, s.team, s.points, s.answer_ms) for s in table] == [
        (1, "a", D(30), 4500),
        (1, "b", D(30), 4500),
        (3, "c", D(0), 0),
    ]

    p(c.AdjustScore, team="a", points=D(1), reason="bonus")  # a positive adjustment has no time
    table = standings(config, p.state.board)
    assert [(s.rank, s.team, s.answer_ms) for s in table] == [(1, "a", 4500), (2, "b", 4500), (3, "c", 0)]


def test_answer_time_ranks_equal_points_fastest_first() -> None:
    config = make_config("speed", speed="mode: accuracy", top="ranking: [points, answer_time]\n")
    p = Play(config)
    open_question(p)
    answer(p, "c", "B", dt=900)
    answer(p, "a", "B", dt=100)
    reveal(p)

    table = standings(config, p.state.board)
    assert [(s.rank, s.team, s.points, s.answer_ms) for s in table] == [
        (1, "c", D(10), 900),
        (2, "a", D(10), 1000),
        (3, "b", D(0), 0),
    ]


# -- grading ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "stored", "correct"), [("B", "B", True), ("b", "B", True), (" a ", "A", False)])
def test_multiple_choice_is_graded_on_arrival(text: str, stored: str, correct: bool) -> None:
    p = Play(make_config("speed"))
    open_question(p, "s1")
    answer(p, "a", text)

    got = p.state.board.question.answers["a"]
    assert (got.text, got.correct) == (stored, correct)


def test_a_letter_that_is_not_an_option_is_refused() -> None:
    p = Play(make_config("speed"))
    open_question(p, "s1")
    p.fails(
        c.SubmitAnswer,
        exact("answer: expected one of A, B, C, D, got 'E'"),
        by=team("a"),
        team="a",
        answer="E",
        error=InvalidCommand,
    )
    p.fails(
        c.SubmitAnswer,
        exact("answer: expected one of A, B, C, D, got 'Bx'"),
        by=team("a"),
        team="a",
        answer="Bx",
        error=InvalidCommand,
    )


def test_free_text_must_be_graded_before_the_reveal() -> None:
    p = Play(make_config("speed"))
    open_question(p, "s2")
    answer(p, "b", "Đề án 06", dt=2000)
    answer(p, "a", "đề án 6", dt=1000)
    p(c.CloseAnswers)

    assert p.state.board.question.answers["a"].correct is None
    p.fails(c.RevealAnswer, exact("grade Đội B's answer first"))
    p(c.JudgeAnswer, team="b", correct=True)
    p.fails(c.RevealAnswer, exact("grade Đội A's answer first"))
    p(c.JudgeAnswer, team="a", correct=True)  # the producer accepts the spelling
    p.fails(c.JudgeAnswer, exact("Đội C has not answered this question"), team="c", correct=True)
    p(c.RevealAnswer)

    assert p.scores == {"a": D(30), "b": D(40), "c": D(0)}


def test_free_text_can_be_graded_while_answers_are_open() -> None:
    p = Play(make_config("speed"))
    open_question(p, "s2")
    answer(p, "a", "Đề án 06")
    p(c.JudgeAnswer, team="a", correct=True)
    assert p.state.board.question.answers["a"].correct is True
    reveal(p)
    assert p.scores["a"] == D(40)


def test_the_producer_overrides_a_multiple_choice_grade() -> None:
    p = Play(make_config("speed"))
    open_question(p, "s1")
    answer(p, "a", "B")
    answer(p, "b", "A")
    p(c.CloseAnswers)
    p(c.JudgeAnswer, team="a", correct=False)  # e.g. the question was misread on air
    p(c.JudgeAnswer, team="b", correct=True)
    p(c.RevealAnswer)

    assert p.scores == {"a": D(0), "b": D(40), "c": D(0)}


def test_no_grading_after_the_reveal() -> None:
    p = Play(make_config("speed"))
    open_question(p, "s1")
    answer(p, "a", "B")
    reveal(p)
    p.fails(
        c.JudgeAnswer,
        exact("can't judge an answer while the answer is already revealed"),
        team="a",
        correct=False,
        error=PhaseError,
    )
    p.fails(c.RevealAnswer, exact("can't reveal the answer while the answer is already revealed"), error=PhaseError)


# -- the clock and the pads ---------------------------------------------------------------


def test_an_answer_after_the_deadline_is_refused() -> None:
    p = Play(make_config("speed"))
    open_question(p)
    answer(p, "a", "B", dt=29_999)  # the last millisecond
    p.fails(c.SubmitAnswer, exact("too late: time is up"), by=team("b"), dt=1, team="b", answer="B")

    assert set(p.state.board.question.answers) == {"a"}


def test_answers_before_the_opening_are_refused() -> None:
    p = Play(make_config("speed"))
    p(c.ShowQuestion)
    p.fails(
        c.SubmitAnswer,
        exact("can't submit an answer while the question is not open yet"),
        by=team("a"),
        team="a",
        answer="B",
        error=PhaseError,
    )


def test_a_second_answer_is_refused() -> None:
    p = Play(make_config("speed"))
    open_question(p)
    answer(p, "a", "A")
    p.fails(
        c.SubmitAnswer,
        exact("Đội A has already answered; one answer per question"),
        by=team("a"),
        team="a",
        answer="B",
    )
    assert p.state.board.question.answers["a"].text == "A"


def test_with_allow_change_the_last_answer_counts_with_its_time() -> None:
    p = Play(make_config("speed", speed="allow_change: true"))
    open_question(p)
    answer(p, "a", "A", dt=1000)
    answer(p, "b", "B", dt=1000)
    answer(p, "a", "B", dt=1000)
    reveal(p)

    assert p.state.board.question.answers["a"].elapsed_ms == 3000
    assert p.scores == {"a": D(30), "b": D(40), "c": D(0)}


def test_expire_closes_answering_only_once_the_time_is_up() -> None:
    p = Play(make_config("speed"))
    opened = open_question(p)
    p.fails(c.Expire, exact("the timer has not run out"), by=c.SYSTEM, dt=29_999)
    p.fails(c.Expire, exact("only the system can end the countdown"), dt=1, error=Forbidden)
    p(c.Expire, by=c.SYSTEM, dt=0)

    assert p.now == opened + 30_000
    assert p.state.board.question.phase is QPhase.CLOSED
    assert p.state.board.timer == Timer(30_000, 0, None)
    p.fails(
        c.SubmitAnswer,
        exact("can't submit an answer while answers are closed"),
        by=team("a"),
        team="a",
        answer="B",
        error=PhaseError,
    )


def test_a_pad_answers_only_for_its_own_team() -> None:
    p = Play(make_config("speed"))
    open_question(p)
    p.fails(
        c.SubmitAnswer,
        exact("this pad belongs to Đội B, not Đội A"),
        by=team("b"),
        team="a",
        answer="B",
        error=Forbidden,
    )
    p.fails(
        c.SubmitAnswer,
        exact("only a team pad or the producer can submit an answer"),
        by=c.Actor("judge", "j1"),
        team="a",
        answer="B",
        error=Forbidden,
    )
    p(c.SubmitAnswer, team="a", answer="B")  # the producer may enter it for the team

    assert p.state.board.question.answers["a"].correct is True


def test_no_buzzer_in_a_speed_round() -> None:
    p = Play(make_config("speed"))
    open_question(p)
    p.fails(c.Buzz, exact("there is no buzzer in a speed round"), by=team("a"), team="a")


def test_a_speed_round_replays_exactly() -> None:
    p = Play(make_config("speed"))
    open_question(p)
    answer(p, "a", "B")
    answer(p, "c", "B")
    reveal(p)
    open_question(p)
    answer(p, "c", "Đề án 06")
    p(c.Expire, by=c.SYSTEM, dt=30_000)
    p(c.JudgeAnswer, team="c", correct=True)
    p(c.RevealAnswer)

    assert p.scores == {"a": D(40), "b": D(0), "c": D(70)}
    assert p.replayed() == p.state
