"""What a round is: its settings, what it offers (``Capabilities``), and the hooks the generic rules ask.

A round type is one module of ``server.core.rounds`` with one ``Round`` (its ``ROUND``), listed once
in the registry (``server/core/rounds/__init__.py``). The generic life of a question (show, open,
close, reveal, reset), the judges' and the audience's commands, the config reader, the views, the
simulator and the reports ask the round of the segment on air through the hooks below; nothing
outside a round's own module branches on its name. A hook's default is what a round without that
feature does (most often: refuse the command with the sentence the producer sees).

The hooks see the command's context (``server.core.context.Ctx``) and the config's segments by duck
type: the show's config is made of the rounds' settings, so the rounds cannot import it back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Protocol, TypeVar

from msgspec import Meta, Struct

from server.core import commands as c
from server.core import events as ev
from server.core.errors import RuleError
from server.core.state import Award, Board, QPhase, QuestionState, ShowState, Timer, tally
from server.core.words import Words, say

# A show's config (``server.core.config.ShowConfig``) and a bank question (``Question``), not imported (see above).
ShowConfig = Any
Question = Any

TIEBREAK_ID = "tiebreak"  # the segment of the sudden-death questions
ZERO = Decimal(0)


class Settings(Struct, frozen=True):
    """Base of a round's scoring settings (its module's one struct, tagged with the round's name)."""


S = TypeVar("S", bound=Settings)


class Slot(Protocol):
    """A question of a segment, as the rounds read it (``server.core.config.Slot``)."""

    @property
    def question(self) -> str: ...
    @property
    def team(self) -> str | None: ...


class Segment(Protocol):
    """A rundown segment, as the rounds read it (``server.core.config.Segment``)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def round(self) -> str: ...
    @property
    def scoring(self) -> Settings: ...
    @property
    def slots(self) -> Sequence[Slot]: ...
    @property
    def timer_ms(self) -> int | None: ...
    @property
    def questions(self) -> tuple[str, ...]: ...


class Ctx(Protocol):
    """A command in its context, as the rounds read it (``server.core.context.Ctx``)."""

    config: ShowConfig
    state: ShowState
    board: Board
    cmd: c.Command
    at: int

    def question(self) -> QuestionState: ...
    def question_config(self, qid: str) -> Question: ...
    def team(self, team_id: str) -> Any: ...
    def team_name(self, team_id: str) -> str: ...
    def check_points(self, value: Decimal, what: str) -> Decimal: ...
    def timer_stopped(self) -> ev.TimerChanged: ...
    def timer_started(self, duration_ms: int) -> ev.TimerChanged: ...
    def timer_resumed(self) -> ev.TimerChanged: ...


def settings_of(segment: Segment, kind: type[S]) -> S:
    """The segment's scoring settings, as the round that plays it knows them."""
    scoring = segment.scoring
    assert isinstance(scoring, kind), (segment.id, kind)
    return scoring


class Capabilities(Struct, frozen=True):
    """How a segment is played: what the pages offer, read from the view (``segment.capabilities``)."""

    questions: bool = False  # the segment plays questions
    buzz: bool = False  # teams buzz
    pad_answers: bool = False  # teams submit answers on their pads
    choices: bool = False  # multiple-choice answers on pads
    votes: bool = False  # phones vote
    judged: bool = False  # the judges' panel scores
    packages: bool = False  # teams choose packages
    star: bool = False  # star of hope
    steal: bool = False  # steals after a wrong answer
    turns: bool = False  # a team on turn
    speed: bool = False  # ranked by time
    keyword: bool = False  # a hidden keyword teams may buzz for


@dataclass(frozen=True)
class Read:
    """How the show file writes one setting; ``server.configs`` reads it (see ``read``).

    ``kind`` names a reader of the config reader: points, points_or_zero, share, seconds, bool, int,
    decimal, choice, rank_points, ident, str, items (a list of ``item`` structs with ids), settings (a
    nested struct, absent: the default), settings_or_bool (a nested struct, ``false``: None, ``true``: its
    defaults) and seconds_by (seconds keyed by one of the values of the setting ``within``, a ``noun``).
    """

    kind: str
    key: str | None = None  # the key in the file, when it is not the field's name
    lo: Any = None
    hi: Any = None
    what: str | None = None  # what the value is, in "expected ..." errors
    choices: tuple[str, ...] = ()
    item: type | None = None  # the struct of a list's items or of a nested mapping
    within: str | None = None  # seconds_by: the setting whose values key the mapping
    noun: str = ""  # items: what one item is called; seconds_by: what a key is called
    convert: Callable[[Any], Any] | None = None  # from the value read to the field's value
    default: Any = None  # the value read when the key is absent (then converted); None: the field's default
    when: tuple[str, dict[str, Read]] | None = None  # (setting, {its value: another read}): read otherwise then


def read(kind: str, **how: Any) -> Meta:
    """A field's ``Annotated`` metadata saying how the show file writes it."""
    return Meta(extra={"read": Read(kind, **how)})


def number(value: Decimal) -> int | float:
    """Points on the wire: an int when whole, else a float (2 decimals at most)."""
    return int(value) if value == value.to_integral_value() else float(value)


def tally_view(state: ShowState, key: str) -> dict[str, Any]:
    """One ballot box's votes per option and their total, as the views show them."""
    counts = tally(state, key)
    return {"counts": counts, "total": sum(counts.values())}


def timer_view(timer: Timer) -> dict[str, Any]:
    """A countdown as the views show it."""
    return {
        "duration_ms": timer.duration_ms,
        "remaining_ms": timer.remaining_ms,
        "started_at": timer.started_at,
        "running": timer.running,
    }


def multiple_choice(config: ShowConfig, segment: Segment) -> bool:
    """Whether any question of the segment is answered by choosing A-D."""
    return any(config.questions[q].multiple_choice for q in segment.questions if q in config.questions)


class Round:
    """A round type; a module subclasses it once and lists the instance in the registry."""

    name: ClassVar[str]  # as configs, views, events and logs write it
    settings: ClassVar[type[Settings]]  # its scoring settings
    needs_questions: ClassVar[bool] = True  # a segment of this round must list questions
    needs_teams: ClassVar[bool] = True  # False: a show of these rounds alone may have no teams (the phones play)
    hides_grades: ClassVar[bool] = False  # answers' grades stay secret outside the producer's view until the reveal
    # The overlays a revealed question of this round illustrates in a preview, and how well (lowest first).
    samples: ClassVar[dict[str, int]] = {}
    # Question phases in which the round takes a command beyond decide's phase table (a keyword buzz between
    # questions); its hooks refuse there what its rules don't allow.
    phases: ClassVar[dict[type, frozenset[QPhase]]] = {}

    def words(self) -> Words:
        """The round as a sentence names it: ``rule.round.<name>`` ("speed" / "tốc độ")."""
        return say(f"rule.round.{self.name}")

    # -- what the segment offers -------------------------------------------------------------

    def capabilities(self, config: ShowConfig, segment: Segment) -> Capabilities:
        return Capabilities(questions=True)

    # -- the config ----------------------------------------------------------------------------

    def check_settings(self, scoring: Any, judges: int) -> list[tuple[str | None, str]]:
        """Problems of the settings as (key or None for the whole mapping, message)."""
        return []

    def check_questions(self, scoring: Any, slots: tuple[Any, ...], questions: dict[str, Question]) -> list[str]:
        """Problems of the segment's questions, reported at the segment."""
        return []

    def decimals(self, segment: Segment) -> int | None:
        """Decimals the round's points need, if it gives fractions."""
        return None

    def criteria(self, segment: Segment) -> tuple[Any, ...]:
        """The judges' criteria (judged rounds)."""
        return ()

    # -- the question on air ----------------------------------------------------------------

    def playable(self, x: Ctx, segment: Segment) -> tuple[str, ...]:
        return segment.questions

    def next_question(self, x: Ctx, segment: Segment) -> str:
        for qid in segment.questions:
            if qid not in x.board.played:
                return qid
        raise RuleError("rule.all_played", title=segment.title)

    def turn_of(self, x: Ctx, segment: Segment, qid: str) -> str | None:
        """The team on turn for a question (None: no team is)."""
        return None

    def players(self, x: Ctx, segment: Segment) -> tuple[str, ...]:
        """The teams that play the next question shown (its ``eligible``)."""
        teams: tuple[str, ...] = x.config.team_ids
        return teams

    def value(self, segment: Segment, points: Decimal | None) -> Decimal:
        """What a question is worth: its own points, else the round's."""
        return points if points is not None else ZERO

    def answer_time(self, x: Ctx, segment: Segment) -> int | None:
        """How long answering stays open when the question has no time of its own."""
        return segment.timer_ms

    def open_answers(self, x: Ctx, segment: Segment) -> None:
        """Raise when the round takes no answers."""

    def on_reveal(self, x: Ctx, segment: Segment, question: QuestionState, cmd: c.RevealAnswer) -> list[ev.Event]:
        """What revealing the answer gives (points by speed, the audience's winners)."""
        return []

    def check_buzz(self, x: Ctx, segment: Segment, question: QuestionState) -> None:
        raise RuleError("rule.no_buzzer_in_round", round=self.words())

    def after_buzz(self, x: Ctx, segment: Segment, question: QuestionState, team: str) -> list[ev.Event]:
        """What follows a buzz the round took (none: the team has the floor, the clock stops)."""
        return []

    def submit_answer(
        self, x: Ctx, segment: Segment, question: QuestionState, team: Any, text: str, qconf: Question, elapsed: int
    ) -> list[ev.Event]:
        raise RuleError("rule.no_answers_in_round", round=self.words())

    def judge_answer(
        self, x: Ctx, segment: Segment, question: QuestionState, team: Any, correct: bool
    ) -> list[ev.Event]:
        raise RuleError("rule.nothing_to_judge_in_round", round=self.words())

    def place_star(self, x: Ctx, segment: Segment, question: QuestionState, team: Any) -> list[ev.Event]:
        raise RuleError("rule.no_star_in_round")

    def choose_package(self, x: Ctx, segment: Segment, team: Any, cmd: c.ChoosePackage) -> list[ev.Event]:
        raise RuleError("rule.packages_only")

    def package_choices(self, segment: Segment) -> Iterable[tuple[Decimal, ...]]:
        """Every package a team could ask for (none outside a packages round)."""
        return ()

    # -- the judges' panel and the audience ---------------------------------------------------

    def submit_scores(self, x: Ctx, segment: Segment, cmd: c.SubmitScores) -> list[ev.Event]:
        raise self._not_judged(segment)

    def lock_scores(self, x: Ctx, segment: Segment, cmd: c.LockScores | c.UnlockScores) -> list[ev.Event]:
        raise self._not_judged(segment)

    def reveal_scores(self, x: Ctx, segment: Segment, cmd: c.RevealScores) -> list[ev.Event]:
        raise self._not_judged(segment)

    def voting(self, x: Ctx, segment: Segment, cmd: c.OpenVoting | c.CloseVoting) -> list[ev.Event]:
        raise self._not_judged(segment)

    def _not_judged(self, segment: Segment) -> RuleError:
        return RuleError("rule.not_judged_round", title=segment.title)

    def open_poll(
        self, x: Ctx, segment: Segment, question: QuestionState | None
    ) -> tuple[str, tuple[str, ...], int | None, int | None] | None:
        """The ballot box taking votes now (key, options, opening and closing time), or None."""
        return None

    # -- the views -------------------------------------------------------------------------------

    def segment_view(self, config: ShowConfig, segment: Segment) -> dict[str, Any]:
        """What the round adds to the view of its segment."""
        return {}

    def board_view(self, config: ShowConfig, state: ShowState, segment: Segment, producer: bool) -> dict[str, Any]:
        """What the round adds to the view of its segment on air from the show so far (progress across questions)."""
        return {}

    def question_view(self, state: ShowState, question: QuestionState) -> dict[str, Any]:
        """What the round adds to the view of its question on air."""
        return {}

    def poll_view(self, config: ShowConfig, state: ShowState, segment: Segment) -> dict[str, Any] | None:
        """The audience's poll on the phones, if the round has one open or closed now."""
        return None

    def progress_view(
        self, config: ShowConfig, state: ShowState, segment: Segment, producer: bool
    ) -> dict[str, Any] | None:
        """The round's own progress for the view's ``judged`` (judged rounds), None for none."""
        return None

    # -- reports and the simulator --------------------------------------------------------------

    def summary(self, segment: Segment) -> str | None:
        """The segment in a config summary's line, if not its number of questions."""
        return None

    def clock_ms(self, config: ShowConfig, segment: Segment) -> int:
        """Time on the clock: the answer times of the questions."""
        return sum(config.questions[qid].time_ms or segment.timer_ms or 0 for qid in segment.questions)

    def simulate(self, sim: Any, segment: Segment) -> None:
        """Play the segment with seeded answers (``server.show.sim.Simulator``)."""
        raise NotImplementedError(self.name)


# -- what several rounds' rules share ------------------------------------------------------------


def award(x: Ctx, question: QuestionState, team: str, points: Decimal, kind: str) -> list[ev.Event]:
    if points == 0:
        return []
    return [ev.PointsAwarded(Award(x.state.seq + 1, team, points, kind, question.segment, question.id))]


def closed(x: Ctx) -> list[ev.Event]:
    return [ev.QuestionMoved(QPhase.CLOSED), x.timer_stopped()]


def record(x: Ctx, team: str, correct: bool) -> list[ev.Event]:
    """A team's answer graded: given on its pad, or only now by voice."""
    question = x.question()
    if team in question.answers:
        return [ev.AnswerGraded(team, correct)]
    elapsed = x.at - (question.opened_at or x.at)
    return [ev.AnswerSubmitted(team, "", x.at, elapsed, correct)]


def check_floor(x: Ctx, question: QuestionState, team: Any) -> None:
    """Only the team with the right to answer is judged, once."""
    answered = question.answers.get(team.id)
    if answered is not None and answered.correct is not None:
        raise RuleError("rule.already_judged", team=team.name)
    if question.floor != team.id:
        if question.floor:
            raise RuleError("rule.not_on_floor", team=team.name, holder=x.team_name(question.floor))
        raise RuleError("rule.nobody_on_floor", team=team.name)
