"""The quiz stage's book: who registered, every attempt, the judges' essay marks. One owner runs events
through ``run``, which checks each against the rules and applies it, or raises ``QuizError`` and
changes nothing; replaying the log through it rebuilds the same book. It is mutated in place (the
book of thousands of entrants is not copied per answer); only its owner touches it."""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal

from msgspec import Struct

from server.core.quiz import attempt as a
from server.core.quiz.attempt import Attempt, QuizError
from server.core.quiz.config import QuizConfig
from server.core.stage import StageBook, check_marks


class QuizEvent(Struct, frozen=True, tag=True):
    at: int  # the server's time, ms since the epoch


class Registered(QuizEvent, frozen=True):
    entrant: str
    name: str
    unit: str
    contact: str  # the identity (``attempt.identity``): one registration each


class Started(QuizEvent, frozen=True):
    entrant: str
    seed: int


class Answered(QuizEvent, frozen=True):
    entrant: str
    item: int
    shown: int | None


class EssayWritten(QuizEvent, frozen=True):
    entrant: str
    text: str


class Finished(QuizEvent, frozen=True):
    entrant: str


class Marked(QuizEvent, frozen=True):
    entrant: str
    judge: str
    marks: dict[str, Decimal]  # criterion -> points


Event = Registered | Started | Answered | EssayWritten | Finished | Marked


class Entrant(Struct, frozen=True, gc=False):
    id: str
    name: str
    unit: str
    contact: str
    registered: int


class Standing(Struct, frozen=True):
    rank: int
    entrant: str
    name: str
    unit: str
    correct: int
    used: int  # ms
    points: Decimal  # the multiple-choice part
    essay: Decimal | None  # the judges' mark (None: not marked yet, or no essay in this quiz)
    total: Decimal


def essay_code(secret: bytes, entrant: str) -> str:
    """The code a judge knows an essay by, on the marking page and on the printed sheets: the entrant's
    name and unit stay hidden (blind marking). ``secret`` is the quiz database's own key."""
    return hmac.new(secret, f"essay:{entrant}".encode(), hashlib.sha256).hexdigest()[:8].upper()


class QuizBook(StageBook):
    def __init__(self, config: QuizConfig) -> None:
        super().__init__()
        self.config = config
        self.entrants: dict[str, Entrant] = {}
        self.by_contact: dict[str, str] = {}
        self.attempts: dict[str, Attempt] = {}
        self.marks: dict[str, dict[str, dict[str, Decimal]]] = {}  # entrant -> judge -> criterion -> points

    def run(self, event: Event) -> None:
        """Check ``event`` against the rules and apply it, or raise ``QuizError``."""
        if isinstance(event, Registered):
            self._register(event)
        elif isinstance(event, Started):
            self._start(event)
        elif isinstance(event, Marked):
            self._mark(event)
        else:
            attempt = self.attempt(event.entrant)
            if isinstance(event, Answered):
                self.attempts[event.entrant] = a.answer(attempt, event.item, event.shown, event.at)
            elif isinstance(event, EssayWritten):
                self.attempts[event.entrant] = a.write_essay(self.config, attempt, event.text, event.at)
            else:
                self.attempts[event.entrant] = a.finish(attempt, event.at)
        self.version += 1

    def entrant(self, entrant: str) -> Entrant:
        found = self.entrants.get(entrant)
        if found is None:
            raise QuizError("quiz.no_such_entrant")
        return found

    def attempt(self, entrant: str) -> Attempt:
        self.entrant(entrant)
        found = self.attempts.get(entrant)
        if found is None:
            raise QuizError("quiz.not_started")
        return found

    def _register(self, event: Registered) -> None:
        if event.entrant in self.entrants:
            raise QuizError("quiz.entrant_taken")
        if event.contact in self.by_contact:
            raise QuizError("quiz.already_registered")
        if event.unit not in self.config.units:
            raise QuizError("quiz.no_such_unit", unit=event.unit)
        self.entrants[event.entrant] = Entrant(event.entrant, event.name, event.unit, event.contact, event.at)
        self.by_contact[event.contact] = event.entrant

    def _start(self, event: Started) -> None:
        self.entrant(event.entrant)
        if event.entrant in self.attempts:
            raise QuizError("quiz.already_started")
        self.attempts[event.entrant] = a.begin(
            self.config, event.entrant, event.at, event.seed, window=not self._replaying
        )

    def _mark(self, event: Marked) -> None:
        essay = self.config.essay
        if essay is None:
            raise QuizError("quiz.no_essay")
        if self.attempt(event.entrant).finished is None:
            raise QuizError("quiz.not_finished")
        check_marks(essay.criteria, event.marks, event.judge, (j.id for j in self.config.judges), QuizError)
        self.marks.setdefault(event.entrant, {})[event.judge] = dict(event.marks)

    # -- what it adds up to -------------------------------------------------------------------

    def expire(self, now: int) -> list[Finished]:
        """The events that end every open attempt whose deadline has passed at ``now``."""
        return [
            Finished(at=now, entrant=e) for e, t in self.attempts.items() if t.finished is None and t.deadline <= now
        ]

    def essays(self, secret: bytes) -> dict[str, str]:
        """Code -> entrant, for every handed-in attempt with an essay (``essay_code``), by code."""
        handed_in = (e for e, t in self.attempts.items() if not t.open and t.essay)
        return dict(sorted((essay_code(secret, e), e) for e in handed_in))

    def essay_mark(self, entrant: str) -> Decimal | None:
        judged = self.marks.get(entrant, {})
        return a.essay_mark(self.config, [sum(m.values(), Decimal(0)) for m in judged.values()])

    def standings(self) -> list[Standing]:
        """Every finished attempt ranked: total down, then time used up, then who registered first."""
        config = self.config
        weight = config.essay.weight if config.essay is not None else Decimal(0)
        rows = []
        for entrant_id, attempt in self.attempts.items():
            if attempt.finished is None:
                continue
            entrant = self.entrants[entrant_id]
            points = a.quiz_points(config, attempt)
            essay = self.essay_mark(entrant_id)
            total = points + weight * (essay or Decimal(0))
            rows.append((entrant, attempt, points, essay, total))
        rows.sort(key=lambda r: (-r[4], a.used(r[1]), r[0].registered, r[0].id))
        out: list[Standing] = []
        for n, (entrant, attempt, points, essay, total) in enumerate(rows):
            previous = out[-1] if out else None
            same = previous is not None and previous.total == total and previous.used == a.used(attempt)
            rank = previous.rank if same and previous else n + 1
            out.append(
                Standing(
                    rank,
                    entrant.id,
                    entrant.name,
                    entrant.unit,
                    a.correct(config, attempt),
                    a.used(attempt),
                    points,
                    essay,
                    total,
                )
            )
        return out

    def participation(self) -> list[dict[str, int | str]]:
        """Per unit, in the configured order: entrants registered, attempts started, attempts finished."""
        counts = {unit: [0, 0, 0] for unit in self.config.units}
        for entrant in self.entrants.values():
            counts[entrant.unit][0] += 1
        for entrant_id, attempt in self.attempts.items():
            row = counts[self.entrants[entrant_id].unit]
            row[1] += 1
            row[2] += attempt.finished is not None
        return [{"unit": u, "registered": r, "started": s, "finished": f} for u, (r, s, f) in counts.items()]
