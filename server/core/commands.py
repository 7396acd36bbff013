"""Commands: what someone asks the show to do. ``decide`` accepts or refuses them.

Every command carries who gave it (``by``) and the server time it arrived (``at``, ms).
"""

from __future__ import annotations

from decimal import Decimal

from msgspec import Struct


class Actor(Struct, frozen=True):
    role: str  # producer | judge | team | audience | system
    id: str = ""

    def __str__(self) -> str:
        return self.role if not self.id else f"{self.role}:{self.id}"


PRODUCER = Actor("producer")
SYSTEM = Actor("system")
AUDIENCE = Actor("audience")


class Command(Struct, frozen=True, kw_only=True, tag=True):
    at: int = 0
    by: Actor = PRODUCER


# -- the show and its rundown ------------------------------------------------------------


class StartShow(Command, frozen=True):
    pass


class GotoSegment(Command, frozen=True):
    """Go to a segment by ``index``, or ``step`` segments from the current one (+1 next, -1 back)."""

    index: int | None = None
    step: int = 0


class EndShow(Command, frozen=True):
    pass


class StartTiebreak(Command, frozen=True):
    teams: tuple[str, ...]


# -- questions ---------------------------------------------------------------------------


class ShowQuestion(Command, frozen=True):
    question: str | None = None  # None: the next one of the segment


class OpenAnswers(Command, frozen=True):
    pass


class CloseAnswers(Command, frozen=True):
    pass


class RevealAnswer(Command, frozen=True):
    seed: int | None = None  # for a seeded draw of audience winners


class ResetQuestion(Command, frozen=True):
    pass


class Buzz(Command, frozen=True):
    team: str


class SubmitAnswer(Command, frozen=True):
    team: str
    answer: str


class JudgeAnswer(Command, frozen=True):
    team: str
    correct: bool


class ChoosePackage(Command, frozen=True):
    team: str
    values: tuple[Decimal, ...]


class PlaceStar(Command, frozen=True):
    team: str


# -- the timer ---------------------------------------------------------------------------


class StartTimer(Command, frozen=True):
    duration_ms: int | None = None  # None: the question's or the segment's time


class PauseTimer(Command, frozen=True):
    pass


class ResumeTimer(Command, frozen=True):
    pass


class AddTime(Command, frozen=True):
    ms: int


class ResetTimer(Command, frozen=True):
    pass


class Expire(Command, frozen=True):
    """Sent by the service when the timer's deadline has passed."""


# -- judges and the audience -------------------------------------------------------------


class SubmitScores(Command, frozen=True):
    judge: str
    team: str
    scores: dict[str, Decimal]


class LockScores(Command, frozen=True):
    team: str | None = None  # None: every team


class UnlockScores(Command, frozen=True):
    team: str | None = None


class RevealScores(Command, frozen=True):
    team: str | None = None


class OpenVoting(Command, frozen=True):
    pass


class CloseVoting(Command, frozen=True):
    pass


class Vote(Struct, frozen=True, gc=False):  # a leaf of plain values: never in a cycle
    device: str
    option: str
    at: int
    nickname: str = ""


class CastVotes(Command, frozen=True):
    """A batch of audience votes, for the open audience question or team vote."""

    votes: tuple[Vote, ...]


class SetOverlay(Command, frozen=True):
    """Put an overlay on air or take it off (``visible``)."""

    overlay: str
    visible: bool


class TakeLook(Command, frozen=True):
    """Put one of the segment's looks on air: its overlays and no others (a strap that fits stays)."""

    look: str


class ShowLowerThird(Command, frozen=True):
    """Put a name strap on air: a team, one of its members, a judge, or a guest by name and title."""

    team: str | None = None
    member: str | None = None
    judge: str | None = None
    name: str = ""
    title: str = ""


# -- points and history ------------------------------------------------------------------


class AdjustScore(Command, frozen=True):
    team: str
    points: Decimal
    reason: str


class Undo(Command, frozen=True):
    pass


class Redo(Command, frozen=True):
    pass


AnyCommand = (
    StartShow
    | GotoSegment
    | EndShow
    | StartTiebreak
    | ShowQuestion
    | OpenAnswers
    | CloseAnswers
    | RevealAnswer
    | ResetQuestion
    | Buzz
    | SubmitAnswer
    | JudgeAnswer
    | ChoosePackage
    | PlaceStar
    | StartTimer
    | PauseTimer
    | ResumeTimer
    | AddTime
    | ResetTimer
    | Expire
    | SubmitScores
    | LockScores
    | UnlockScores
    | RevealScores
    | OpenVoting
    | CloseVoting
    | CastVotes
    | AdjustScore
    | Undo
    | Redo
    | SetOverlay
    | ShowLowerThird
    | TakeLook
)
