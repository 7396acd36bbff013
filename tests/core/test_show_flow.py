"""The show as a whole: its phases, the rundown, score adjustments, the tie-break, the timer,
undo and redo, the audit trail and the standings.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.core import commands as c
from server.core.audit import AuditEntry, audit_trail, who
from server.core.errors import Forbidden, InvalidCommand, NotFound, PhaseError
from server.core.standings import standings, ties
from server.core.state import Award, QPhase, ShowPhase, Timer
from tests.core.play import Play, exact, make_config, team

D = Decimal


def adjust(p: Play, team_id: str, points: str, reason: str = "test") -> None:
    p(c.AdjustScore, team=team_id, points=D(points), reason=reason)


def ranks(p: Play) -> list[tuple[int, str, Decimal]]:
    return [(s.rank, s.team, s.points) for s in standings(p.config, p.state.board)]


# -- the show's phases --------------------------------------------------------------------


def test_nothing_happens_before_the_show_starts() -> None:
    p = Play(make_config("turns", "buzzer"), start=False)

    assert p.state.board.phase is ShowPhase.SETUP
    p.fails(c.ShowQuestion, exact("can't show the next question while the show has not started"), error=PhaseError)
    p.fails(c.GotoSegment, exact("can't change segment while the show has not started"), index=1)
    p.fails(c.StartTimer, exact("can't start the timer while the show has not started"), duration_ms=1000)
    p.fails(c.EndShow, exact("can't end the show while the show has not started"))
    p.fails(c.StartTiebreak, exact("can't start a tie-break while the show has not started"), teams=("a", "b"))
    p.fails(c.Undo, exact("nothing to undo"))
    p.fails(c.Redo, exact("nothing to redo"))
    p.fails(c.StartShow, exact("only the producer can start the show"), by=team("a"), error=Forbidden)

    p(c.StartShow)

    assert (p.state.board.phase, p.state.board.segment) == (ShowPhase.LIVE, 0)
    p.fails(c.StartShow, exact("can't start the show while the show is live"), error=PhaseError)


def test_question_commands_follow_the_question_phase() -> None:
    p = Play(make_config("turns", "buzzer"))
    p.fails(c.OpenAnswers, exact("can't open answers while no question is on screen"), error=PhaseError)
    p.fails(c.CloseAnswers, exact("can't close answers while no question is on screen"))
    p.fails(c.RevealAnswer, exact("can't reveal the answer while no question is on screen"))
    p.fails(c.ResetQuestion, exact("can't reset the question while no question is on screen"))
    p(c.ShowQuestion)
    p.fails(c.CloseAnswers, exact("can't close answers while the question is not open yet"))
    p.fails(c.RevealAnswer, exact("can't reveal the answer while the question is not open yet"))
    p(c.OpenAnswers)
    p.fails(c.OpenAnswers, exact("can't open answers while answers are still open"))
    p.fails(c.ShowQuestion, exact("can't show the next question while answers are still open"), error=PhaseError)
    p.fails(c.GotoSegment, exact("can't change segment while answers are still open"), index=1, error=PhaseError)
    p.fails(c.EndShow, exact("can't end the show while answers are still open"))
    p.fails(c.RevealAnswer, exact("can't reveal the answer while answers are still open"))
    p(c.CloseAnswers)
    p.fails(c.CloseAnswers, exact("can't close answers while answers are closed"))
    p(c.RevealAnswer)
    p.fails(c.OpenAnswers, exact("can't open answers while the answer is already revealed"))
    p(c.ShowQuestion)

    assert p.state.board.question.id == "t2"


def test_a_played_question_cannot_be_shown_again() -> None:
    p = Play(make_config("turns"))
    p(c.ShowQuestion)
    p.fails(c.ShowQuestion, exact("question 't1' was already played"), question="t1")
    p(c.OpenAnswers)
    p(c.JudgeAnswer, team="a", correct=True)
    p.fails(c.ShowQuestion, exact("question 't1' was already played"), question="t1")
    p(c.RevealAnswer)
    p.fails(c.ShowQuestion, exact("question 't1' was already played"), question="t1")
    p(c.ShowQuestion)
    p.fails(c.ShowQuestion, exact("question 't1' was already played"), question="t1")

    assert p.scores["a"] == D(10)  # never twice for one question


def test_a_question_must_belong_to_the_segment() -> None:
    p = Play(make_config("turns", "buzzer"))
    p.fails(c.ShowQuestion, exact("question 'b1' is not in the segment 'Kỹ năng số'"), question="b1", error=NotFound)
    p.fails(c.ShowQuestion, exact("question 'zz' is not in the segment 'Kỹ năng số'"), question="zz", error=NotFound)


def test_the_show_ends_between_questions_and_then_refuses_play() -> None:
    p = Play(make_config("turns"))
    p(c.ShowQuestion)
    p(c.EndShow)

    assert p.state.board.phase is ShowPhase.ENDED
    assert p.state.board.question is None
    p.fails(c.ShowQuestion, exact("can't show the next question while the show has ended"))
    p.fails(c.EndShow, exact("can't end the show while the show has ended"))
    p.fails(c.StartShow, exact("can't start the show while the show has ended"))


# -- the rundown --------------------------------------------------------------------------


def test_going_to_a_segment_clears_the_screen_and_the_clock() -> None:
    p = Play(make_config("turns", "buzzer", "speed"))
    p(c.ShowQuestion)
    p(c.StartTimer, duration_ms=9000)
    p(c.GotoSegment, index=2)

    assert p.state.board.segment == 2
    assert p.state.board.question is None
    assert p.state.board.timer == Timer()
    p(c.ShowQuestion)
    assert p.state.board.question.id == "s1"
    p(c.GotoSegment, index=0)  # going back is allowed
    p(c.ShowQuestion)
    assert p.state.board.question.id == "t2"  # t1 was played


@pytest.mark.parametrize("index", [3, -1, 99])
def test_a_segment_outside_the_rundown_is_refused(index: int) -> None:
    p = Play(make_config("turns", "buzzer", "speed"))
    p.fails(
        c.GotoSegment, exact(f"index: expected a segment from 0 to 2, got {index}"), index=index, error=InvalidCommand
    )


def test_going_to_the_segment_on_air_is_refused() -> None:
    p = Play(make_config("turns", "buzzer"))
    p.fails(c.GotoSegment, exact("already in 'Kỹ năng số'"), index=0)


# -- adjusting scores ---------------------------------------------------------------------


def test_an_adjustment_adds_points_with_its_reason() -> None:
    p = Play(make_config("turns"))
    p(c.AdjustScore, team="b", points=D("2.5"), reason="  câu 3:   đáp án  được chấp nhận ")
    p(c.AdjustScore, team="b", points=D(-1), reason="vi phạm quy chế")

    assert p.scores == {"a": D(0), "b": D("1.5"), "c": D(0)}
    first = p.state.board.awards[0]
    assert first == Award(2, "b", D("2.5"), "adjust", "skills", None, "câu 3: đáp án được chấp nhận")


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201])
def test_an_adjustment_needs_a_reason(reason: str) -> None:
    p = Play(make_config("turns"))
    p.fails(
        c.AdjustScore,
        exact("reason: say why, in 1 to 200 characters"),
        team="a",
        points=D(5),
        reason=reason,
        error=InvalidCommand,
    )


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("0", "points: expected a non-zero number of points"),
        ("-0.00", "points: expected a non-zero number of points"),
        ("1.005", "points: expected a number of points with at most 2 decimals, got 1.005"),
        ("10001", "points: expected a number of points with at most 2 decimals, got 10001"),
        ("NaN", "points: expected a number of points with at most 2 decimals, got NaN"),
    ],
)
def test_an_adjustment_needs_a_sensible_number_of_points(points: str, message: str) -> None:
    p = Play(make_config("turns"))
    p.fails(c.AdjustScore, exact(message), team="a", points=D(points), reason="fix", error=InvalidCommand)


def test_adjustments_are_the_producers_and_name_a_real_team() -> None:
    p = Play(make_config("turns"))
    p.fails(c.AdjustScore, exact("there is no team 'z'"), team="z", points=D(1), reason="fix", error=NotFound)
    p.fails(
        c.AdjustScore,
        exact("only the producer can adjust a score"),
        by=team("a"),
        team="a",
        points=D(1),
        reason="fix",
        error=Forbidden,
    )


def test_adjustments_still_work_after_the_show_ends() -> None:
    p = Play(make_config("turns"))
    p(c.EndShow)
    adjust(p, "c", "5", "phúc khảo câu 2")

    assert p.scores == {"a": D(0), "b": D(0), "c": D(5)}
    assert p.state.board.awards[-1].reason == "phúc khảo câu 2"
    p(c.Undo)
    assert p.scores["c"] == D(0)


# -- the tie-break ------------------------------------------------------------------------


def tied_show() -> Play:
    p = Play(make_config("turns"))
    adjust(p, "a", "20")
    adjust(p, "b", "20")
    adjust(p, "c", "10")
    return p


def test_a_tie_break_is_only_for_teams_tied_on_points() -> None:
    p = tied_show()
    p.fails(c.StartTiebreak, exact("those teams are not tied on points"), teams=("a", "c"))
    p.fails(c.StartTiebreak, exact("those teams are not tied on points"), teams=("a", "b", "c"))
    p.fails(
        c.StartTiebreak,
        exact("teams: a tie-break needs at least two different teams"),
        teams=("a", "a"),
        error=InvalidCommand,
    )
    p.fails(c.StartTiebreak, exact("there is no team 'z'"), teams=("a", "z"), error=NotFound)
    p(c.StartTiebreak, teams=("a", "b"))

    assert p.state.board.tiebreak_teams == ("a", "b")
    assert p.state.board.segment == len(p.config.rundown)


def test_the_sudden_death_winner_is_ranked_first() -> None:
    p = tied_show()
    assert ranks(p) == [(1, "a", D(20)), (1, "b", D(20)), (3, "c", D(10))]
    assert ties(standings(p.config, p.state.board)) == [("a", "b")]
    p(c.EndShow)
    p(c.StartTiebreak, teams=("a", "b"))  # after the end, as the tie shows on the final standings

    assert p.state.board.phase is ShowPhase.LIVE
    p(c.ShowQuestion)
    question = p.state.board.question
    assert (question.id, question.eligible, question.value) == ("tb1", ("a", "b"), D(0))
    p(c.OpenAnswers)
    assert p.state.board.timer == Timer(15_000, 15_000, p.now)
    p.fails(c.Buzz, exact("Đội C is not playing this question"), by=team("c"), team="c")
    p(c.Buzz, by=team("a"), team="a")
    p(c.JudgeAnswer, team="a", correct=False)
    assert p.state.board.question.phase is QPhase.OPEN  # b may still answer
    p(c.Buzz, by=team("b"), team="b")
    p(c.JudgeAnswer, team="b", correct=True)

    assert p.state.board.tiebreak_order == ("b",)
    assert p.state.board.question.phase is QPhase.CLOSED
    assert p.scores == {"a": D(20), "b": D(20), "c": D(10)}  # sudden death gives no points
    assert ranks(p) == [(1, "b", D(20)), (2, "a", D(20)), (3, "c", D(10))]
    assert ties(standings(p.config, p.state.board)) == []


def test_a_sudden_death_question_nobody_answers_moves_on_to_the_next() -> None:
    p = tied_show()
    p(c.StartTiebreak, teams=("a", "b"))
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    for team_id in ("a", "b"):
        p(c.Buzz, by=team(team_id), team=team_id)
        p(c.JudgeAnswer, team=team_id, correct=False)

    assert p.state.board.question.phase is QPhase.CLOSED
    assert ranks(p)[:2] == [(1, "a", D(20)), (1, "b", D(20))]
    p(c.ShowQuestion)
    assert (p.state.board.question.id, p.state.board.question.eligible) == ("tb2", ("a", "b"))


def test_a_three_way_tie_break_ranks_the_winner_and_leaves_the_rest_tied() -> None:
    p = Play(make_config("turns", teams=4))
    for team_id in "abc":
        adjust(p, team_id, "30")
    p(c.StartTiebreak, teams=("a", "b", "c"))
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    p(c.Buzz, by=team("c"), team="c")
    p(c.JudgeAnswer, team="c", correct=True)

    assert ranks(p) == [(1, "c", D(30)), (2, "a", D(30)), (2, "b", D(30)), (4, "d", D(0))]
    p(c.ShowQuestion)
    assert p.state.board.question.eligible == ("a", "b")  # the winner sits out


def test_adjustments_during_the_tie_break_belong_to_no_segment() -> None:
    p = tied_show()
    p(c.StartTiebreak, teams=("a", "b"))
    adjust(p, "c", "1")
    assert p.state.board.awards[-1].segment is None


# -- the timer ----------------------------------------------------------------------------


def test_the_timer_starts_pauses_resumes_and_counts_down() -> None:
    p = Play(make_config("turns"))
    p(c.StartTimer)  # no question: the segment's time
    started = p.now

    assert p.state.board.timer == Timer(20_000, 20_000, started)
    assert p.state.board.timer.remaining(started + 4500) == 15_500
    assert p.state.board.timer.deadline == started + 20_000
    p(c.PauseTimer, dt=3000)
    assert p.state.board.timer == Timer(20_000, 17_000, None)
    assert p.state.board.timer.remaining(p.now + 99_000) == 17_000
    assert p.state.board.timer.deadline is None
    p.fails(c.PauseTimer, exact("the timer is not running"))
    p(c.ResumeTimer, dt=60_000)
    resumed = p.now
    assert p.state.board.timer == Timer(20_000, 17_000, resumed)
    p.fails(c.ResumeTimer, exact("the timer is running"))
    assert p.state.board.timer.expired(resumed + 17_000)
    assert not p.state.board.timer.expired(resumed + 16_999)


def test_adding_and_removing_time() -> None:
    p = Play(make_config("turns"))
    p.fails(c.AddTime, exact("there is no timer to add time to; start it first"), ms=5000)
    p(c.StartTimer, duration_ms=20_000)
    p(c.AddTime, dt=6000, ms=5000)  # 14 s left + 5 s
    assert p.state.board.timer == Timer(20_000, 19_000, p.now)
    p(c.AddTime, dt=0, ms=10_000)  # more than the duration: the duration grows
    assert p.state.board.timer == Timer(29_000, 29_000, p.now)
    p(c.PauseTimer, dt=4000)
    p(c.AddTime, ms=-5000)  # a stopped timer stays stopped
    assert p.state.board.timer == Timer(29_000, 20_000, None)
    p(c.AddTime, ms=-60_000)  # never below zero
    assert p.state.board.timer == Timer(29_000, 0, None)
    p.fails(c.ResumeTimer, exact("the timer has run out; start it again"))
    for ms in (0, 600_001, -600_001):
        p.fails(c.AddTime, exact("ms: expected a non-zero change of at most 10 minutes"), ms=ms, error=InvalidCommand)


def test_resetting_the_timer_refills_it_stopped() -> None:
    p = Play(make_config("turns"))
    p(c.StartTimer, duration_ms=10_000)
    p(c.ResetTimer, dt=7000)
    assert p.state.board.timer == Timer(10_000, 10_000, None)
    p(c.ResumeTimer)
    assert p.state.board.timer == Timer(10_000, 10_000, p.now)


def test_the_timer_takes_the_questions_time_when_one_is_on_screen() -> None:
    p = Play(make_config("turns"))
    p(c.ShowQuestion)
    p(c.StartTimer)
    assert p.state.board.timer == Timer(20_000, 20_000, p.now)
    p(c.StartTimer, duration_ms=3_600_000)
    assert p.state.board.timer.duration_ms == 3_600_000


@pytest.mark.parametrize("duration", [0, -5, 3_600_001])
def test_a_timer_needs_a_sensible_duration(duration: int) -> None:
    p = Play(make_config("turns"))
    p.fails(
        c.StartTimer,
        exact("duration_ms: expected a duration from 1 ms to 1 hour"),
        duration_ms=duration,
        error=InvalidCommand,
    )


def test_a_segment_without_a_time_needs_one_given() -> None:
    p = Play(make_config("judged"))
    p.fails(c.StartTimer, exact("duration_ms: expected a duration from 1 ms to 1 hour"))
    p(c.StartTimer, duration_ms=300_000)  # e.g. a five-minute performance


def test_the_countdown_ends_only_when_the_time_is_up() -> None:
    p = Play(make_config("turns"))
    p(c.StartTimer, duration_ms=1000)
    p.fails(c.Expire, exact("the timer has not run out"), by=c.SYSTEM, dt=999)
    p(c.Expire, by=c.SYSTEM, dt=1)
    assert p.state.board.timer == Timer(1000, 0, None)
    p.fails(c.Expire, exact("the timer has not run out"), by=c.SYSTEM)


# -- undo and redo ------------------------------------------------------------------------


def test_undo_restores_the_exact_previous_state_and_redo_the_next() -> None:
    p = Play(make_config("turns", turns="penalty: 5"))
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    before = p.state
    p(c.JudgeAnswer, team="a", correct=False)
    after = p.state

    p(c.Undo)
    assert p.state.board == before.board
    assert p.state.ballots == before.ballots
    assert p.scores == {"a": D(0), "b": D(0), "c": D(0)}
    assert [entry.label for entry in p.state.redo] == ["mark Đội A wrong"]

    p(c.Redo)
    assert p.state.board == after.board
    assert p.scores["a"] == D(-5)
    assert p.state.undo == after.undo
    assert p.state.redo == ()
    assert p.replayed() == p.state


def test_undo_and_redo_step_through_several_actions() -> None:
    p = Play(make_config("turns"))
    boards = [p.state.board]
    for team_id, points in (("a", "1"), ("b", "2"), ("c", "3")):
        adjust(p, team_id, points)
        boards.append(p.state.board)

    for expected in reversed(boards[:-1]):
        p(c.Undo)
        assert p.state.board == expected
    assert p.state.board.phase is ShowPhase.LIVE  # StartShow is still done: it was before these
    for expected in boards[1:]:
        p(c.Redo)
        assert p.state.board == expected
    p.fails(c.Redo, exact("nothing to redo"))


def test_a_new_action_clears_what_could_be_redone() -> None:
    p = Play(make_config("turns"))
    adjust(p, "a", "5")
    p(c.Undo)
    adjust(p, "b", "7")

    p.fails(c.Redo, exact("nothing to redo"))
    assert p.scores == {"a": D(0), "b": D(7), "c": D(0)}


def test_nothing_to_undo_once_the_history_is_used_up() -> None:
    p = Play(make_config("turns"))  # StartShow is the only action
    p(c.Undo)
    assert p.state.board.phase is ShowPhase.SETUP
    p.fails(c.Undo, exact("nothing to undo"))


def test_only_the_producer_undoes() -> None:
    p = Play(make_config("turns"))
    p.fails(c.Undo, exact("only the producer can undo"), by=team("a"), error=Forbidden)
    p.fails(c.Redo, exact("only the producer can redo"), by=c.Actor("judge", "j1"), error=Forbidden)


def test_undo_takes_back_a_teams_action_too() -> None:
    p = Play(make_config("buzzer"))
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    before = p.state.board
    p(c.Buzz, by=team("b"), team="b")  # e.g. a pad buzzed by accident
    p(c.Undo)

    assert p.state.board == before
    p(c.Buzz, by=team("c"), team="c")
    assert p.state.board.question.floor == "c"


# -- the audit trail ----------------------------------------------------------------------


def test_the_audit_trail_says_who_did_what_and_what_was_undone() -> None:
    p = Play(make_config("buzzer"))
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    p(c.Buzz, by=team("b"), team="b")
    p(c.JudgeAnswer, team="b", correct=True)
    adjust(p, "a", "-5", "phạm quy: bấm chuông sớm")
    p(c.Undo)
    p(c.Undo)
    p(c.Redo)

    start = p.actions[0].command.at
    trail = audit_trail(p.actions)
    assert trail == [
        AuditEntry(1, start, "producer", "start the show"),
        AuditEntry(2, start + 1000, "producer", "show question (next)"),
        AuditEntry(3, start + 2000, "producer", "open answers"),
        AuditEntry(4, start + 3000, "team:b", "Đội B buzzes"),
        AuditEntry(5, start + 4000, "producer", "mark Đội B correct"),
        AuditEntry(6, start + 5000, "producer", "-5 to Đội A: phạm quy: bấm chuông sớm", undone=True),
        AuditEntry(7, start + 6000, "producer", "undo: -5 to Đội A: phạm quy: bấm chuông sớm"),
        AuditEntry(8, start + 7000, "producer", "undo: mark Đội B correct"),
        AuditEntry(9, start + 8000, "producer", "redo: mark Đội B correct"),
    ]
    assert p.scores == {"a": D(0), "b": D(10), "c": D(0)}


def test_the_audit_trail_shows_judges_and_the_system() -> None:
    p = Play(make_config("judged", "speed"))
    p(c.SubmitScores, by=c.Actor("judge", "j2"), judge="j2", team="a", scores={"content": D(7), "style": D(3)})
    p(c.GotoSegment, index=1)
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    p(c.Expire, by=c.SYSTEM, dt=30_000)

    trail = audit_trail(p.actions)
    assert [(e.by, e.what) for e in trail[1:]] == [
        ("judge:j2", f"judge {p.config.judges[1].name} scores Đội A: 10"),
        ("producer", "go to segment 'Tăng tốc'"),
        ("producer", "show question (next)"),
        ("producer", "open answers"),
        ("system", "end the countdown"),
    ]
    # The audit names people: the judge by name, the team by its name, in both languages.
    judge = p.config.judges[1].name
    assert who(p.config, "judge:j2", vi=True) == f"giám khảo {judge}" and who(p.config, "judge:j2") == f"judge {judge}"
    assert who(p.config, "team:a") == "Đội A" and who(p.config, "producer", vi=True) == "bàn điều khiển"
    assert who(p.config, "system", vi=True) == "hệ thống (đồng hồ)"


# -- standings ----------------------------------------------------------------------------


def test_standings_share_a_rank_on_equal_points() -> None:
    p = Play(make_config("turns", teams=4))
    adjust(p, "c", "20")
    adjust(p, "a", "20")
    adjust(p, "d", "30")

    assert ranks(p) == [(1, "d", D(30)), (2, "a", D(20)), (2, "c", D(20)), (4, "b", D(0))]
    assert ties(standings(p.config, p.state.board)) == [("a", "c")]


def test_standings_rank_one_one_three() -> None:
    p = Play(make_config("turns"))
    adjust(p, "b", "15")
    adjust(p, "c", "15")
    adjust(p, "a", "-5")

    table = standings(p.config, p.state.board)
    assert [(s.rank, s.team, s.name, s.points) for s in table] == [
        (1, "b", "Đội B", D(15)),
        (1, "c", "Đội C", D(15)),
        (3, "a", "Đội A", D(-5)),
    ]
    assert ties(table) == [("b", "c")]
    assert ties(table, places=1) == [("b", "c")]


def test_a_tie_below_the_places_that_matter_is_not_reported() -> None:
    p = Play(make_config("turns", teams=4))
    adjust(p, "a", "30")
    adjust(p, "b", "20")

    assert ranks(p) == [(1, "a", D(30)), (2, "b", D(20)), (3, "c", D(0)), (3, "d", D(0))]
    assert ties(standings(p.config, p.state.board)) == []
    assert ties(standings(p.config, p.state.board), places=3) == [("c", "d")]
