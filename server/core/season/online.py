"""An online stage's ranking of units, as the season takes it: from the initiatives stage's ranking,
or from the online quiz's, by participation (entrants who handed in) or by each unit's best entrant."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from server.core.initiatives.book import InitiativesBook
from server.core.quiz.book import QuizBook, Standing
from server.core.season.events import Placed


def initiatives_ranking(book: InitiativesBook) -> tuple[Placed, ...]:
    """Every approved initiative by its weighted score (a unit may be there more than once)."""
    return tuple(Placed(r.rank, r.unit, r.title, r.score) for r in book.ranking())


def quiz_ranking(book: QuizBook, rank: str) -> tuple[Placed, ...]:
    """``participation``: units by the entrants who handed in (none: not ranked); ``score``: units by
    their best entrant's total, ties as the quiz breaks them (the time used)."""
    if rank == "participation":
        rows = [(Decimal(p["finished"]), str(p["unit"]), "") for p in book.participation() if p["finished"]]
        rows.sort(key=lambda r: -r[0])
        return _places((-points, unit, title, points) for points, unit, title in rows)
    best: dict[str, Standing] = {}
    for s in book.standings():
        best.setdefault(s.unit, s)
    return _places((s.rank, s.unit, s.name, s.total) for s in best.values())


def _places(rows: Iterable[tuple[object, str, str, Decimal]]) -> tuple[Placed, ...]:
    """Rows already best first, each with a key: equal keys share a place."""
    out: list[Placed] = []
    last: object = None
    for n, (key, unit, title, points) in enumerate(rows, 1):
        place = out[-1].place if out and key == last else n
        out.append(Placed(place, unit, title, points))
        last = key
    return tuple(out)
