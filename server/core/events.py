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


class ShowStarted(Event):
    pass


class SegmentEntered(Event):
    index: int


class ShowEnded(Event):
    pass


class TiebreakStarted(Event):
    teams: tuple[str, ...]


class QuestionShown(Event):
    question: str
    segment: str
    value: Decimal
    turn: str | None = None
    eligible: tuple[str, ...] = ()


class QuestionMoved(Event):
    """The live question changes phase; ``floor`` is who may answer now."""

    phase: QPhase
    floor: str | None = None


class AnswersOpened(Event):
    at: int


class QuestionReset(Event):
    pass


class Buzzed(Event):
    team: str
    at: int


class AnswerSubmitted(Event):
    team: str
    text: str
    at: int
    elapsed_ms: int
    correct: bool | None = None


class AnswerGraded(Event):
    team: str
    correct: bool


class TeamLocked(Event):
    team: str


class StarPlaced(Event):
    team: str


class PackageChosen(Event):
    segment: str
    team: str
    questions: tuple[str, ...]


class TimerChanged(Event):
    timer: Timer


class PointsAwarded(Event):
    award: Award


class ScoresSubmitted(Event):
    segment: str
    judge: str
    team: str
    scores: dict[str, Decimal]


class ScoresLocked(Event):
    segment: str
    teams: tuple[str, ...]
    locked: bool


class ScoresRevealed(Event):
    segment: str
    teams: tuple[str, ...]


class VotingChanged(Event):
    segment: str
    phase: VotePhase
    epoch: int


class VotesCast(Event):
    poll: str  # ballot box key, see ``state.poll_key``
    votes: tuple[Vote, ...]


class WinnersDrawn(Event):
    question: str
    winners: tuple[Winner, ...]
    seed: int | None = None


class TiebreakWon(Event):
    team: str


class OverlaySet(Event):
    overlay: str
    visible: bool


class LowerThirdSet(Event):
    strap: Strap


class Undone(Event):
    seq: int


class Redone(Event):
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
