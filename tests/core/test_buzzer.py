"""Buzzer rounds: the first team to buzz answers; a miss locks it out and reopens the buzzers.

The round "Khởi động" plays b1 and b2 for 10 points each, with 5 s on the clock.
"""

from __future__ import annotations

from decimal import Decimal

from server.core import commands as c
from server.core.errors import Forbidden, PhaseError
from server.core.state import Buzz, QPhase, Timer
from tests.core.play import Play, exact, judge, make_config, team

D = Decimal


def open_question(p: Play) -> int:
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    return p.now


def buzz(p: Play, team_id: str, dt: int = 1000) -> None:
    p(c.Buzz, by=team(team_id), dt=dt, team=team_id)


def phase(p: Play) -> QPhase:
    assert p.state.board.question is not None
    return p.state.board.question.phase


def test_opening_starts_the_clock() -> None:
    p = Play(make_config("buzzer"))
    opened = open_question(p)

    assert phase(p) is QPhase.OPEN
    assert p.state.board.timer == Timer(5000, 5000, opened)
    assert p.state.board.question.value == D(10)


def test_the_first_buzz_wins_the_floor() -> None:
    p = Play(make_config("buzzer"))
    open_question(p)
    buzz(p, "b", dt=1200)

    question = p.state.board.question
    assert question.phase is QPhase.ANSWERING
    assert question.floor == "b"
    assert question.buzzes == (Buzz("b", p.now),)


def test_a_second_buzz_while_a_team_answers_is_refused() -> None:
    p = Play(make_config("buzzer"))
    open_question(p)
    buzz(p, "b")
    p.fails(c.Buzz, exact("can't buzz while a team is answering"), by=team("a"), dt=0, team="a", error=PhaseError)

    assert p.state.board.question.floor == "b"


def test_a_right_answer_wins_the_points_and_closes_the_question() -> None:
    p = Play(make_config("buzzer"))
    open_question(p)
    buzz(p, "c")
    p(c.JudgeAnswer, team="c", correct=True)

    assert p.scores == {"a": D(0), "b": D(0), "c": D(10)}
    assert phase(p) is QPhase.CLOSED
    assert p.state.board.awards[-1].kind == "correct"
    p.fails(c.Buzz, exact("can't buzz while answers are closed"), by=team("a"), team="a", error=PhaseError)


def test_a_wrong_answer_costs_the_penalty_and_locks_the_team_out() -> None:
    p = Play(make_config("buzzer", buzzer="penalty: 5"))
    open_question(p)
    buzz(p, "a")
    p(c.JudgeAnswer, team="a", correct=False)

    question = p.state.board.question
    assert p.scores == {"a": D(-5), "b": D(0), "c": D(0)}
    assert question.phase is QPhase.OPEN  # the others may buzz again
    assert question.floor is None
    assert question.locked == frozenset({"a"})
    p.fails(c.Buzz, exact("Đội A has already answered this question"), by=team("a"), team="a")

    buzz(p, "b")
    p(c.JudgeAnswer, team="b", correct=True)

    assert p.scores == {"a": D(-5), "b": D(10), "c": D(0)}
    assert phase(p) is QPhase.CLOSED


def test_when_every_team_misses_the_question_closes() -> None:
    p = Play(make_config("buzzer", buzzer="penalty: 5"))
    open_question(p)
    for team_id in ("c", "a", "b"):
        assert phase(p) is QPhase.OPEN
        buzz(p, team_id, dt=500)
        p(c.JudgeAnswer, team=team_id, correct=False, dt=500)

    assert phase(p) is QPhase.CLOSED
    assert p.state.board.question.locked == frozenset({"a", "b", "c"})
    assert p.scores == {"a": D(-5), "b": D(-5), "c": D(-5)}
    assert not p.state.board.timer.running


def test_the_clock_pauses_on_a_buzz_and_resumes_when_the_buzzers_reopen() -> None:
    p = Play(make_config("buzzer"))
    opened = open_question(p)
    buzz(p, "a", dt=1200)

    assert p.state.board.timer == Timer(5000, 3800, None)
    assert p.state.board.timer.remaining(p.now + 60_000) == 3800  # stopped while a answers

    p(c.JudgeAnswer, team="a", correct=False, dt=10_000)
    resumed = p.now

    assert p.state.board.timer == Timer(5000, 3800, resumed)
    assert p.state.board.timer.deadline == opened + 1200 + 10_000 + 3800
    buzz(p, "b", dt=3000)
    assert p.state.board.timer == Timer(5000, 800, None)
    p(c.JudgeAnswer, team="b", correct=False, dt=1000)
    p.fails(c.Buzz, exact("too late: time is up"), by=team("c"), dt=800, team="c")
    p(c.Expire, by=c.SYSTEM, dt=0)

    assert phase(p) is QPhase.CLOSED
    assert p.state.board.timer == Timer(5000, 0, None)


def test_buzzing_before_the_buzzers_open_is_refused() -> None:
    p = Play(make_config("buzzer"))
    p(c.ShowQuestion)
    p.fails(c.Buzz, exact("can't buzz while the question is not open yet"), by=team("a"), team="a", error=PhaseError)


def test_nobody_can_be_judged_before_someone_buzzes() -> None:
    p = Play(make_config("buzzer"))
    open_question(p)
    p.fails(c.JudgeAnswer, exact("Đội A does not have the right to answer; no team does"), team="a", correct=True)
    buzz(p, "b")
    p.fails(c.JudgeAnswer, exact("Đội A does not have the right to answer; Đội B does"), team="a", correct=True)


def test_an_answer_is_judged_once() -> None:
    p = Play(make_config("buzzer"))
    open_question(p)
    buzz(p, "a")
    p(c.JudgeAnswer, team="a", correct=False)
    p.fails(c.JudgeAnswer, exact("Đội A's answer was already judged"), team="a", correct=True)
    buzz(p, "b")
    p(c.JudgeAnswer, team="b", correct=True)
    p.fails(c.JudgeAnswer, exact("Đội B's answer was already judged"), team="b", correct=True)

    assert p.scores == {"a": D(0), "b": D(10), "c": D(0)}


def test_buzzes_come_from_the_teams_own_pad() -> None:
    p = Play(make_config("buzzer"))
    open_question(p)
    p.fails(c.Buzz, exact("this pad belongs to Đội C, not Đội A"), by=team("c"), team="a", error=Forbidden)
    p.fails(c.Buzz, exact("only a team pad or the producer can buzz"), by=judge("j1"), team="a", error=Forbidden)
    p(c.Buzz, team="a")  # the producer, for a team whose pad failed

    assert p.state.board.question.floor == "a"


def test_teams_do_not_type_answers_in_a_buzzer_round() -> None:
    p = Play(make_config("buzzer"))
    open_question(p)
    p.fails(
        c.SubmitAnswer,
        exact("teams don't submit answers in a buzzer round"),
        by=team("a"),
        team="a",
        answer="x",
    )


def test_the_next_question_starts_fresh() -> None:
    p = Play(make_config("buzzer"))
    open_question(p)
    buzz(p, "a")
    p(c.JudgeAnswer, team="a", correct=False)
    buzz(p, "b")
    p(c.JudgeAnswer, team="b", correct=True)
    p(c.RevealAnswer)
    open_question(p)

    question = p.state.board.question
    assert (question.id, question.locked, question.buzzes, question.answers) == ("b2", frozenset(), (), {})
    buzz(p, "a")
    p(c.JudgeAnswer, team="a", correct=True)
    assert p.scores == {"a": D(10), "b": D(10), "c": D(0)}
    assert p.replayed() == p.state
