"""What ``decide`` looks at: the config, the state and the command, with helpers to read them."""

from __future__ import annotations

from decimal import Decimal

from server.core.commands import Command
from server.core.config import Question, Segment, ShowConfig, Team
from server.core.errors import Forbidden, InvalidCommand, NotFound, RuleError, quote
from server.core.events import TimerChanged
from server.core.rounds import SUDDEN_DEATH, RoundType, round_of
from server.core.rounds.base import TIEBREAK_ID, Round
from server.core.state import Board, QuestionState, ShowState, Timer

__all__ = ["TIEBREAK_ID", "Ctx", "check_points", "tiebreak_segment"]


class Ctx:
    def __init__(self, config: ShowConfig, state: ShowState, command: Command) -> None:
        self.config = config
        self.state = state
        self.board: Board = state.board
        self.cmd = command
        self.at = command.at

    # -- lookups ------------------------------------------------------------------------

    def segment(self) -> Segment:
        """The segment on air; raises when the show is not in one."""
        index = self.board.segment
        if 0 <= index < len(self.config.rundown):
            return self.config.rundown[index]
        if index == len(self.config.rundown) and self.board.tiebreak_teams:
            return tiebreak_segment(self.config)
        raise RuleError("rule.no_segment_yet")

    def round(self) -> Round:
        """The round of the segment on air; raises when the show is not in one."""
        return round_of(self.segment())

    def question(self) -> QuestionState:
        if self.board.question is None:
            raise RuleError("rule.no_question_on_screen")
        return self.board.question

    def question_config(self, qid: str) -> Question:
        question = self.config.questions.get(qid)
        if question is None:
            raise NotFound("rule.no_question", question=quote(qid))
        return question

    def team(self, team_id: str) -> Team:
        team = self.config.team(team_id)
        if team is None:
            raise NotFound("rule.no_team", team=quote(team_id))
        return team

    def team_name(self, team_id: str) -> str:
        team = self.config.team(team_id)
        return team.name if team else team_id

    def as_team(self, team_id: str) -> Team:
        """The team a team command is for, checked against who sent it."""
        team = self.team(team_id)
        by = self.cmd.by
        if by.role == "team" and by.id != team_id:
            owner = self.team_name(by.id)
            raise Forbidden("rule.not_your_pad", owner=owner, team=team.name)
        if by.role not in ("team", "producer"):
            raise Forbidden("rule.team_or_producer_only")
        return team

    def check_points(self, value: Decimal, what: str) -> Decimal:
        """``value`` as points a command may give (the rounds check theirs with it)."""
        return check_points(value, what)

    def require_producer(self) -> None:
        if self.cmd.by.role not in ("producer", "system"):
            raise Forbidden("rule.producer_only")

    # -- time ---------------------------------------------------------------------------

    def timer_stopped(self) -> TimerChanged:
        timer = self.board.timer
        return TimerChanged(Timer(timer.duration_ms, timer.remaining(self.at), None))

    def timer_started(self, duration_ms: int) -> TimerChanged:
        return TimerChanged(Timer(duration_ms, duration_ms, self.at))

    def timer_resumed(self) -> TimerChanged:
        timer = self.board.timer
        return TimerChanged(Timer(timer.duration_ms, timer.remaining(self.at), self.at))

    def time_is_up(self, at: int | None = None) -> bool:
        return self.board.timer.expired(self.at if at is None else at)


def tiebreak_segment(config: ShowConfig) -> Segment:
    """The sudden-death questions, played as a round of ``SUDDEN_DEATH`` for no points."""
    from server.core.config import Look, Slot

    title = "Câu hỏi phụ" if config.contest.language == "vi" else "Tie-break"
    look = Look(TIEBREAK_ID, title, ("scoreboard", "question", "timer", "buzzer"))  # the picture of a round of buzzes
    return Segment(
        id=TIEBREAK_ID,
        title=title,
        round=RoundType(SUDDEN_DEATH.name),
        scoring=SUDDEN_DEATH.sudden_death(),
        slots=tuple(Slot(q) for q in config.tiebreak.questions),
        timer_ms=config.tiebreak.timer_ms,
        overlays=look.overlays,
        looks=(look,),
    )


def check_points(value: Decimal, what: str) -> Decimal:
    if not value.is_finite() or abs(value) > 10000 or value != value.quantize(Decimal("0.01")):
        raise InvalidCommand("rule.bad_points", what=what, value=value)
    return value
