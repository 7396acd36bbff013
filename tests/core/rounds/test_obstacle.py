"""Olympia's "Vượt chướng ngại vật": rows on the pads open tiles; a keyword buzz at any time wins or puts out.

The segment "Chướng ngại vật" plays rows r1-r4 (10 points each, 15 s) and the keyword's question kw
(keyword "CHUYỂN ĐỔI SỐ", the final clue); teams a, b, c.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from server.configs.parse import ConfigError, parse_show
from server.core import commands as c
from server.core.config import ShowConfig
from server.core.errors import PhaseError
from server.core.possible import producer_can, team_can
from server.core.rounds import capabilities
from server.core.state import QPhase, Timer
from server.show.views import producer_view, public_view
from tests.core.play import HEADER, Play, exact, people, team

D = Decimal

BANK = """questions:
  - {id: r1, text: Hàng 1, answer: DỊCH VỤ CÔNG}
  - {id: r2, text: Hàng 2, answer: ĐÁM MÂY}
  - {id: r3, text: Hàng 3, answer: ĐIỆN TỬ}
  - {id: r4, text: Hàng 4, answer: TRỰC TUYẾN}
  - {id: kw, text: Ô trung tâm, answer: CHUYỂN ĐỔI SỐ}
  - {id: mc, text: Chọn, options: {A: a, B: b}, answer: A}
  - {id: bare, text: Không đáp án}
"""

SEGMENT = """rundown:
  - id: vcnv
    title: Chướng ngại vật
    round: obstacle
    scoring: {scoring}
    questions: {questions}
    timer: 15
  - id: after
    title: Sau đó
    round: buzzer
    questions: [mc]
"""


def obstacle(scoring: str = "{}", questions: str = "[r1, r2, r3, r4, kw]") -> ShowConfig:
    text = HEADER + people(3, 0) + BANK + SEGMENT.replace("{scoring}", scoring).replace("{questions}", questions)
    return parse_show(text, Path("/tmp/show.yaml"))


def board(p: Play, producer: bool = False) -> dict:
    view = producer_view(p.config, p.state, p.now) if producer else public_view(p.config, p.state)
    return view["segment"]["obstacle"]


def answer(p: Play, team_id: str, text: str) -> None:
    p(c.SubmitAnswer, by=team(team_id), team=team_id, answer=text)


def buzz(p: Play, team_id: str) -> None:
    p(c.Buzz, by=team(team_id), team=team_id)


def row(p: Play, answers: dict[str, str], grades: dict[str, bool] | None = None) -> None:
    """Show the next row, the teams answer on their pads, the time runs out, the producer grades and reveals."""
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    for team_id, text in answers.items():
        answer(p, team_id, text)
    p(c.Expire, by=c.SYSTEM, dt=15000)
    for team_id, correct in (grades or {}).items():
        p(c.JudgeAnswer, team=team_id, correct=correct)
    p(c.RevealAnswer)


def phase(p: Play) -> QPhase:
    assert p.state.board.question is not None
    return p.state.board.question.phase


def test_the_segment_offers_pads_buzzes_and_a_keyword() -> None:
    config = obstacle()
    caps = capabilities(config, config.rundown[0])
    assert {k for k, v in caps.items() if v} == {"questions", "buzz", "pad_answers", "keyword"}
    scoring = config.rundown[0].scoring
    assert (scoring.row_points, scoring.keyword_points, scoring.final_points) == (D(10), (80, 60, 40, 20), D(10))


def test_every_team_right_on_a_row_scores_it_and_its_tile_opens() -> None:
    p = Play(obstacle())
    row(p, {"a": "dịch  vụ công", "b": "DỊCH VỤ CÔNG", "c": "dich vu cong"}, grades={"c": False})

    assert p.points() == {"a": 10, "b": 10, "c": 0}
    first = board(p)["rows"][0]
    assert (first["solved"], first["open"], first["answer"], first["letters"]) == (True, True, "DỊCH VỤ CÔNG", 10)
    assert [a.kind for a in p.state.board.awards] == ["row", "row"]


def test_a_row_nobody_gets_right_shows_its_answer_but_keeps_its_tile_closed() -> None:
    p = Play(obstacle())
    row(p, {"a": "mây", "b": "gió"}, grades={"a": False, "b": False})

    assert p.points() == {"a": 0, "b": 0, "c": 0}
    first = board(p)["rows"][0]
    assert (first["solved"], first["open"], first["answer"]) == (False, False, "DỊCH VỤ CÔNG")


def test_an_answer_that_does_not_match_waits_for_the_producers_grade_before_the_reveal() -> None:
    p = Play(obstacle())
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    answer(p, "a", "dịch vụ công trực tuyến")
    p(c.CloseAnswers)
    p.fails(c.RevealAnswer, exact("grade Đội A's answer first"))
    p(c.JudgeAnswer, team="a", correct=True)  # the producer accepts a fuller answer
    p(c.RevealAnswer)
    assert p.points()["a"] == 10


def test_a_team_answers_a_row_once() -> None:
    p = Play(obstacle())
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    answer(p, "a", "mây")
    p.fails(
        c.SubmitAnswer,
        exact("Đội A has already answered this row; one answer per row"),
        by=team("a"),
        team="a",
        answer="x",
    )


def test_the_public_view_hides_the_answers_and_the_keyword_until_shown() -> None:
    p = Play(obstacle())
    p(c.ShowQuestion)
    public, producer = board(p), board(p, producer=True)
    assert public["rows"][0]["answer"] is None and public["keyword"]["answer"] is None
    assert public["keyword"]["letters"] == 11 and [r["letters"] for r in public["rows"]] == [10, 6, 6, 9]
    assert producer["keyword"]["answer"] == "CHUYỂN ĐỔI SỐ" and producer["rows"][0]["answer"] == "DỊCH VỤ CÔNG"
    assert public["rows"][0]["on_air"] and not public["final"]["open"]


def test_the_keyword_is_worth_less_with_every_row_shown() -> None:
    for rows_before, worth in ((1, 80), (2, 60), (3, 40), (4, 20)):
        p = Play(obstacle())
        for _ in range(rows_before):
            row(p, {})
        assert board(p)["keyword"]["worth"] == worth
        buzz(p, "b")  # between rows: the row just revealed stays revealed
        assert phase(p) is QPhase.REVEALED and p.state.board.question.floor == "b"
        p(c.JudgeAnswer, team="b", correct=True)
        assert p.points()["b"] == worth


def test_a_buzz_during_a_row_counts_that_row_and_stops_the_clock() -> None:
    p = Play(obstacle())
    row(p, {})
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    buzz(p, "c")
    assert phase(p) is QPhase.ANSWERING and not p.state.board.timer.running
    p(c.JudgeAnswer, team="c", correct=True)
    assert p.points()["c"] == 60
    assert phase(p) is QPhase.REVEALED


def test_the_keyword_on_the_final_clue_scores_the_final_value() -> None:
    p = Play(obstacle("{final_points: 15}"))
    for _ in range(4):
        row(p, {})
    p(c.ShowQuestion)
    final = board(p)["final"]
    assert final["on_air"] and final["open"] and board(p)["keyword"]["worth"] == 15
    p(c.OpenAnswers)
    p.fails(c.SubmitAnswer, exact("the final clue takes only keyword buzzes"), by=team("a"), team="a", answer="x")
    buzz(p, "a")
    p(c.JudgeAnswer, team="a", correct=True)
    assert p.points()["a"] == 15


def test_a_wrong_keyword_puts_the_team_out_of_the_round() -> None:
    p = Play(obstacle())
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    answer(p, "a", "dịch vụ công")
    buzz(p, "a")
    p(c.JudgeAnswer, team="a", correct=False)

    # The row reopens for the others with the time that was left; a gave its row answer while still in.
    assert phase(p) is QPhase.OPEN and p.state.board.timer.running
    assert board(p)["out"] == ["a"] and p.points()["a"] == 0
    out = "Đội A gave a wrong keyword and is out of the obstacle round"
    p.fails(c.Buzz, exact(out), by=team("a"), team="a", dt=0)
    assert "a" not in team_can(p.config, p.state, p.now).can["buzz"]
    p(c.Expire, by=c.SYSTEM, dt=15000)
    p(c.RevealAnswer)
    p(c.ShowQuestion)
    assert p.state.board.question.eligible == ("b", "c")  # its pad says it is not playing the rows to come
    p(c.OpenAnswers)
    p.fails(c.SubmitAnswer, exact(out), by=team("a"), team="a", answer="đám mây")
    p.fails(c.Buzz, exact(out), by=team("a"), team="a")
    assert team_can(p.config, p.state, p.now).can["submit_answer"] == ["b", "c"]
    answer(p, "b", "đám mây")  # the others play on


def test_a_wrong_keyword_between_rows_leaves_the_row_where_it_was() -> None:
    p = Play(obstacle())
    row(p, {})
    p(c.ShowQuestion)
    buzz(p, "b")
    assert phase(p) is QPhase.READY and p.state.board.question.floor == "b"
    p.fails(c.Buzz, exact("Đội B is answering the keyword; wait for the verdict"), by=team("c"), team="c")
    assert producer_can(p.config, p.state, p.now).can["judge"] == ["b"]
    p(c.JudgeAnswer, team="b", correct=False)
    assert phase(p) is QPhase.READY and p.state.board.question.floor is None
    assert p.state.board.awards[-1].points == 0 and p.state.board.awards[-1].kind == "keyword"
    p(c.OpenAnswers)
    assert p.state.board.timer == Timer(15000, 15000, p.now)


def test_no_keyword_before_the_first_row_is_on_screen() -> None:
    p = Play(obstacle())
    p.fails(c.Buzz, exact("can't buzz while no question is on screen"), by=team("a"), team="a", error=PhaseError)
    assert board(p)["keyword"]["worth"] is None and not any(r["played"] for r in board(p)["rows"])


def test_finding_the_keyword_ends_the_round() -> None:
    p = Play(obstacle())
    row(p, {"a": "dịch vụ công"})
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    answer(p, "b", "đám mây")
    buzz(p, "c")
    p(c.JudgeAnswer, team="c", correct=True)

    view = board(p)
    assert view["over"] and view["keyword"] == {
        "letters": 11,
        "answer": "CHUYỂN ĐỔI SỐ",
        "found_by": "c",
        "worth": None,
    }
    assert all(r["open"] for r in view["rows"]) and view["final"]["open"]  # the whole picture opens
    assert p.points() == {"a": 10, "b": 0, "c": 60}  # b's row answer is never revealed
    found = "Đội C has found the keyword; the obstacle round is over"
    p.fails(c.Buzz, exact(found), by=team("a"), team="a")
    p.fails(c.ShowQuestion, exact(found))
    can = producer_can(p.config, p.state, p.now).can
    assert not can["show_question"] and can["next_segment"]


def test_nobody_finds_the_keyword_and_the_producer_reveals_it_for_no_points() -> None:
    p = Play(obstacle())
    for _ in range(4):
        row(p, {"a": "x"}, grades={"a": False})
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    assert board(p)["keyword"]["answer"] is None
    p(c.Expire, by=c.SYSTEM, dt=15000)
    p(c.RevealAnswer)

    view = board(p)
    assert view["over"] and view["keyword"]["answer"] == "CHUYỂN ĐỔI SỐ" and view["keyword"]["found_by"] is None
    assert p.points() == {"a": 0, "b": 0, "c": 0}
    p.fails(c.Buzz, exact("the keyword has been revealed; the obstacle round is over"), by=team("b"), team="b")


def test_every_step_undoes_to_the_state_before_it() -> None:
    p = Play(obstacle())
    boards = [p.state.board]

    def step(kind: type[c.Command], **fields: object) -> None:
        p(kind, **fields)
        boards.append(p.state.board)

    step(c.ShowQuestion)
    step(c.OpenAnswers)
    step(c.SubmitAnswer, by=team("a"), team="a", answer="dịch vụ công")
    step(c.Buzz, by=team("b"), team="b")
    step(c.JudgeAnswer, team="b", correct=False)
    step(c.CloseAnswers)
    step(c.RevealAnswer)
    step(c.Buzz, by=team("c"), team="c")
    step(c.JudgeAnswer, team="c", correct=True)
    assert p.replayed() == p.state
    while len(boards) > 1:
        boards.pop()
        p(c.Undo)
        assert p.state.board == boards[-1]
        assert public_view(p.config, p.state)["segment"] is not None


def test_the_simulator_plays_the_round() -> None:
    from server.show.sim import simulate

    config = obstacle()
    for seed in range(6):
        state = simulate(config, seed=seed, audience=0).state
        kinds = {a.kind for a in state.board.awards if a.segment == "vcnv"}
        assert kinds <= {"row", "keyword"}


@pytest.mark.parametrize(
    ("scoring", "questions", "expected"),
    [
        (
            "{keyword_points: 80}",
            "[r1, kw]",
            "rundown[0].scoring.keyword_points: expected a list of 1-8 positive integers, got 80",
        ),
        ("{row_points: 0}", "[r1, kw]", "rundown[0].scoring.row_points: expected a positive number of points"),
        ("{}", "[kw]", "an obstacle round lists at least 1 row question, then the keyword's question (last)"),
        ("{}", "[bare, kw]", "row question 'bare' needs an answer in words (answer: ...), not options"),
        ("{}", "[mc, kw]", "row question 'mc' needs an answer in words (answer: ...), not options"),
        ("{}", "[r1, bare]", "the keyword's question 'bare' (last) needs the keyword as its answer"),
        (
            "{keyword_points: [80, 60]}",
            "[r1, r2, r3, kw]",
            "keyword_points gives 2 values for 3 rows; give one value per row",
        ),
    ],
)
def test_bad_settings_say_what_is_wrong_and_where(scoring: str, questions: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        obstacle(scoring, questions)
    assert any(expected in line for line in caught.value.errors), caught.value.errors
