"""What a board's awards add up to besides the scores, folded once per award.

The views and the rules ask the same sums at every command: each team's answer time and speed points
(the standings), each judged segment's results, which questions have given points. Scanning every award
for them made each command cost more the longer the show ran (3,000 awards: a third of a millisecond
more before the overlays' frame). ``totals`` folds only the awards a tuple holds beyond one it has
already folded.

That is sound because an award tuple only ever grows by one appended award (``apply``), and undo, redo
and snapshots bring back tuples built that way: two tuples holding the very same award object at the
same position hold the same awards before it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from decimal import Decimal

from server.core.state import Award

KEEP = 64  # tuples remembered: the live board's, its undo history's and a few more


class Totals:
    """Read-only once returned: the same object answers every caller of the same awards."""

    __slots__ = ("answer_ms", "given", "judged", "speed")

    def __init__(self) -> None:
        self.answer_ms: dict[str, int] = {}  # team -> time of its timed answers that won points
        self.speed: dict[str, Decimal] = {}  # team -> points won in speed rounds
        self.judged: dict[str, dict[str, Decimal]] = {}  # segment -> team -> its judged result (the last award)
        self.given: set[tuple[str | None, str | None]] = set()  # (segment, question) of every award

    def _copy(self) -> Totals:
        out = Totals()
        out.answer_ms, out.speed, out.given = dict(self.answer_ms), dict(self.speed), set(self.given)
        out.judged = {segment: dict(results) for segment, results in self.judged.items()}
        return out

    def _add(self, award: Award) -> None:
        team = award.team
        if award.elapsed_ms is not None and award.points > 0:
            self.answer_ms[team] = self.answer_ms.get(team, 0) + award.elapsed_ms
        if award.kind == "speed":
            self.speed[team] = self.speed.get(team, Decimal(0)) + award.points
        elif award.kind == "judged" and award.segment is not None:
            self.judged.setdefault(award.segment, {})[team] = award.points
        self.given.add((award.segment, award.question))


_folded: OrderedDict[int, tuple[tuple[Award, ...], Totals]] = OrderedDict()  # id -> (tuple, its totals)
_lock = threading.Lock()


def totals(awards: tuple[Award, ...]) -> Totals:
    """The totals of ``awards``, folded on from those of a tuple already folded that it extends."""
    with _lock:
        hit = _folded.get(id(awards))
        if hit is not None and hit[0] is awards:
            _folded.move_to_end(id(awards))
            return hit[1]
        base, start = None, 0
        for known, known_totals in reversed(_folded.values()):  # the newest first: most often the board before
            n = len(known)
            if 0 < n <= len(awards) and awards[n - 1] is known[-1]:
                base, start = known_totals, n
                break
        out = base._copy() if base is not None else Totals()
        for award in awards[start:]:
            out._add(award)
        _folded[id(awards)] = (awards, out)  # held, so its id is not reused while remembered
        if len(_folded) > KEEP:
            _folded.popitem(last=False)
        return out
