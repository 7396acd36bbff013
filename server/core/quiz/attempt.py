"""One entrant's attempt: the paper drawn for them, their answers as they go, their essay, and when it
ended. Every function returns a new ``Attempt`` or raises ``QuizError`` (and nothing changes); the
time ``at`` is always the server's."""

from __future__ import annotations

import random
import re
from decimal import Decimal

from msgspec import Struct, structs

from server.core.errors import ShowError
from server.core.quiz.config import Combine, Method, QuizConfig


class QuizError(ShowError):
    """What an entrant (or a judge) may not do now; nothing changed."""

    code = "quiz"


# Items and attempts hold only numbers, text and tuples of them: they can never be in a reference cycle,
# so the garbage collector need not track them (thousands of entrants' papers, re-scanned otherwise).
class Item(Struct, frozen=True, array_like=True, gc=False):
    """A question on a paper: its index in the bank, and its choices' order as shown (``order[k]`` is
    the bank's index of the choice shown k-th)."""

    question: int
    order: tuple[int, ...]


class Attempt(Struct, frozen=True, gc=False):
    entrant: str
    started: int
    deadline: int
    paper: tuple[Item, ...]
    answers: tuple[int | None, ...]  # per item: the bank's index of the choice taken
    essay: str = ""
    finished: int | None = None  # when it ended: submitted, or its deadline
    timed_out: bool = False  # ended by the clock, not by the entrant

    @property
    def open(self) -> bool:
        return self.finished is None


def draw(config: QuizConfig, seed: int) -> tuple[Item, ...]:
    """A paper: ``config.draw`` questions of the bank in a shuffled order, each one's choices shuffled."""
    rng = random.Random(seed)
    picks = rng.sample(range(len(config.bank)), config.draw)
    return tuple(
        Item(q, tuple(rng.sample(range(len(config.bank[q].choices)), len(config.bank[q].choices)))) for q in picks
    )


def begin(config: QuizConfig, entrant: str, at: int, seed: int, window: bool = True) -> Attempt:
    """An attempt started at ``at`` (inside the quiz's window, unless ``window`` is False: a start read
    back from the log stands even if the window has moved since), its paper drawn with ``seed``."""
    if window and at < config.opens:
        raise QuizError("quiz.not_open_yet")
    if window and at >= config.closes:
        raise QuizError("quiz.closed")
    paper = draw(config, seed)
    return Attempt(entrant, at, at + config.duration, paper, (None,) * len(paper))


def _running(attempt: Attempt, at: int) -> None:
    if attempt.finished is not None:
        raise QuizError("quiz.already_submitted")
    if at >= attempt.deadline:
        raise QuizError("quiz.time_up")


def answer(attempt: Attempt, item: int, shown: int | None, at: int) -> Attempt:
    """The choice shown ``shown``-th on question ``item`` (from 0) taken; ``None`` clears it."""
    _running(attempt, at)
    if not 0 <= item < len(attempt.paper):
        raise QuizError("quiz.no_such_question", item=item + 1, count=len(attempt.paper))
    order = attempt.paper[item].order
    if shown is not None and not 0 <= shown < len(order):
        raise QuizError("quiz.no_such_choice", choice=shown + 1, count=len(order))
    answers = list(attempt.answers)
    answers[item] = None if shown is None else order[shown]
    return structs.replace(attempt, answers=tuple(answers))


def write_essay(config: QuizConfig, attempt: Attempt, text: str, at: int) -> Attempt:
    """The essay as it stands now (saved as the entrant writes)."""
    _running(attempt, at)
    if config.essay is None:
        raise QuizError("quiz.no_essay")
    text = text.strip()
    if len(text) > config.essay.max_chars:
        raise QuizError("quiz.essay_too_long", chars=len(text), max_chars=config.essay.max_chars)
    return structs.replace(attempt, essay=text)


def finish(attempt: Attempt, at: int) -> Attempt:
    """The attempt handed in at ``at``, or ended by its deadline if that came first."""
    if attempt.finished is not None:
        raise QuizError("quiz.already_submitted")
    timed_out = at >= attempt.deadline
    return structs.replace(attempt, finished=min(at, attempt.deadline), timed_out=timed_out)


def shown_answers(attempt: Attempt) -> list[int | None]:
    """Per item, the position of the taken choice as the entrant saw it (for a page resuming)."""
    return [None if a is None else item.order.index(a) for item, a in zip(attempt.paper, attempt.answers, strict=True)]


# -- scores --------------------------------------------------------------------------------------


def correct(config: QuizConfig, attempt: Attempt) -> int:
    return sum(
        1 for item, a in zip(attempt.paper, attempt.answers, strict=True) if a == config.bank[item.question].answer
    )


def used(attempt: Attempt) -> int:
    """The attempt's time, ms (to its end, or so far as of its deadline if it has not ended)."""
    return (attempt.finished if attempt.finished is not None else attempt.deadline) - attempt.started


def quiz_points(config: QuizConfig, attempt: Attempt) -> Decimal:
    """The multiple-choice part's points (``Scoring``)."""
    scoring = config.scoring
    right = correct(config, attempt)
    if scoring.method is Method.ACCURACY_THEN_TIME:
        return scoring.per_correct * right
    accuracy = Decimal(right) / len(attempt.paper)
    left = Decimal(max(0, config.duration - used(attempt))) / config.duration
    return ((scoring.accuracy_weight * accuracy + scoring.time_weight * left) * 100).quantize(Decimal("0.01"))


def essay_mark(config: QuizConfig, marks: list[Decimal]) -> Decimal | None:
    """One mark of the judges' totals for an essay, by the configured rule (None: no judge yet)."""
    if config.essay is None or not marks:
        return None
    ordered = sorted(marks)
    rule = config.essay.combine
    if rule is Combine.MEDIAN:
        mid = len(ordered) // 2
        value = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    else:
        if rule is Combine.TRIMMED_MEAN and len(ordered) >= 3:
            ordered = ordered[1:-1]
        value = sum(ordered, Decimal(0)) / len(ordered)
    return value.quantize(Decimal("0.01"))


# -- who an entrant is ---------------------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def identity(contact: str) -> str | None:
    """The one identity a phone number or an email stands for (``0912345678``, ``a@b.vn``), or None if
    it is neither: one attempt per identity however it is written (+84 or 0, spaces, dots, capitals)."""
    text = contact.strip()
    if "@" in text:
        text = text.lower()
        return text if len(text) <= 254 and _EMAIL.match(text) else None
    digits = re.sub(r"[\s.\-()]", "", text)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if re.fullmatch(r"0\d{9}", digits) else None
