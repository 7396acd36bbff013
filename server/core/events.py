"""Events: what happened. ``apply`` folds them into the state; the log stores them.

Events are explicit enough that ``apply`` needs no rules: ``decide`` has already worked
out every consequence (phase moves, timer values, awards).
"""

from __future__ import annotations

from decimal import Decimal

from msgspec import Struct

from server.core.commands import AnyCommand, Vote
from server.core.state import Award, QPhase, Strap, Timer, VotePhase, Winner
from server.core.words import Words


class Event(Struct, frozen=True, tag=True):
    pass


class ShowStarted(Event, frozen=True):
    pass


class SegmentEntered(Event, frozen=True):
    index: int


class ShowEnded(Event, frozen=True):
    pass


class TiebreakStarted(Event, frozen=True):
    teams: tuple[str, ...]


class QuestionShown(Event, frozen=True):
    question: str
    segment: str
    value: Decimal
    turn: str | None = None
    eligible: tuple[str, ...] = ()


class QuestionMoved(Event, frozen=True):
    """The live question changes phase; ``floor`` is who may answer now."""

    phase: QPhase
    floor: str | None = None


class AnswersOpened(Event, frozen=True):
    at: int


class QuestionReset(Event, frozen=True):
    pass


class Buzzed(Event, frozen=True):
    team: str
    at: int


class AnswerSubmitted(Event, frozen=True):
    team: str
    text: str
    at: int
    elapsed_ms: int
    correct: bool | None = None


class AnswerGraded(Event, frozen=True):
    team: str
    correct: bool


class TeamLocked(Event, frozen=True):
    team: str


class StarPlaced(Event, frozen=True):
    team: str


class PackageChosen(Event, frozen=True):
    segment: str
    team: str
    questions: tuple[str, ...]


class TimerChanged(Event, frozen=True):
    timer: Timer


class PointsAwarded(Event, frozen=True):
    award: Award


class ScoresSubmitted(Event, frozen=True):
    segment: str
    judge: str
    team: str
    scores: dict[str, Decimal]


class ScoresLocked(Event, frozen=True):
    segment: str
    teams: tuple[str, ...]
    locked: bool


class ScoresRevealed(Event, frozen=True):
    segment: str
    teams: tuple[str, ...]


class VotingChanged(Event, frozen=True):
    segment: str
    phase: VotePhase
    epoch: int


class VotesCast(Event, frozen=True):
    poll: str  # ballot box key, see ``state.poll_key``
    votes: tuple[Vote, ...]


class WinnersDrawn(Event, frozen=True):
    question: str
    winners: tuple[Winner, ...]
    seed: int | None = None


class TiebreakWon(Event, frozen=True):
    team: str


class OverlaySet(Event, frozen=True):
    overlay: str
    visible: bool


class LowerThirdSet(Event, frozen=True):
    strap: Strap


class Undone(Event, frozen=True):
    seq: int


class Redone(Event, frozen=True):
    seq: int


AnyEvent = (
    ShowStarted
    | SegmentEntered
    | ShowEnded
    | TiebreakStarted
    | QuestionShown
    | QuestionMoved
    | AnswersOpened
    | QuestionReset
    | Buzzed
    | AnswerSubmitted
    | AnswerGraded
    | TeamLocked
    | StarPlaced
    | PackageChosen
    | TimerChanged
    | PointsAwarded
    | ScoresSubmitted
    | ScoresLocked
    | ScoresRevealed
    | VotingChanged
    | VotesCast
    | WinnersDrawn
    | TiebreakWon
    | OverlaySet
    | LowerThirdSet
    | Undone
    | Redone
)


class Action(Struct, frozen=True):
    """One accepted command and the events it caused: the unit of the log and of undo."""

    seq: int
    command: AnyCommand
    events: tuple[AnyEvent, ...]
    label: str = ""
    label_vi: str = ""  # ``label`` in Vietnamese, in actions logged before ``words`` existed
    words: Words | None = None  # ``label`` as a catalogue key and parameters; None in older logs
