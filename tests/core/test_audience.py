"""Audience rounds: phones vote on a multiple-choice question; the first (or drawn) right ones win.

The round "Khán giả" plays au1 (options A and B, answer A) with 20 s to vote and 3 winners.
A vote's ``at`` is the server time its phone's message arrived.
"""

from __future__ import annotations

from decimal import Decimal

from server.core import commands as c
from server.core.errors import Forbidden, InvalidCommand
from server.core.rounds.audience import draw_winners
from server.core.state import Ballot, QPhase, Winner, poll_key
from server.core.votes import NICKNAME_MAX, clean_nickname
from tests.core.play import Play, exact, make_config, make_show, team

AUDIENCE = c.Actor("audience")


def open_question(p: Play) -> int:
    """Show au1 and open voting; the time it opened."""
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    return p.now


def cast(p: Play, *votes: c.Vote, dt: int = 100) -> None:
    p(c.CastVotes, by=AUDIENCE, dt=dt, votes=votes)


def cast_fails(p: Play, message: str, *votes: c.Vote) -> None:
    p.fails(c.CastVotes, exact(message), by=AUDIENCE, dt=100, votes=votes)


def box(p: Play, epoch: int = 0) -> dict[str, Ballot]:
    return p.state.ballots.get(poll_key("au1", epoch), {})


# -- one vote per phone -------------------------------------------------------------------


def test_votes_are_kept_per_phone_in_the_questions_ballot_box() -> None:
    p = Play(make_config("audience"))
    opened = open_question(p)
    cast(p, c.Vote("ph1", "A", opened + 50, "Lan"), c.Vote("ph2", "B", opened + 60))

    assert box(p) == {"ph1": Ballot("A", opened + 50, "Lan"), "ph2": Ballot("B", opened + 60, "")}


def test_a_phone_votes_once_per_question() -> None:
    p = Play(make_config("audience"))
    opened = open_question(p)
    cast(p, c.Vote("ph1", "A", opened + 50))
    cast_fails(p, "this phone has already voted on this question", c.Vote("ph1", "B", opened + 500))

    assert box(p)["ph1"].option == "A"


def test_a_batch_keeps_the_first_vote_of_each_phone_and_the_valid_ones() -> None:
    p = Play(make_config("audience"))
    opened = open_question(p)
    action = p(
        c.CastVotes,
        by=AUDIENCE,
        votes=(
            c.Vote("ph1", "B", opened + 10),
            c.Vote("ph1", "A", opened + 20),  # the same phone again: dropped
            c.Vote("ph2", "C", opened + 30),  # no such option: dropped
            c.Vote("", "A", opened + 40),  # no device id: dropped
            c.Vote("ph3", "A", opened + 50),
        ),
    )

    assert box(p) == {"ph1": Ballot("B", opened + 10), "ph3": Ballot("A", opened + 50)}
    assert [vote.device for vote in action.events[0].votes] == ["ph1", "ph3"]


def test_a_batch_with_no_valid_vote_is_refused_with_the_first_reason() -> None:
    p = Play(make_config("audience"))
    opened = open_question(p)
    cast_fails(p, "no option 'C'; choose one of A, B", c.Vote("ph1", "C", opened), c.Vote("", "A", opened))
    cast_fails(p, "no option 'e'; choose one of A, B", c.Vote("ph1", "e", opened))
    cast_fails(p, "invalid device id", c.Vote("", "A", opened), c.Vote("ph1", "C", opened))
    cast_fails(p, "invalid device id", c.Vote("x" * 65, "A", opened))
    cast_fails(p, "no votes given")
    cast(p, c.Vote("x" * 64, "A", opened + 1))


def test_only_the_audience_votes() -> None:
    p = Play(make_config("audience"))
    opened = open_question(p)
    p.fails(
        c.CastVotes,
        exact("only the audience or the system can vote"),
        by=team("a"),
        votes=(c.Vote("ph1", "A", opened),),
        error=Forbidden,
    )


# -- when votes are taken ------------------------------------------------------------------


def test_votes_are_refused_while_the_question_is_not_open() -> None:
    p = Play(make_config("audience"))
    cast_fails(p, "no vote is open", c.Vote("ph1", "A", p.now))
    p(c.ShowQuestion)
    cast_fails(p, "voting is closed for this question", c.Vote("ph1", "A", p.now))
    p(c.OpenAnswers)
    cast(p, c.Vote("ph1", "A", p.now))
    p(c.CloseAnswers)
    cast_fails(p, "voting is closed for this question", c.Vote("ph2", "A", p.now))
    p(c.RevealAnswer)
    cast_fails(p, "voting is closed for this question", c.Vote("ph2", "A", p.now))

    assert set(box(p)) == {"ph1"}


def test_votes_are_refused_outside_an_audience_round() -> None:
    p = Play(make_config("turns", "audience"))
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    cast_fails(p, "no vote is open", c.Vote("ph1", "A", p.now))


def test_a_vote_that_arrives_after_the_deadline_is_refused() -> None:
    p = Play(make_config("audience"))
    opened = open_question(p)
    deadline = opened + 20_000

    assert p.state.board.timer.deadline == deadline
    cast(p, c.Vote("ph1", "A", deadline - 1))
    cast_fails(p, "too late: voting has closed", c.Vote("ph2", "A", deadline))
    p(c.Expire, by=c.SYSTEM, dt=20_000)
    assert p.state.board.question.phase is QPhase.CLOSED
    cast_fails(p, "voting is closed for this question", c.Vote("ph3", "A", deadline - 5))


# -- nicknames ----------------------------------------------------------------------------


def test_nicknames_are_cleaned_of_markup_and_cut_to_length() -> None:
    assert clean_nickname("<b>Minh Anh</b>") == "Minh Anh"
    assert clean_nickname('<img src=x onerror="alert(1)">Lan') == "Lan"
    assert clean_nickname("Tom & \"Jerry\" `x` 'y'") == "Tom Jerry x y"
    assert clean_nickname("  Lan\t\n  Chi\x00\x07 ") == "Lan Chi"
    assert clean_nickname("Nguyễn Thị Ánh") == "Nguyễn Thị Ánh"
    assert clean_nickname("<>") == ""
    assert NICKNAME_MAX == 24
    assert clean_nickname("x" * 40) == "x" * 24


def test_a_cut_nickname_does_not_end_in_a_space() -> None:
    assert clean_nickname("Nguyễn Thị Minh Khai Hà Nội") == "Nguyễn Thị Minh Khai Hà"
    assert len(clean_nickname("a" * 23 + " bcd")) == 23


def test_nicknames_are_cleaned_when_votes_arrive() -> None:
    p = Play(make_config("audience"))
    opened = open_question(p)
    cast(p, c.Vote("ph1", "A", opened + 1, "<script>x</script>Hà <i>Nội</i>"))

    assert box(p)["ph1"].nickname == "xHà Nội"


# -- winners ------------------------------------------------------------------------------


def vote_round(p: Play) -> int:
    opened = open_question(p)
    cast(
        p,
        c.Vote("ph1", "A", opened + 5000, "Một"),
        c.Vote("ph2", "B", opened + 1000, "Hai"),  # first, but wrong
        c.Vote("ph3", "A", opened + 3000, "Ba"),
        c.Vote("ph4", "A", opened + 4000, "Bốn"),
        c.Vote("ph5", "A", opened + 2000, "Năm"),
    )
    return opened


def test_the_first_right_votes_by_arrival_win() -> None:
    p = Play(make_config("audience"))
    opened = vote_round(p)
    p(c.CloseAnswers)
    p(c.RevealAnswer)

    winners = (
        Winner("ph5", "Năm", opened + 2000),
        Winner("ph3", "Ba", opened + 3000),
        Winner("ph4", "Bốn", opened + 4000),
    )
    assert p.state.board.audience_winners == {"au1": winners}
    assert p.state.board.question.winners == winners
    assert p.state.board.question.phase is QPhase.REVEALED
    assert p.state.board.awards == ()  # the audience wins prizes, not points


def test_equal_arrival_times_are_ordered_by_device() -> None:
    p = Play(make_config("audience", audience="count: 2"))
    opened = open_question(p)
    cast(p, c.Vote("zz", "A", opened + 10), c.Vote("mm", "A", opened + 10), c.Vote("aa", "A", opened + 11))
    p(c.CloseAnswers)
    p(c.RevealAnswer)

    assert [w.device for w in p.state.board.audience_winners["au1"]] == ["mm", "zz"]


def test_fewer_right_votes_than_winners() -> None:
    p = Play(make_config("audience"))
    opened = open_question(p)
    cast(p, c.Vote("ph1", "B", opened + 10), c.Vote("ph2", "A", opened + 20))
    p(c.CloseAnswers)
    p(c.RevealAnswer)

    assert p.state.board.audience_winners == {"au1": (Winner("ph2", "", opened + 20),)}


def test_a_seeded_draw_gives_the_same_winners_on_replay() -> None:
    config = make_config("audience", audience="winners: draw, count: 2")
    p = Play(config)
    opened = open_question(p)
    cast(p, *(c.Vote(f"ph{n}", "A" if n % 3 else "B", opened + n) for n in range(1, 13)))
    p(c.CloseAnswers)
    p(c.RevealAnswer, seed=20240915)

    winners = p.state.board.audience_winners["au1"]
    right = [(device, ballot) for device, ballot in box(p).items() if ballot.option == "A"]
    assert winners == draw_winners(right, 2, 20240915)
    assert len(winners) == 2
    assert {w.device for w in winners} <= {device for device, _ in right}
    assert p.state.board.question.draw_seed == 20240915
    assert p.replayed() == p.state

    again = Play(config)  # the same show played again, votes arriving in another order
    assert open_question(again) == opened
    cast(again, *(c.Vote(f"ph{n}", "A" if n % 3 else "B", opened + n) for n in reversed(range(1, 13))))
    again(c.CloseAnswers)
    again(c.RevealAnswer, seed=20240915)
    assert again.state.board.audience_winners["au1"] == winners


def test_a_draw_needs_a_seed() -> None:
    p = Play(make_config("audience", audience="winners: draw"))
    vote_round(p)
    p(c.CloseAnswers)
    p.fails(c.RevealAnswer, exact("seed: a draw of winners needs a seed"), error=InvalidCommand)


# -- reset and undo -----------------------------------------------------------------------


def test_a_reset_starts_a_new_ballot_box() -> None:
    p = Play(make_config("audience"))
    opened = open_question(p)
    cast(p, c.Vote("ph1", "A", opened + 100), c.Vote("ph2", "A", opened + 200))
    p(c.ResetQuestion)

    assert p.state.board.question.epoch == 1
    assert p.state.board.question.phase is QPhase.READY
    cast_fails(p, "voting is closed for this question", c.Vote("ph3", "A", p.now))

    reopened = p.now + 1000
    p(c.OpenAnswers)
    cast(p, c.Vote("ph1", "B", reopened + 100), c.Vote("ph3", "A", reopened + 300))  # ph1 may vote again
    p(c.CloseAnswers)
    p(c.RevealAnswer)

    assert set(box(p, 0)) == {"ph1", "ph2"}  # kept, but no longer counted
    assert box(p, 1) == {"ph1": Ballot("B", reopened + 100), "ph3": Ballot("A", reopened + 300)}
    assert p.state.board.audience_winners["au1"] == (Winner("ph3", "", reopened + 300),)


def test_no_reset_once_winners_are_drawn() -> None:
    p = Play(make_config("audience"))
    vote_round(p)
    p(c.CloseAnswers)
    p(c.RevealAnswer)
    p.fails(c.ResetQuestion, exact("winners were already drawn for this question; undo them instead of resetting"))


def test_undoing_a_producer_action_keeps_the_ballots() -> None:
    p = Play(make_config("audience"))
    opened = vote_round(p)
    ballots = p.state.ballots
    p(c.CloseAnswers)
    p(c.Undo)  # undoes the closing, not the votes

    assert p.state.board.question.phase is QPhase.OPEN
    assert p.state.ballots == ballots
    cast_fails(p, "this phone has already voted on this question", c.Vote("ph1", "B", opened + 6000))

    p(c.Undo)  # undoes the opening: the votes stay in their box
    assert p.state.board.question.phase is QPhase.READY
    assert p.state.ballots == ballots
    assert p.replayed() == p.state


def test_undo_skips_votes_and_takes_back_the_producers_last_action() -> None:
    p = Play(make_config("audience"))
    p(c.ShowQuestion)
    before_open = p.state.board
    p(c.OpenAnswers)
    cast(p, c.Vote("ph1", "A", p.now))
    p(c.Undo)

    assert p.state.board == before_open
    assert set(box(p)) == {"ph1"}


def test_letters_are_case_blind_and_early_votes_refused() -> None:
    p = Play(make_config("audience"))
    opened = open_question(p)
    cast_fails(p, "too early: voting had not opened", c.Vote("ph0", "A", opened - 1))
    cast(p, c.Vote("ph1", "a", opened))
    assert p.state.ballots["au1#0"]["ph1"].option == "A"


# -- the ballots held ---------------------------------------------------------------------

TWO_QUESTIONS = """
  - id: aud
    title: Khán giả
    round: audience
    questions: [au1, s1]
    timer: 20
"""


def test_a_polls_ballots_leave_once_no_undo_can_bring_it_back_and_its_tally_stays() -> None:
    p = Play(make_show(TWO_QUESTIONS))
    vote_round(p)
    p(c.CloseAnswers)
    p(c.RevealAnswer)
    first = poll_key("au1", 0)
    tally = dict(p.state.tallies[first])
    p(c.ShowQuestion, question="s1")
    p(c.OpenAnswers)
    cast(p, c.Vote("ph1", "C", p.now))
    assert set(p.state.ballots) == {first, poll_key("s1", 0)}  # undo can still bring au1 back

    for _ in range(3):
        p(c.Undo)  # back to au1, revealed: its box still answers for it
    assert p.state.board.question.id == "au1" and set(box(p)) == {"ph1", "ph2", "ph3", "ph4", "ph5"}
    for _ in range(3):
        p(c.Redo)
    p(c.CloseAnswers)
    for n in range(30):  # the undo history forgets au1
        p(c.AdjustScore, team="a", points=Decimal(1), reason=f"điểm {n}")
    p(c.ResetQuestion)
    p(c.OpenAnswers)
    cast(p, c.Vote("ph9", "A", p.now))  # a new box: the ones nothing can reach leave

    assert set(p.state.ballots) == {poll_key("s1", 0), poll_key("s1", 1)}  # the reset is still undoable
    assert p.state.tallies[first] == tally
    assert p.replayed() == p.state
