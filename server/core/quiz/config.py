"""The typed online quiz configuration: its window, its bank of questions, its essay and its scoring.

Parsed and validated from YAML by ``server.configs.quiz``; everything here is plain data. Times are
in milliseconds since the epoch (the window) or milliseconds (durations); points are ``Decimal``.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from msgspec import Struct

from server.core.config import Judge, Theme


class Method(StrEnum):
    """How an attempt's quiz points are counted."""

    ACCURACY_THEN_TIME = "accuracy_then_time"  # points per correct answer; ties by completion time
    WEIGHTED = "weighted"  # a weighting of accuracy and of the time left, out of 100


class Combine(StrEnum):
    """How the judges' essay marks make one."""

    MEAN = "mean"
    MEDIAN = "median"
    TRIMMED_MEAN = "trimmed_mean"  # the highest and the lowest left out (three judges or more)


class BankQuestion(Struct, frozen=True):
    """A multiple-choice question; ``answer`` is the index of the right one of ``choices``."""

    id: str
    text: str
    choices: tuple[str, ...]
    answer: int


class Criterion(Struct, frozen=True):
    """One thing an essay is marked on, out of ``max`` points."""

    id: str
    title: str
    max: Decimal


class Essay(Struct, frozen=True):
    prompt: str
    criteria: tuple[Criterion, ...]
    max_chars: int = 5000
    weight: Decimal = Decimal(1)  # the essay's mark counts this many times in the total
    combine: Combine = Combine.MEAN

    @property
    def max_mark(self) -> Decimal:
        return sum((c.max for c in self.criteria), Decimal(0))


class Scoring(Struct, frozen=True):
    method: Method = Method.ACCURACY_THEN_TIME
    per_correct: Decimal = Decimal(1)  # accuracy_then_time: points per correct answer
    accuracy_weight: Decimal = Decimal("0.8")  # weighted: the share of the 100 points for accuracy
    time_weight: Decimal = Decimal("0.2")  # weighted: the share for the time left


class QuizConfig(Struct, frozen=True):
    id: str
    title: str
    opens: int  # when attempts may start (ms since the epoch)
    closes: int  # when the last attempt may start; one still running keeps its own time
    duration: int  # an attempt's time, ms
    draw: int  # questions on each entrant's paper
    bank: tuple[BankQuestion, ...]
    units: tuple[str, ...]  # the units and communes an entrant registers for
    organizer: str = ""
    language: str = "vi"
    theme: Theme = Theme()
    essay: Essay | None = None
    judges: tuple[Judge, ...] = ()
    scoring: Scoring = Scoring()
