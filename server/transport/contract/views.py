"""Each role's view as a struct: what ``server/show/views.py`` and ``ShowService`` put on the wire.

A field that is sometimes absent (not null: absent) is ``T | UnsetType = UNSET``; a field always sent,
possibly null, is ``T | None`` with no default. Every struct refuses unknown fields, so a field added to
a view without the contract fails ``tests/transport/test_contract.py`` with its path.
"""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import UNSET, Meta, Struct, UnsetType

from server.core.config import Stage
from server.core.rounds.base import Capabilities
from server.core.state import QPhase, ShowPhase, VotePhase

Points = Annotated[float, Meta(description="Points: a JSON integer when whole, else a decimal (2 places at most).")]
Ids = list[str]
Can = Annotated[
    dict[str, bool | list[str]],
    Meta(description="Command name -> whether the rules accept it now (bool), or the ids it may name now (list)."),
]


class Shape(Struct, forbid_unknown_fields=True, kw_only=True):
    """A closed JSON object: the base of every contract struct."""


Params = Annotated[
    dict[str, Any],
    Meta(description="A key's parameters: text, numbers, nested words {key, params}, or {vi, en} texts."),
]


class Words(Shape):
    """A sentence as a catalogue key (controller/strings/*.json) and its parameters: say it in your language."""

    key: str
    params: Params


# -- the show, its people and its rundown ----------------------------------------------------


class Theme(Shape):
    primary: str
    secondary: str
    background: str
    text: str
    font: str


class ShowInfo(Shape):
    id: str
    title: str
    organizer: str
    season: str
    stage: Stage
    language: str
    logo: Annotated[str | None, Meta(description="A path relative to the config's folder, served at /show/logo.")]
    decimals: Annotated[int, Meta(description="Every page writes points with exactly this many decimals.")]
    theme: Theme


class Strap(Shape):
    kind: Annotated[str, Meta(description="team | member | judge | guest")]
    name: str
    title: str
    subject: Annotated[str | None, Meta(description="The team's, member's or judge's id; null for a guest.")]
    team: Annotated[str | None, Meta(description="The team a team or member strap belongs to.")]


class Member(Shape):
    id: str
    name: str
    role: str


class TeamRow(Shape):
    id: str
    name: str
    short_name: Annotated[str, Meta(description="The config's short_name, else the name.")]
    unit: str
    members: list[Member]
    score: Points
    star_used: bool


class JudgeRow(Shape):
    id: str
    name: str
    title: str


class SegmentCapabilities(Capabilities, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """How a segment is played (``server/core/rounds``): what the pages offer, never read from ``round``."""


class RundownEntry(Shape):
    index: int
    id: str
    title: str
    round: str
    overlays: list[str]
    capabilities: Annotated[SegmentCapabilities | UnsetType, Meta(description="The producer's view only.")] = UNSET


class Look(Shape):
    id: str
    title: str
    overlays: list[str]


class SegmentPackages(Shape):
    values: list[Points]
    size: int


class ObstacleRow(Shape):
    number: Annotated[int, Meta(description="1, 2, ... in the order of the segment's questions.")]
    question: str
    letters: Annotated[int, Meta(description="How many boxes the answer fills (its letters and digits).")]
    on_air: bool
    played: bool
    solved: Annotated[bool, Meta(description="A team answered it right.")]
    open: Annotated[bool, Meta(description="Its tile shows the picture (solved, or the round is over).")]
    answer: Annotated[str | None, Meta(description="Once the row is revealed (the producer's view: always).")]


class ObstacleKeyword(Shape):
    letters: int
    answer: Annotated[str | None, Meta(description="Once found or revealed (the producer's view: always).")]
    found_by: Annotated[str | None, Meta(description="The team that found it.")]
    worth: Annotated[Points | None, Meta(description="What a right keyword scores now; null before a row or after.")]


class ObstacleFinal(Shape):
    question: Annotated[str, Meta(description="The keyword's question: its text is the final clue.")]
    on_air: bool
    open: Annotated[bool, Meta(description="The centre tile: open once the final clue is shown.")]


class ObstacleBoard(Shape):
    rows: list[ObstacleRow]
    keyword: ObstacleKeyword
    final: ObstacleFinal
    picture: Annotated[str | None, Meta(description="The picture behind the tiles, served at /show/media/<picture>.")]
    out: Annotated[Ids, Meta(description="Teams out of the round (a wrong keyword), in that order.")]
    over: Annotated[bool, Meta(description="The keyword was found, or revealed after the final clue.")]


class Segment(Shape):
    index: Annotated[int, Meta(description="Rundown index; the number of segments during a tie-break.")]
    id: str
    title: str
    round: str
    looks: Annotated[list[Look], Meta(description="The sets of overlays that go on air together; first the default.")]
    overlays: list[str]
    capabilities: SegmentCapabilities
    packages: Annotated[SegmentPackages | UnsetType, Meta(description="Packages rounds only.")] = UNSET
    obstacle: Annotated[ObstacleBoard | UnsetType, Meta(description="Obstacle rounds: rows, tiles, keyword.")] = UNSET
    notes: Annotated[str | None | UnsetType, Meta(description="The host's notes: the producer's view only.")] = UNSET


# -- the question and the clock -------------------------------------------------------------------


class Timer(Shape):
    duration_ms: int
    remaining_ms: Annotated[int, Meta(description="Time left at server time started_at (or now, when stopped).")]
    started_at: int | None
    running: bool


class BuzzEntry(Shape):
    team: str
    at: int


class AnswerView(Shape):
    """Either ``{answered: true}`` (a speed round's answer while answering is open, outside the producer's
    view) or ``{text, elapsed_ms, correct}``."""

    answered: bool | UnsetType = UNSET
    text: str | UnsetType = UNSET
    elapsed_ms: int | UnsetType = UNSET
    correct: Annotated[bool | None | UnsetType, Meta(description="null: not graded (or graded in secret).")] = UNSET


class WinnerEntry(Shape):
    nickname: str
    at: int


class Tally(Shape):
    counts: dict[str, int]
    total: int


class Question(Shape):
    id: str
    segment: str
    text: str
    options: Annotated[dict[str, str] | None, Meta(description="Letter -> text for multiple choice.")]
    media: str | None
    essay: bool
    value: Points
    phase: QPhase
    turn: str | None
    floor: Annotated[str | None, Meta(description="The team with the right to answer now.")]
    star: bool
    eligible: Ids
    locked: Ids
    buzzes: list[BuzzEntry]
    answers: dict[str, AnswerView]
    opened_at: int | None
    answer: Annotated[str | None, Meta(description="The correct answer; null before the reveal but for the producer.")]
    winners: list[WinnerEntry]
    tally: Annotated[Tally | UnsetType, Meta(description="Audience rounds only.")] = UNSET
    notes: Annotated[str | None | UnsetType, Meta(description="The host's notes: the producer's view only.")] = UNSET


# -- judges, standings, tie-break ---------------------------------------------------------------------


class Criterion(Shape):
    id: str
    name: str
    max: Points


class JudgedSegment(Shape):
    criteria: list[Criterion]
    submitted: Annotated[dict[str, Ids], Meta(description="Judge -> the teams that judge has scored.")]
    scores: Annotated[
        dict[str, dict[str, dict[str, Points]]],
        Meta(description="Judge -> team -> criterion -> score; revealed teams only outside the producer's view."),
    ]
    locked: Ids
    revealed: Ids
    results: Annotated[dict[str, Points], Meta(description="Team -> points awarded; revealed teams only.")]
    voting: VotePhase
    tally: Tally
    audience_share: Points


class Tiebreak(Shape):
    teams: Ids
    order: Annotated[Ids, Meta(description="The teams that won their place, best first.")]


class StandingRow(Shape):
    rank: int
    team: str
    points: Points
    answer_ms: int


class AudienceWinners(Shape):
    question: str
    winners: list[WinnerEntry]


# -- the season (server/season/view.py, or a sample from server/show/preview.py) --------------------


class SeasonStanding(Shape, kw_only=True):
    team: str
    name: str
    short_name: str | UnsetType = UNSET
    rank: int
    played: int
    points: Points
    status: Annotated[str, Meta(description='qualified | out | champion | "" (undecided)')]


class SeasonShowTeam(Shape, kw_only=True):
    team: str
    name: str
    short_name: str | UnsetType = UNSET
    title: Annotated[
        str | UnsetType, Meta(description="An online stage's: the initiative or the entrant the unit is ranked by.")
    ] = UNSET
    points: Points | None
    result: Annotated[str | None, Meta(description="winner | advances | out | null (undecided)")]


class SeasonShow(Shape, kw_only=True):
    id: str
    title: str
    status: Annotated[
        str, Meta(description="done | live | upcoming; an online stage's: ranked (its ranking taken) | open")
    ]
    confirmed: Annotated[bool | UnsetType, Meta(description="A live season only.")] = UNSET
    decimals: Annotated[
        int | UnsetType,
        Meta(description="An online stage's: its points are written with this many decimals, not the show's."),
    ] = UNSET
    teams: list[SeasonShowTeam]


class SeasonStage(Shape, kw_only=True):
    id: str
    title: str
    online: Annotated[
        bool | UnsetType, Meta(description="A stage played online: one card, the top of its ranking.")
    ] = UNSET
    shows: list[SeasonShow]


class SeasonProposal(Shape):
    stage: str
    lineups: list[Ids] | None
    waiting: Ids
    rankings: Annotated[Ids, Meta(description="Online stages whose ranking is still to be taken.")]
    draw: list[list[str]]
    problem: str | None
    problem_words: Words | None


class SeasonConflict(Shape):
    stage: str
    title: str
    confirmed: list[Ids]
    rules: list[Ids]


class PublicSeason(Shape, kw_only=True):
    id: Annotated[str | UnsetType, Meta(description="A live season only.")] = UNSET
    title: str
    standings: list[SeasonStanding]
    bracket: list[SeasonStage]


class DeskSeason(PublicSeason):
    """The season as the producer sees it: what comes next and what contradicts the rules."""

    next: list[SeasonProposal] | UnsetType = UNSET
    conflicts: list[SeasonConflict] | UnsetType = UNSET


# -- the views ------------------------------------------------------------------------------------


class PublicView(Shape):
    """What the overlays, the hall screen and ``GET /api/v1/state`` without a token see."""

    show: ShowInfo
    phase: ShowPhase
    on_air: Annotated[list[str], Meta(description="The overlays on air, sorted.")]
    look: Annotated[str | None, Meta(description="The id of the segment's look on air now.")]
    lower_third: Strap | None
    teams: list[TeamRow]
    judges: list[JudgeRow]
    rundown: list[RundownEntry]
    segment: Segment | None
    question: Question | None
    timer: Timer
    judged: Annotated[dict[str, JudgedSegment], Meta(description="By judged segment's id.")]
    packages: Annotated[dict[str, dict[str, Ids]], Meta(description="Segment -> team -> its package's questions.")]
    tiebreak: Tiebreak | None
    standings: list[StandingRow]
    ties: Annotated[list[Ids], Meta(description="Groups of teams tied for a place that matters.")]
    audience_winners: list[AudienceWinners]
    season: PublicSeason | None


class CommandingView(PublicView):
    """The public view of a client that sends commands, with what it may send now."""

    can: Annotated[Can, Meta(description="Per pad command, the teams (or for a judge, what it) may send now.")]
    can_timed: Annotated[list[str], Meta(description="The keys of can that lapse when the running timer reaches 0.")]


class AwardRow(Shape):
    seq: Annotated[int, Meta(description="The revision that gave it.")]
    team: str
    points: Points
    kind: Annotated[str, Meta(description="correct | wrong | steal | stolen | speed | judged | adjust | row | keyword")]
    segment: str | None
    question: str | None
    reason: str


class OverlayState(Shape):
    zone: str
    ready: bool
    why: Annotated[str | None, Meta(description="Why it can show nothing, as a code (control.why.<code>).")]


class AuditRow(Shape):
    at: int
    by: Annotated[str, Meta(description="producer | judge:<id> | team:<id> | audience | system")]
    who: Words
    what: Words
    undone: bool


class ProducerView(CommandingView):
    """The public view with nothing hidden, plus the desk's own keys (``/control``, ``/host``)."""

    season: DeskSeason | None
    next_action: Annotated[str | None, Meta(description="The key (of can) of the show's natural next step.")]
    awards: Annotated[dict[str, AwardRow], Meta(description="The newest awards by position in the ledger.")]
    undo: Annotated[Words | None, Meta(description="The label of what undo would take back.")]
    redo: Annotated[Words | None, Meta(description="The label of what redo would bring back.")]
    overlays: dict[str, OverlayState]
    audit: Annotated[dict[str, AuditRow], Meta(description="The newest actions by revision.")]


class JudgeOwnSegment(Shape):
    scores: dict[str, dict[str, Points]]
    locked: Ids


class JudgeOwn(Shape):
    judge: str
    judged: dict[str, JudgeOwnSegment]


class JudgeView(CommandingView):
    """The public view plus the judge's own scores (``/judge``)."""

    me: JudgeOwn


class TeamView(CommandingView):
    """A team pad's view (``/team``): the public one and what the pads may send."""


class Poll(Shape):
    id: Annotated[str, Meta(description="The ballot box; a phone may vote once per id.")]
    kind: Annotated[str, Meta(description="question | team_vote")]
    text: str
    options: dict[str, str]
    open: bool
    answer: str | None
    tally: Annotated[Tally | None, Meta(description="Once voting is closed.")]
    winners: Annotated[list[str], Meta(description="The winners' nicknames once revealed.")]
    timer: Timer | None


class AudienceView(Shape):
    """A phone's view (``/audience``): small on purpose."""

    title: str
    language: str
    poll: Poll | None


# Which view each audience of ``ShowService`` gets (``judge:<id>`` by its prefix).
VIEWS: dict[str, type[Shape]] = {
    "public": PublicView,
    "producer": ProducerView,
    "judge": JudgeView,
    "team": TeamView,
    "audience": AudienceView,
}


def view_type(audience: str) -> type[Shape]:
    """The struct of a ``ShowService`` audience's view (``producer``, ``judge:gk-1``...); KeyError if none."""
    return VIEWS[audience.partition(":")[0]]
