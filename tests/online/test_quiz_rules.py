"""The online quiz's rules: each entrant's paper, their answers against the server's clock, the
scores, the essay marks and the book they add up to."""

from __future__ import annotations

from decimal import Decimal

import pytest
from msgspec.structs import replace

from server.core.quiz import attempt as a
from server.core.quiz.attempt import QuizError
from server.core.quiz.book import Answered, Finished, Marked, QuizBook, Registered, Started
from server.core.quiz.config import Combine, Method, QuizConfig, Scoring
from tests.online.conftest import OPENS


def test_a_paper_is_twenty_different_questions_with_their_choices_shuffled_the_same_for_the_same_seed(quiz) -> None:
    paper = a.draw(quiz, 7)
    assert len(paper) == 20 and len({item.question for item in paper}) == 20
    for item in paper:
        assert sorted(item.order) == list(range(len(quiz.bank[item.question].choices)))
    assert a.draw(quiz, 7) == paper
    others = [a.draw(quiz, seed) for seed in range(1, 30)]
    assert any(p != paper for p in others)
    assert any(item.order != tuple(range(4)) for item in paper)  # the right answer is not always shown first


def test_an_attempt_starts_only_inside_the_window_and_runs_for_its_duration(quiz) -> None:
    with pytest.raises(QuizError, match="not open yet"):
        a.begin(quiz, "e1", OPENS - 1, 1)
    with pytest.raises(QuizError, match="closed"):
        a.begin(quiz, "e1", quiz.closes, 1)
    attempt = a.begin(quiz, "e1", OPENS + 5, 1)
    assert attempt.deadline == OPENS + 5 + 600_000 and attempt.answers == (None,) * 20


def test_an_answer_is_stored_as_the_banks_choice_whatever_order_the_entrant_saw(quiz) -> None:
    attempt = a.begin(quiz, "e1", OPENS, 3)
    item = attempt.paper[0]
    right_shown = item.order.index(quiz.bank[item.question].answer)
    attempt = a.answer(attempt, 0, right_shown, OPENS + 1000)
    assert attempt.answers[0] == quiz.bank[item.question].answer
    assert a.shown_answers(attempt)[0] == right_shown and a.correct(quiz, attempt) == 1
    attempt = a.answer(attempt, 0, None, OPENS + 2000)
    assert a.correct(quiz, attempt) == 0


def test_answers_are_refused_after_the_deadline_and_after_handing_in(quiz) -> None:
    attempt = a.begin(quiz, "e1", OPENS, 3)
    with pytest.raises(QuizError, match="Time is up"):
        a.answer(attempt, 0, 1, attempt.deadline)
    with pytest.raises(QuizError, match="no question 21"):
        a.answer(attempt, 20, 1, OPENS + 1)
    with pytest.raises(QuizError, match="no choice 5"):
        a.answer(attempt, 0, 4, OPENS + 1)
    done = a.finish(attempt, OPENS + 60_000)
    assert done.finished == OPENS + 60_000 and not done.timed_out and a.used(done) == 60_000
    with pytest.raises(QuizError, match="handed in"):
        a.answer(done, 0, 1, OPENS + 60_001)
    late = a.finish(attempt, attempt.deadline + 5_000)  # the clock's own hand-in, a little late: the deadline counts
    assert late.finished == attempt.deadline and late.timed_out


def test_an_essay_is_kept_trimmed_and_refused_over_its_length(quiz) -> None:
    attempt = a.begin(quiz, "e1", OPENS, 3)
    assert a.write_essay(quiz, attempt, "  Ý kiến của tôi  ", OPENS + 1).essay == "Ý kiến của tôi"
    with pytest.raises(QuizError, match="3001 characters"):
        a.write_essay(quiz, attempt, "x" * 3001, OPENS + 1)
    with pytest.raises(QuizError, match="no essay"):
        a.write_essay(replace(quiz, essay=None), attempt, "x", OPENS + 1)


def _all_right(quiz: QuizConfig, attempt: a.Attempt, how_many: int, at: int) -> a.Attempt:
    for n, item in enumerate(attempt.paper[:how_many]):
        attempt = a.answer(attempt, n, item.order.index(quiz.bank[item.question].answer), at)
    return attempt


def test_points_are_per_correct_answer_or_a_weighting_of_accuracy_and_time_left(quiz) -> None:
    attempt = a.finish(_all_right(quiz, a.begin(quiz, "e1", OPENS, 3), 15, OPENS + 1), OPENS + 150_000)
    assert a.quiz_points(quiz, attempt) == Decimal(75)  # 15 x 5
    weighted = replace(
        quiz, scoring=Scoring(Method.WEIGHTED, accuracy_weight=Decimal("0.8"), time_weight=Decimal("0.2"))
    )
    # 80 x 15/20 + 20 x (1 - 150 s / 600 s) = 60 + 15
    assert a.quiz_points(weighted, attempt) == Decimal("75.00")


@pytest.mark.parametrize(
    ("combine", "marks", "expected"),
    [
        (Combine.MEAN, ["30", "40", "41"], "37.00"),
        (Combine.MEDIAN, ["30", "40", "41"], "40.00"),
        (Combine.MEDIAN, ["30", "41"], "35.50"),
        (Combine.TRIMMED_MEAN, ["10", "40", "42", "50"], "41.00"),
        (Combine.TRIMMED_MEAN, ["10", "40"], "25.00"),  # fewer than three: the mean
    ],
)
def test_the_judges_marks_combine_by_the_configured_rule(quiz, combine, marks, expected) -> None:
    config = replace(quiz, essay=replace(quiz.essay, combine=combine))
    assert a.essay_mark(config, [Decimal(m) for m in marks]) == Decimal(expected)
    assert a.essay_mark(config, []) is None


@pytest.mark.parametrize(
    ("written", "identity"),
    [
        ("0912 345 678", "0912345678"),
        ("+84 912.345.678", "0912345678"),
        ("84912345678", "0912345678"),
        ("  Ten.Nguoi@Email.VN ", "ten.nguoi@email.vn"),
        ("912345678", None),
        ("abc", None),
        ("a@b", None),
    ],
)
def test_a_contact_is_one_identity_however_it_is_written(written, identity) -> None:
    assert a.identity(written) == identity


def _book(quiz: QuizConfig) -> QuizBook:
    book = QuizBook(quiz)
    for n, (name, unit) in enumerate([("An", "Xã Hòa Xá"), ("Bình", "Xã Hòa Xá"), ("Chi", "Xã Viên An")], start=1):
        book.run(Registered(at=OPENS + n, entrant=f"e{n}", name=name, unit=unit, contact=f"090000000{n}"))
    return book


def test_the_book_refuses_what_the_rules_refuse_and_changes_nothing(quiz) -> None:
    book = _book(quiz)
    version = book.version
    refusals = [
        (Registered(at=OPENS, entrant="e9", name="X", unit="Xã Hòa Xá", contact="0900000001"), "already registered"),
        (Registered(at=OPENS, entrant="e9", name="X", unit="Hà Nội", contact="0900000009"), "not in the list"),
        (Answered(at=OPENS, entrant="e1", item=0, shown=0), "not started"),
        (Started(at=OPENS, entrant="e7", seed=1), "No such entrant"),
        (Marked(at=OPENS, entrant="e1", judge="gk-1", marks={}), "not started"),
    ]
    for event, words in refusals:
        with pytest.raises(QuizError, match=words):
            book.run(event)
    book.run(Started(at=OPENS + 10, entrant="e1", seed=1))
    with pytest.raises(QuizError, match="one attempt each"):
        book.run(Started(at=OPENS + 11, entrant="e1", seed=2))
    assert book.version == version + 1 and set(book.attempts) == {"e1"}


def test_marks_need_every_criterion_in_range_from_a_known_judge_on_a_handed_in_attempt(quiz) -> None:
    book = _book(quiz)
    book.run(Started(at=OPENS + 10, entrant="e1", seed=1))
    full = {"content": Decimal(15), "practice": Decimal(12), "writing": Decimal(8)}
    with pytest.raises(QuizError, match="not handed in"):
        book.run(Marked(at=OPENS + 20, entrant="e1", judge="gk-1", marks=full))
    book.run(Finished(at=OPENS + 30, entrant="e1"))
    with pytest.raises(QuizError, match="no judge gk-9"):
        book.run(Marked(at=OPENS + 40, entrant="e1", judge="gk-9", marks=full))
    with pytest.raises(QuizError, match="each criterion"):
        book.run(Marked(at=OPENS + 40, entrant="e1", judge="gk-1", marks={"content": Decimal(1)}))
    with pytest.raises(QuizError, match="from 0 to 10"):
        book.run(Marked(at=OPENS + 40, entrant="e1", judge="gk-1", marks={**full, "writing": Decimal(11)}))
    book.run(Marked(at=OPENS + 40, entrant="e1", judge="gk-1", marks=full))
    book.run(Marked(at=OPENS + 50, entrant="e1", judge="gk-2", marks={**full, "content": Decimal(5)}))
    assert book.essay_mark("e1") == Decimal("30.00")  # (35 + 25) / 2


def test_standings_rank_by_total_then_time_and_participation_counts_each_unit(quiz) -> None:
    book = _book(quiz)
    for n, (right, took) in enumerate([(10, 300_000), (12, 400_000), (10, 200_000)], start=1):
        book.run(Started(at=OPENS + 100, entrant=f"e{n}", seed=n))
        for item, question in enumerate(book.attempts[f"e{n}"].paper[:right]):
            shown = question.order.index(quiz.bank[question.question].answer)
            book.run(Answered(at=OPENS + 200, entrant=f"e{n}", item=item, shown=shown))
        book.run(Finished(at=OPENS + 100 + took, entrant=f"e{n}"))
    table = book.standings()
    assert [(s.rank, s.entrant, s.correct, s.points) for s in table] == [
        (1, "e2", 12, Decimal(60)),
        (2, "e3", 10, Decimal(50)),  # as many right as e1, faster
        (3, "e1", 10, Decimal(50)),
    ]
    by_unit = {row["unit"]: row for row in book.participation()}
    assert by_unit["Xã Hòa Xá"] == {"unit": "Xã Hòa Xá", "registered": 2, "started": 2, "finished": 2}
    assert by_unit["Xã Viên An"]["finished"] == 1 and by_unit["Xã Đội Bình"]["registered"] == 0


def test_the_clock_ends_every_attempt_past_its_deadline(quiz) -> None:
    book = _book(quiz)
    book.run(Started(at=OPENS, entrant="e1", seed=1))
    book.run(Started(at=OPENS + 1000, entrant="e2", seed=2))
    assert book.expire(OPENS + 599_999) == []
    due = book.expire(OPENS + 600_000)
    assert [e.entrant for e in due] == ["e1"]
    book.run(due[0])
    assert book.attempts["e1"].timed_out and book.attempts["e1"].finished == OPENS + 600_000
