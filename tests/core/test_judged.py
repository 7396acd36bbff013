"""Judged rounds: judges' marks, how they combine, the audience's share, locking and the reveal.

The round "Chào hỏi" has two criteria, content (max 10) and style (max 5): a round maximum of 15.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.core import commands as c
from server.core.errors import Forbidden, InvalidCommand, NotFound, PhaseError
from server.core.state import Award, VotePhase
from tests.core.play import Play, exact, judge, make_config, team

AUDIENCE = c.Actor("audience")
D = Decimal


def score(p: Play, judge_id: str, team_id: str, content: str, style: str, by: c.Actor | None = None) -> None:
    """``judge_id`` marks ``team_id``, from the judge's own pad unless ``by`` says otherwise."""
    p(
        c.SubmitScores,
        by=by or judge(judge_id),
        judge=judge_id,
        team=team_id,
        scores={"content": D(content), "style": D(style)},
    )


def score_all(p: Play, marks: dict[str, dict[str, tuple[str, str]]]) -> None:
    """``marks[team][judge] = (content, style)``."""
    for team_id, by_judge in marks.items():
        for judge_id, (content, style) in by_judge.items():
            score(p, judge_id, team_id, content, style)


def vote(p: Play, *ballots: tuple[str, str]) -> None:
    """Audience phones vote for teams: ``(device, team)`` pairs."""
    p(c.CastVotes, by=AUDIENCE, votes=tuple(c.Vote(device, option, p.now) for device, option in ballots))


MARKS = {
    # totals per judge: a 12, 14, 10 (mean 12); b 15, 8, 11 (mean 11.333...); c 10, 10, 10
    "a": {"j1": ("8", "4"), "j2": ("9", "5"), "j3": ("7", "3")},
    "b": {"j1": ("10", "5"), "j2": ("6", "2"), "j3": ("7", "4")},
    "c": {"j1": ("5", "5"), "j2": ("5", "5"), "j3": ("5", "5")},
}


# -- how marks combine --------------------------------------------------------------------


def test_points_are_the_mean_of_the_judges_totals() -> None:
    p = Play(make_config("judged"))
    score_all(p, MARKS)
    p(c.RevealScores)

    assert p.scores == {"a": D("12.00"), "b": D("11.33"), "c": D("10.00")}
    awards = p.state.board.awards
    assert [(a.team, a.points, a.kind, a.segment, a.question) for a in awards] == [
        ("a", D("12.00"), "judged", "greet", None),
        ("b", D("11.33"), "judged", "greet", None),
        ("c", D("10.00"), "judged", "greet", None),
    ]
    assert p.replayed() == p.state


def test_trimmed_mean_drops_the_highest_and_the_lowest_judge() -> None:
    p = Play(make_config("judged", judges=5, judged="aggregate: trimmed_mean"))
    # a: totals 15, 12, 11, 10, 3 -> 15 and 3 dropped -> (12 + 11 + 10) / 3 = 11
    # b: totals 9, 9, 9, 9, 15 -> one 9 and the 15 dropped -> 9
    score_all(
        p,
        {
            "a": {"j1": ("10", "5"), "j2": ("8", "4"), "j3": ("7", "4"), "j4": ("6", "4"), "j5": ("2", "1")},
            "b": {"j1": ("6", "3"), "j2": ("6", "3"), "j3": ("6", "3"), "j4": ("6", "3"), "j5": ("10", "5")},
            "c": {j: ("0", "0") for j in ("j1", "j2", "j3", "j4", "j5")},
        },
    )
    p(c.RevealScores)

    assert p.scores == {"a": D("11.00"), "b": D("9.00"), "c": D("0.00")}


def test_trimmed_mean_with_three_judges_is_the_middle_judge() -> None:
    p = Play(make_config("judged", judged="aggregate: trimmed_mean"))
    score_all(p, MARKS)
    p(c.RevealScores)

    # a: 10, 12, 14 -> 12; b: 8, 11, 15 -> 11 (the plain mean would be 11.33); c: 10
    assert p.scores == {"a": D("12.00"), "b": D("11.00"), "c": D("10.00")}


@pytest.mark.parametrize(
    ("decimals", "expected"),
    [("0", "11"), ("1", "11.3"), ("2", "11.33"), ("3", "11.333")],
)
def test_the_result_is_rounded_to_the_rounds_decimals(decimals: str, expected: str) -> None:
    p = Play(make_config("judged", judged=f"decimals: {decimals}"))
    score_all(p, {"b": MARKS["b"]})  # 34 / 3
    p(c.RevealScores, team="b")

    assert p.scores["b"] == D(expected)
    assert str(p.scores["b"]) == expected


def test_rounding_goes_half_up() -> None:
    p = Play(make_config("judged", judges=2, judged="decimals: 1"))
    score(p, "j1", "a", "8", "4.5")  # 12.5
    score(p, "j2", "a", "8", "4")  # 12  -> mean 12.25 -> 12.3
    score(p, "j1", "b", "7.25", "0")
    score(p, "j2", "b", "7.5", "0")  # mean 7.375 -> 7.4
    p(c.RevealScores, team="a")
    p(c.RevealScores, team="b")

    assert p.scores == {"a": D("12.3"), "b": D("7.4"), "c": D(0)}


# -- the audience's share -----------------------------------------------------------------


def audience_round() -> Play:
    p = Play(make_config("judged", judged="audience_share: 0.2"))
    score_all(
        p,
        {
            "a": {"j1": ("8", "4"), "j2": ("8", "4"), "j3": ("8", "4")},  # mean 12
            "b": {"j1": ("6", "3"), "j2": ("6", "3"), "j3": ("6", "3")},  # mean 9
            "c": {"j1": ("4", "2"), "j2": ("4", "2"), "j3": ("4", "2")},  # mean 6
        },
    )
    return p


def test_audience_share_mixes_judges_and_votes_scaled_to_the_most_voted_team() -> None:
    p = audience_round()
    p(c.OpenVoting)
    vote(p, ("ph1", "a"), ("ph2", "a"), ("ph3", "a"), ("ph4", "b"))
    p(c.CloseVoting)
    p(c.RevealScores)

    # 80 % of the judges' mean, plus 20 % of the round maximum (15) times votes / most votes (3):
    # a: 9.6 + 3 * 3/3 = 12.6; b: 7.2 + 3 * 1/3 = 8.2; c: 4.8 + 0 = 4.8
    assert p.scores == {"a": D("12.60"), "b": D("8.20"), "c": D("4.80")}


def test_audience_share_without_any_vote_counts_the_judges_in_full() -> None:
    # The phones failed or the vote never ran: the judges' mean stands for the whole round.
    p = audience_round()
    p(c.RevealScores)

    assert p.scores == {"a": D("12.00"), "b": D("9.00"), "c": D("6.00")}


def test_voting_opens_and_closes_and_only_counts_while_open() -> None:
    p = audience_round()
    p.fails(c.CastVotes, exact("no vote is open"), by=AUDIENCE, votes=(c.Vote("ph1", "a", p.now),))
    p.fails(c.CloseVoting, exact("the audience vote is not open"))

    p(c.OpenVoting)
    assert p.state.board.judged["greet"].voting is VotePhase.OPEN
    p.fails(c.OpenVoting, exact("the audience vote is already open"))
    vote(p, ("ph1", "a"))
    p.fails(
        c.CastVotes,
        exact("no option 'z'; choose one of a, b, c"),
        by=AUDIENCE,
        votes=(c.Vote("ph2", "z", p.now),),
    )
    p.fails(
        c.CastVotes,
        exact("this phone has already voted on this question"),
        by=AUDIENCE,
        votes=(c.Vote("ph1", "b", p.now),),
    )
    p(c.CloseVoting)

    assert p.state.board.judged["greet"].voting is VotePhase.CLOSED
    p.fails(c.CastVotes, exact("no vote is open"), by=AUDIENCE, votes=(c.Vote("ph9", "b", p.now),))


def test_a_round_without_audience_share_has_no_vote() -> None:
    p = Play(make_config("judged"))
    p.fails(c.OpenVoting, exact("'Chào hỏi' has no audience vote"))


def test_the_vote_cannot_reopen_once_scores_are_revealed() -> None:
    p = audience_round()
    p(c.OpenVoting)
    vote(p, ("ph1", "b"))
    p(c.CloseVoting)
    p(c.RevealScores, team="a")

    p.fails(c.OpenVoting, exact("scores are already revealed; the vote can't reopen"))


# -- hidden until the reveal --------------------------------------------------------------


def test_scores_stay_hidden_until_revealed() -> None:
    p = Play(make_config("judged"))
    score_all(p, MARKS)

    progress = p.state.board.judged["greet"]
    assert progress.scores["j2"]["a"] == {"content": D(9), "style": D(5)}
    assert progress.revealed == frozenset()
    assert p.state.board.awards == ()
    assert p.scores == {"a": 0, "b": 0, "c": 0}

    p(c.RevealScores, team="a")

    progress = p.state.board.judged["greet"]
    assert progress.revealed == frozenset({"a"})
    assert progress.locked == frozenset({"a"})  # revealing locks the marks
    assert p.scores == {"a": D("12.00"), "b": 0, "c": 0}

    p(c.RevealScores)  # the rest

    assert p.state.board.judged["greet"].revealed == frozenset({"a", "b", "c"})
    assert p.scores == {"a": D("12.00"), "b": D("11.33"), "c": D("10.00")}
    assert len(p.state.board.awards) == 3  # a is not awarded twice
    p.fails(c.RevealScores, exact("these scores are already revealed"))
    p.fails(c.RevealScores, exact("these scores are already revealed"), team="b")


def test_reveal_is_refused_while_a_judge_has_not_scored() -> None:
    p = Play(make_config("judged"))
    score(p, "j1", "a", "8", "4")
    score(p, "j2", "a", "8", "4")

    p.fails(c.RevealScores, exact("GK Ba has not scored Đội A yet"), team="a")
    score(p, "j3", "a", "8", "4")
    p(c.RevealScores, team="a")
    p.fails(c.RevealScores, exact("GK Một has not scored Đội B yet"))
    assert p.scores == {"a": D("12.00"), "b": 0, "c": 0}


def test_reveal_is_refused_while_the_audience_vote_is_open() -> None:
    p = audience_round()
    p(c.OpenVoting)

    p.fails(c.RevealScores, exact("close the audience vote before revealing the scores"))
    p(c.CloseVoting)
    p(c.RevealScores)


def test_only_the_producer_reveals() -> None:
    p = Play(make_config("judged"))
    score_all(p, MARKS)
    p.fails(c.RevealScores, exact("only the producer can reveal scores"), by=judge("j1"), error=Forbidden)


# -- locking ------------------------------------------------------------------------------


def test_locked_scores_refuse_further_marks_until_unlocked() -> None:
    p = Play(make_config("judged"))
    score(p, "j1", "a", "5", "5")
    p(c.LockScores, team="a")

    assert p.state.board.judged["greet"].locked == frozenset({"a"})
    p.fails(
        c.SubmitScores,
        exact("scores for Đội A are locked"),
        by=judge("j1"),
        judge="j1",
        team="a",
        scores={"content": D(9), "style": D(5)},
    )
    score(p, "j1", "b", "5", "5")  # other teams are still open

    p(c.UnlockScores, team="a")
    score(p, "j1", "a", "9", "5")  # a later mark replaces the earlier one

    assert p.state.board.judged["greet"].locked == frozenset()
    assert p.state.board.judged["greet"].scores["j1"]["a"] == {"content": D(9), "style": D(5)}


def test_lock_and_unlock_every_team() -> None:
    p = Play(make_config("judged"))
    p(c.LockScores)
    assert p.state.board.judged["greet"].locked == frozenset({"a", "b", "c"})
    p.fails(c.LockScores, exact("scores are already locked"))
    p.fails(c.LockScores, exact("scores are already locked"), team="b")
    p.fails(
        c.SubmitScores,
        exact("scores for Đội C are locked"),
        by=judge("j3"),
        judge="j3",
        team="c",
        scores={"content": D(1), "style": D(1)},
    )

    p(c.UnlockScores)
    assert p.state.board.judged["greet"].locked == frozenset()
    p.fails(c.UnlockScores, exact("scores are already unlocked"))


def test_revealed_scores_cannot_be_unlocked() -> None:
    p = Play(make_config("judged"))
    score_all(p, {"a": MARKS["a"]})
    p(c.RevealScores, team="a")

    p.fails(c.UnlockScores, exact("revealed scores can't be unlocked; undo the reveal first"), team="a")
    p.fails(c.UnlockScores, exact("revealed scores can't be unlocked; undo the reveal first"))
    p.fails(
        c.SubmitScores,
        exact("scores for Đội A are locked"),
        by=judge("j1"),
        judge="j1",
        team="a",
        scores={"content": D(0), "style": D(0)},
    )


def test_undoing_a_reveal_takes_the_points_back_and_unlocks() -> None:
    p = Play(make_config("judged"))
    score_all(p, {"a": MARKS["a"]})
    before = p.state.board
    p(c.RevealScores, team="a")
    p(c.Undo)

    assert p.state.board == before
    assert p.scores["a"] == 0
    assert p.state.board.judged["greet"].locked == frozenset()  # the reveal's lock is undone too
    p.fails(c.UnlockScores, exact("scores are already unlocked"), team="a")
    score(p, "j1", "a", "10", "5")  # and the judges may correct their marks
    p(c.RevealScores, team="a")
    assert p.scores["a"] == D("13.00")  # (15 + 14 + 10) / 3


# -- who may score, and what ---------------------------------------------------------------


def test_a_judge_cannot_score_as_another_judge() -> None:
    p = Play(make_config("judged"))
    p.fails(
        c.SubmitScores,
        exact("a judge can only enter their own scores"),
        by=judge("j2"),
        judge="j1",
        team="a",
        scores={"content": D(5), "style": D(5)},
        error=Forbidden,
    )


def test_a_team_cannot_score() -> None:
    p = Play(make_config("judged"))
    p.fails(
        c.SubmitScores,
        exact("only a judge or the producer can enter scores"),
        by=team("a"),
        judge="j1",
        team="a",
        scores={"content": D(10), "style": D(5)},
        error=Forbidden,
    )


def test_only_the_producer_locks_and_unlocks() -> None:
    p = Play(make_config("judged"))
    p.fails(c.LockScores, exact("only the producer can lock scores"), by=judge("j1"), error=Forbidden)
    p.fails(c.UnlockScores, exact("only the producer can unlock scores"), by=team("a"), error=Forbidden)


def test_the_producer_can_enter_a_judges_scores() -> None:
    p = Play(make_config("judged"))
    score(p, "j1", "a", "7", "3", by=c.PRODUCER)

    assert p.state.board.judged["greet"].scores == {"j1": {"a": {"content": D(7), "style": D(3)}}}


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({"content": "11", "style": "5"}, "scores.content: expected 0 to 10, got 11"),
        ({"content": "10", "style": "5.5"}, "scores.style: expected 0 to 5, got 5.5"),
        ({"content": "-1", "style": "0"}, "scores.content: expected 0 to 10, got -1"),
        (
            {"content": "7.125", "style": "0"},
            "scores.content: expected a number of points with at most 2 decimals, got 7.125",
        ),
        ({"content": "7"}, "scores: expected a score for each of content, style"),
        ({"content": "7", "style": "3", "humour": "1"}, "scores: expected a score for each of content, style"),
        ({}, "scores: expected a score for each of content, style"),
    ],
)
def test_out_of_range_and_missing_marks_are_refused(scores: dict[str, str], message: str) -> None:
    p = Play(make_config("judged"))
    p.fails(
        c.SubmitScores,
        exact(message),
        by=judge("j1"),
        judge="j1",
        team="a",
        scores={key: D(value) for key, value in scores.items()},
        error=InvalidCommand,
    )


def test_the_bounds_themselves_are_accepted() -> None:
    p = Play(make_config("judged"))
    score(p, "j1", "a", "0", "0")
    score(p, "j1", "b", "10", "5")
    score(p, "j1", "c", "9.75", "4.5")

    assert p.state.board.judged["greet"].scores["j1"]["c"] == {"content": D("9.75"), "style": D("4.5")}


def test_unknown_judge_and_team_are_refused() -> None:
    p = Play(make_config("judged"))
    marks = {"content": D(5), "style": D(5)}
    p.fails(c.SubmitScores, exact("there is no judge 'j9'"), judge="j9", team="a", scores=marks, error=NotFound)
    p.fails(c.SubmitScores, exact("there is no team 'z'"), by=judge("j1"), judge="j1", team="z", scores=marks)
    p.fails(c.RevealScores, exact("there is no team 'z'"), team="z", error=NotFound)


def test_scores_are_only_entered_in_a_judged_round() -> None:
    p = Play(make_config("turns", "judged"))
    marks = {"content": D(5), "style": D(5)}
    p.fails(
        c.SubmitScores, exact("'Kỹ năng số' is not a judged round"), by=judge("j1"), judge="j1", team="a", scores=marks
    )
    p.fails(c.RevealScores, exact("'Kỹ năng số' is not a judged round"))
    p.goto("greet")
    p.fails(c.OpenAnswers, exact("can't open answers while no question is on screen"), error=PhaseError)
    score(p, "j1", "a", "5", "5")


def test_a_judged_round_replays_exactly() -> None:
    p = audience_round()
    p(c.OpenVoting)
    vote(p, ("ph1", "c"), ("ph2", "c"))
    p(c.CloseVoting)
    p(c.RevealScores)

    assert p.scores == {"a": D("9.60"), "b": D("7.20"), "c": D("7.80")}  # c: 4.8 + 3
    assert p.replayed() == p.state
    assert p.state.board.awards[-1] == Award(p.state.seq, "c", D("7.80"), "judged", "greet", None)
