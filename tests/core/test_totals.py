"""The awards' totals (server/core/totals.py) are folded once per award and always equal a fold of every
award: as the show grows, across undo and redo, after a branch, and from boards a snapshot brought back."""

from __future__ import annotations

from decimal import Decimal

from server.core import commands as c
from server.core.state import Award, Board
from server.core.totals import totals
from server.log import snapshot
from tests.core.play import Play, make_config


def folded(awards: tuple[Award, ...]) -> tuple:
    """Every award scanned from nothing, as the standings, the judged round and the rules did before."""
    answer_ms: dict[str, int] = {}
    speed: dict[str, Decimal] = {}
    for a in awards:
        if a.elapsed_ms is not None and a.points > 0:
            answer_ms[a.team] = answer_ms.get(a.team, 0) + a.elapsed_ms
        if a.kind == "speed":
            speed[a.team] = speed.get(a.team, Decimal(0)) + a.points
    segments = {a.segment for a in awards if a.kind == "judged" and a.segment is not None}
    judged = {s: {a.team: a.points for a in awards if a.kind == "judged" and a.segment == s} for s in segments}
    return answer_ms, speed, judged, {(a.segment, a.question) for a in awards}


def of(awards: tuple[Award, ...]) -> tuple:
    got = totals(awards)
    return got.answer_ms, got.speed, got.judged, got.given


def award(seq: int, team: str, points: int, kind: str = "adjust", **more) -> Award:
    return Award(seq, team, Decimal(points), kind, **more)


def test_a_branch_after_an_undo_does_not_count_the_award_undone() -> None:
    base = (award(1, "a", 10, "correct", segment="s", question="q1", elapsed_ms=1200),)
    undone = (*base, award(2, "a", 5, "speed", segment="t", question="q2", elapsed_ms=800))
    assert of(undone) == folded(undone)
    branch = (*base, award(3, "b", 7, "judged", segment="greet"))  # the award after the undo, on the same base
    assert of(branch) == folded(branch)
    assert totals(branch).speed == {} and totals(branch).answer_ms == {"a": 1200}
    assert of(undone) == folded(undone)  # the first branch again (a redo): still its own
    grown = (*branch, award(4, "b", 9, "judged", segment="greet"), award(5, "c", -2, "wrong", elapsed_ms=900))
    assert totals(grown).judged == {"greet": {"b": Decimal(9)}}  # a team's result is its last judged award
    assert totals(grown).answer_ms == {"a": 1200}  # points lost do not add answer time


def test_the_totals_of_a_show_equal_every_award_folded_through_undo_redo_and_a_snapshot() -> None:
    play = Play(make_config("buzzer"))
    boards: list[Board] = []
    for n in range(40):
        play(c.AdjustScore, team="abc"[n % 3], points=Decimal(n % 4 + 1 if n % 3 else -1), reason=f"{n}")
        if n % 5 == 4:
            play(c.Undo)
        if n % 10 == 9:
            play(c.Redo)
        boards.append(play.state.board)
    boards += [entry.board for entry in (*play.state.undo, *play.state.redo)]
    for board in boards:
        assert of(board.awards) == folded(board.awards)
    restored = snapshot.decode(snapshot.encode(play.state))
    for board in (restored.board, *(entry.board for entry in restored.undo)):
        assert of(board.awards) == folded(board.awards)
    assert of(restored.board.awards) == of(play.state.board.awards)
