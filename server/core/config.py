"""The typed show configuration: what one televised show is made of.

Parsed and validated from YAML by ``server.configs``; everything here is plain data.
Times are in milliseconds, points are ``Decimal``.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from msgspec import Struct

from server.core.rounds import RoundType, Scoring, round_of


class Stage(StrEnum):
    QUALIFIER = "qualifier"
    SEMI_FINAL = "semi-final"
    FINAL = "final"
    OTHER = "other"


OVERLAYS = (
    "scoreboard",
    "lower_third",
    "question",
    "timer",
    "buzzer",
    "judges",
    "audience",
    "standings",
    "bracket",
    "winner",
)


# Fonts served with showcaller (static/fonts), all with full Vietnamese coverage.
FONTS = ("Be Vietnam Pro",)


class Theme(Struct, frozen=True):
    primary: str = "#0b5fa5"
    secondary: str = "#f2b705"
    background: str = "#0a1f3d"
    text: str = "#ffffff"
    font: str = "Be Vietnam Pro"


class Contest(Struct, frozen=True):
    title: str
    organizer: str = ""
    season: str = ""
    stage: Stage = Stage.OTHER
    logo: str | None = None
    language: str = "vi"
    theme: Theme = Theme()
    decimals: int | None = None  # points shown with this many decimals; None: ``ShowConfig.decimals`` decides


class Member(Struct, frozen=True):
    id: str
    name: str
    role: str = ""


class Team(Struct, frozen=True):
    id: str
    name: str
    unit: str = ""
    short_name: str = ""  # where space is short (the scoreboard); "" means the name
    members: tuple[Member, ...] = ()


class Judge(Struct, frozen=True):
    id: str
    name: str
    title: str = ""


class Question(Struct, frozen=True):
    id: str
    text: str
    options: dict[str, str] | None = None  # letter -> text, for multiple choice
    answer: str | None = None  # a letter for multiple choice, the expected text otherwise
    points: Decimal | None = None
    media: str | None = None
    time_ms: int | None = None
    essay: bool = False
    notes: str = ""  # for the host's screen only: may hold the answer, never in a public view

    @property
    def multiple_choice(self) -> bool:
        return self.options is not None


class ObsCue(Struct, frozen=True):
    scene: str | None = None
    show: tuple[str, ...] = ()
    hide: tuple[str, ...] = ()
    transition: str | None = None
    transition_ms: int | None = None


class Slot(Struct, frozen=True):
    """A question in a segment, with the team whose turn it is (turns rounds)."""

    question: str
    team: str | None = None


class Look(Struct, frozen=True):
    """Overlays that go on air together (``take_look``); a segment's first look is its default."""

    id: str
    title: str
    overlays: tuple[str, ...]


class Segment(Struct, frozen=True):
    id: str
    title: str
    round: RoundType
    scoring: Scoring
    slots: tuple[Slot, ...] = ()
    timer_ms: int | None = None
    obs: ObsCue = ObsCue()
    overlays: tuple[str, ...] = ()  # the overlays the segment offers (its looks' and any others)
    looks: tuple[Look, ...] = ()
    notes: str = ""  # what the host says when the segment starts (host's screen only)

    @property
    def questions(self) -> tuple[str, ...]:
        return tuple(s.question for s in self.slots)


class Tiebreak(Struct, frozen=True):
    """Sudden-death questions, answered by buzzer, for a tie that matters."""

    questions: tuple[str, ...] = ()
    timer_ms: int = 15000


class ObsSettings(Struct, frozen=True):
    host: str = "127.0.0.1"
    port: int = 4455
    password: str | None = None
    studio_mode: bool = False


class ShowConfig(Struct, frozen=True):
    id: str
    contest: Contest
    teams: tuple[Team, ...]
    judges: tuple[Judge, ...]
    rundown: tuple[Segment, ...]
    questions: dict[str, Question]
    tiebreak: Tiebreak = Tiebreak()
    ranking: tuple[str, ...] = ("points", "sudden_death")
    obs: ObsSettings | None = None
    tokens: dict[str, str] = {}  # "producer", "host", "judge:<id>", "team:<id>" -> access token

    def team(self, team_id: str) -> Team | None:
        return next((t for t in self.teams if t.id == team_id), None)

    def judge(self, judge_id: str) -> Judge | None:
        return next((j for j in self.judges if j.id == judge_id), None)

    def judge_name(self, judge_id: str) -> str:
        """A judge's name, or the id itself for one the show does not have (an old log)."""
        judge = self.judge(judge_id)
        return judge.name if judge else judge_id

    def segment(self, segment_id: str) -> Segment | None:
        return next((s for s in self.rundown if s.id == segment_id), None)

    @property
    def decimals(self) -> int:
        """Decimals every page shows points with: the contest's, else the most a round gives (judged), else 0."""
        if self.contest.decimals is not None:
            return self.contest.decimals
        given = [d for s in self.rundown if (d := round_of(s).decimals(s)) is not None]
        return max(given, default=0)

    @property
    def team_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.teams)

    @property
    def judge_ids(self) -> tuple[str, ...]:
        return tuple(j.id for j in self.judges)
