"""The state of one show: plain frozen data, changed only by ``apply``."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from msgspec import Struct, field

from server.core.words import Words


class ShowPhase(StrEnum):
    SETUP = "setup"
    LIVE = "live"
    ENDED = "ended"


class QPhase(StrEnum):
    READY = "ready"  # on screen, answering not open yet
    OPEN = "open"  # answers or buzzes accepted
    ANSWERING = "answering"  # one team has the floor
    STEAL = "steal"  # the others may buzz to steal
    CLOSED = "closed"  # no more answers; grading
    REVEALED = "revealed"  # the correct answer is shown


class VotePhase(StrEnum):
    IDLE = "idle"
    OPEN = "open"
    CLOSED = "closed"


class Timer(Struct, frozen=True):
    """A countdown; running while ``started_at`` is set."""

    duration_ms: int = 0
    remaining_ms: int = 0
    started_at: int | None = None

    @property
    def running(self) -> bool:
        return self.started_at is not None

    @property
    def deadline(self) -> int | None:
        return None if self.started_at is None else self.started_at + self.remaining_ms

    def remaining(self, at: int) -> int:
        if self.started_at is None:
            return self.remaining_ms
        return max(0, self.remaining_ms - (at - self.started_at))

    def expired(self, at: int) -> bool:
        return self.started_at is not None and at >= self.started_at + self.remaining_ms


class Answer(Struct, frozen=True):
    text: str
    at: int
    elapsed_ms: int
    correct: bool | None = None  # None: waiting for the producer's grade


class Buzz(Struct, frozen=True):
    team: str
    at: int


class Winner(Struct, frozen=True, gc=False):  # a leaf of plain values: never in a cycle
    device: str
    nickname: str
    at: int


class QuestionState(Struct, frozen=True):
    """The question on air now."""

    id: str
    segment: str
    phase: QPhase = QPhase.READY
    value: Decimal = Decimal(0)
    turn: str | None = None  # team on turn (turns, packages)
    floor: str | None = None  # team holding the right to answer
    star: bool = False
    eligible: tuple[str, ...] = ()  # teams that may play this question
    buzzes: tuple[Buzz, ...] = ()
    locked: frozenset[str] = frozenset()
    answers: dict[str, Answer] = {}
    opened_at: int | None = None
    epoch: int = 0  # bumped by a reset, so old audience ballots no longer count
    winners: tuple[Winner, ...] = ()
    draw_seed: int | None = None


class Award(Struct, frozen=True, gc=False):  # a leaf of plain values: never in a cycle
    """A change of a team's score; every score is the sum of its awards."""

    seq: int
    team: str
    points: Decimal
    kind: str  # correct | wrong | steal | speed | judged | adjust
    segment: str | None = None
    question: str | None = None
    reason: str = ""
    elapsed_ms: int | None = None


class JudgedProgress(Struct, frozen=True):
    # judge -> team -> criterion -> score
    scores: dict[str, dict[str, dict[str, Decimal]]] = {}
    locked: frozenset[str] = frozenset()
    revealed: frozenset[str] = frozenset()
    voting: VotePhase = VotePhase.IDLE
    vote_epoch: int = 0


class Strap(Struct, frozen=True):
    """A lower third on air: who is being introduced."""

    kind: str  # team | member | judge | guest
    name: str
    title: str = ""
    subject: str | None = None  # the team's, member's or judge's id
    team: str | None = None  # the team a team or member strap belongs to


class Board(Struct, frozen=True):
    """Everything undo restores: the show as the producer, judges and teams made it."""

    phase: ShowPhase = ShowPhase.SETUP
    segment: int = -1  # index into the rundown; len(rundown) while a tie-break is played
    question: QuestionState | None = None
    played: frozenset[str] = frozenset()
    timer: Timer = Timer()
    awards: tuple[Award, ...] = ()
    scores: dict[str, Decimal] = {}
    judged: dict[str, JudgedProgress] = {}
    packages: dict[str, dict[str, tuple[str, ...]]] = {}  # segment -> team -> questions
    stars_used: frozenset[str] = frozenset()
    audience_winners: dict[str, tuple[Winner, ...]] = {}
    tiebreak_teams: tuple[str, ...] = ()
    tiebreak_order: tuple[str, ...] = ()  # winners of the tie-break, best first
    on_air: frozenset[str] = frozenset()  # overlays shown now
    lower_third: Strap | None = None


class Ballot(Struct, frozen=True, gc=False):  # a leaf of plain values: never in a cycle
    option: str
    at: int
    nickname: str = ""


class HistoryEntry(Struct, frozen=True):
    seq: int
    label: str
    board: Board  # before the action (undo stack) or after it (redo stack)
    label_vi: str = ""  # the label in Vietnamese, in snapshots written before ``words`` existed
    words: Words | None = None  # the label as a catalogue key and parameters


class ShowState(Struct, frozen=True):
    """The whole state: the board, its undo and redo history, and the audience's ballots (of the polls
    the board or its history can still reach; every poll's tally).

    Ballots are outside the board on purpose: undoing a producer's click must not erase the
    votes that phones cast meanwhile.
    """

    board: Board = Board()
    seq: int = 0
    undo: tuple[HistoryEntry, ...] = ()
    redo: tuple[HistoryEntry, ...] = ()
    ballots: dict[str, dict[str, Ballot]] = field(default_factory=dict)
    # Votes per option of each ballot box, kept with the ballots: views read a tally many times a
    # second while thousands of phones vote, and counting the box each time grew with the crowd.
    tallies: dict[str, dict[str, int]] = field(default_factory=dict)


def boards(state: ShowState) -> tuple[Board, ...]:
    """The board, then every board undo and then redo can bring back."""
    return (state.board, *(entry.board for entry in state.undo), *(entry.board for entry in state.redo))


def poll_key(poll: str, epoch: int) -> str:
    """The ballot box of one poll in one epoch (a reset starts a new epoch)."""
    return f"{poll}#{epoch}"


def tally(state: ShowState, key: str) -> dict[str, int]:
    """Votes per option in one ballot box."""
    return {option: n for option, n in state.tallies.get(key, {}).items() if n}
