"""``apply``: fold events into the state. No rules here, only bookkeeping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from msgspec.structs import replace

from server.core import events as ev
from server.core.commands import CastVotes, Expire, Redo, Undo
from server.core.state import (
    Answer,
    Ballot,
    Board,
    Buzz,
    HistoryEntry,
    JudgedProgress,
    QPhase,
    QuestionState,
    ShowPhase,
    ShowState,
    Timer,
    VotePhase,
    boards,
    poll_key,
)

UNDO_DEPTH = 30
_NOT_UNDOABLE = (Undo, Redo, CastVotes, Expire)


def undoable(action: ev.Action) -> bool:
    """Producer, judge and team actions can be undone; votes and the clock cannot."""
    return not isinstance(action.command, _NOT_UNDOABLE) and action.command.by.role != "system"


def apply_action(state: ShowState, action: ev.Action) -> ShowState:
    """Apply one logged action: record it in the undo history, then apply its events."""
    if undoable(action):
        entry = HistoryEntry(action.seq, action.label, state.board, action.label_vi, action.words)
        state = replace(state, undo=(*state.undo[-(UNDO_DEPTH - 1) :], entry), redo=())
    for event in action.events:
        state = apply(state, event)
    return replace(state, seq=action.seq)


def apply(state: ShowState, event: ev.Event) -> ShowState:
    """Apply one event."""
    if isinstance(event, ev.Undone):
        entry = state.undo[-1]
        redo = HistoryEntry(entry.seq, entry.label, state.board, entry.label_vi, entry.words)
        return replace(state, board=entry.board, undo=state.undo[:-1], redo=(*state.redo, redo))
    if isinstance(event, ev.Redone):
        entry = state.redo[-1]
        undo = HistoryEntry(entry.seq, entry.label, state.board, entry.label_vi, entry.words)
        return replace(state, board=entry.board, redo=state.redo[:-1], undo=(*state.undo, undo))
    if isinstance(event, ev.VotesCast):
        ballots = state.ballots if event.poll in state.ballots else _reachable_ballots(state)
        box = dict(ballots.get(event.poll, {}))
        counts = dict(state.tallies.get(event.poll, {}))
        for vote in event.votes:
            old = box.get(vote.device)
            if old is not None:
                counts[old.option] -= 1
            box[vote.device] = Ballot(vote.option, vote.at, vote.nickname)
            counts[vote.option] = counts.get(vote.option, 0) + 1
        return replace(state, ballots={**ballots, event.poll: box}, tallies={**state.tallies, event.poll: counts})
    return replace(state, board=_BOARD[type(event)](state.board, event))


def _reachable_ballots(state: ShowState) -> dict[str, dict[str, Ballot]]:
    """The ballot boxes that the board, or a board undo or redo can bring back, may still read (to refuse
    a second vote, to find the winners); the others leave as a new poll starts, their tallies stay. So
    the ballots held are a poll's or two, however long the show."""
    reachable = {key for board in boards(state) for key in _polls(board)}
    return {key: box for key, box in state.ballots.items() if key in reachable}


def _polls(board: Board) -> Iterator[str]:
    if board.question is not None:
        yield poll_key(board.question.id, board.question.epoch)
    for segment, progress in board.judged.items():
        if progress.voting is not VotePhase.IDLE:
            yield poll_key(segment, progress.vote_epoch)


def _on_air(board: Board) -> QuestionState:
    """The question on air: the events that read it come only while there is one."""
    assert board.question is not None
    return board.question


def _question(board: Board, **changes: Any) -> Board:
    assert board.question is not None
    return replace(board, question=replace(board.question, **changes))


def _judged(board: Board, segment: str, **changes: Any) -> Board:
    progress = replace(board.judged.get(segment, JudgedProgress()), **changes)
    return replace(board, judged={**board.judged, segment: progress})


def _award(board: Board, e: ev.PointsAwarded) -> Board:
    team = e.award.team
    score = board.scores.get(team, Decimal(0)) + e.award.points
    return replace(board, awards=(*board.awards, e.award), scores={**board.scores, team: score})


def _answers(board: Board, team: str, answer: Answer) -> Board:
    assert board.question is not None
    return _question(board, answers={**board.question.answers, team: answer})


def _scores(board: Board, e: ev.ScoresSubmitted) -> Board:
    progress = board.judged.get(e.segment, JudgedProgress())
    by_judge = {**progress.scores.get(e.judge, {}), e.team: dict(e.scores)}
    return _judged(board, e.segment, scores={**progress.scores, e.judge: by_judge})


def _lock(board: Board, e: ev.ScoresLocked) -> Board:
    locked = board.judged.get(e.segment, JudgedProgress()).locked
    return _judged(board, e.segment, locked=locked | set(e.teams) if e.locked else locked - set(e.teams))


_BOARD: dict[type, Callable[[Board, Any], Board]] = {
    ev.ShowStarted: lambda b, e: replace(b, phase=ShowPhase.LIVE),
    ev.SegmentEntered: lambda b, e: replace(b, segment=e.index, question=None, timer=Timer()),
    ev.ShowEnded: lambda b, e: replace(b, phase=ShowPhase.ENDED, question=None, timer=Timer()),
    ev.TiebreakStarted: lambda b, e: replace(
        b, tiebreak_teams=e.teams, tiebreak_order=(), question=None, timer=Timer(), phase=ShowPhase.LIVE
    ),
    ev.QuestionShown: lambda b, e: replace(
        b,
        question=QuestionState(
            id=e.question, segment=e.segment, value=e.value, turn=e.turn, floor=e.turn, eligible=e.eligible
        ),
        played=b.played | {e.question},
        timer=Timer(),
    ),
    ev.QuestionMoved: lambda b, e: _question(b, phase=e.phase, floor=e.floor),
    ev.AnswersOpened: lambda b, e: _question(
        b, phase=QPhase.OPEN, opened_at=_on_air(b).opened_at if _on_air(b).opened_at is not None else e.at
    ),
    # A reset keeps the star: the team has spent it (``stars_used``) and can't place it again.
    ev.QuestionReset: lambda b, e: _question(
        b,
        phase=QPhase.READY,
        floor=_on_air(b).turn,
        buzzes=(),
        locked=frozenset(),
        answers={},
        opened_at=None,
        winners=(),
        draw_seed=None,
        epoch=_on_air(b).epoch + 1,
    ),
    ev.Buzzed: lambda b, e: _question(
        b, phase=QPhase.ANSWERING, floor=e.team, buzzes=(*_on_air(b).buzzes, Buzz(e.team, e.at))
    ),
    ev.AnswerSubmitted: lambda b, e: _answers(b, e.team, Answer(e.text, e.at, e.elapsed_ms, e.correct)),
    ev.AnswerGraded: lambda b, e: _answers(b, e.team, replace(_on_air(b).answers[e.team], correct=e.correct)),
    ev.TeamLocked: lambda b, e: _question(b, locked=_on_air(b).locked | {e.team}),
    ev.StarPlaced: lambda b, e: replace(_question(b, star=True), stars_used=b.stars_used | {e.team}),
    ev.PackageChosen: lambda b, e: replace(
        b, packages={**b.packages, e.segment: {**b.packages.get(e.segment, {}), e.team: e.questions}}
    ),
    ev.TimerChanged: lambda b, e: replace(b, timer=e.timer),
    ev.PointsAwarded: _award,
    ev.ScoresSubmitted: _scores,
    ev.ScoresLocked: _lock,
    ev.ScoresRevealed: lambda b, e: _judged(
        b, e.segment, revealed=b.judged.get(e.segment, JudgedProgress()).revealed | set(e.teams)
    ),
    ev.VotingChanged: lambda b, e: _judged(b, e.segment, voting=e.phase, vote_epoch=e.epoch),
    ev.WinnersDrawn: lambda b, e: replace(
        _question(b, winners=e.winners, draw_seed=e.seed),
        audience_winners={**b.audience_winners, e.question: e.winners},
    ),
    ev.TiebreakWon: lambda b, e: replace(b, tiebreak_order=(*b.tiebreak_order, e.team)),
    ev.OverlaySet: lambda b, e: replace(b, on_air=b.on_air | {e.overlay} if e.visible else b.on_air - {e.overlay}),
    ev.LowerThirdSet: lambda b, e: replace(b, lower_third=e.strap),
}
