"""What the online stages' books share (the quiz's, the initiatives'): events run one at a time, a log
replayed without asking its windows again, and judges' marks checked against the criteria."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from server.core.errors import ShowError
from server.core.quiz.config import Criterion


class StageBook:
    """A stage's book; a subclass's ``run`` checks one event and applies it, or raises and changes nothing."""

    def __init__(self) -> None:
        self.version = 0  # bumped by every event run
        self._replaying = False

    def run(self, event: Any) -> None:
        raise NotImplementedError

    def replay(self, events: Iterable[Any]) -> None:
        """Events read back from the log: the windows they came in are not asked again (a rehearsal, or
        organizers who moved a window since); every other rule is."""
        self._replaying = True
        try:
            for event in events:
                self.run(event)
        finally:
            self._replaying = False


def check_marks(
    criteria: Sequence[Criterion],
    marks: Mapping[str, Decimal],
    judge: str,
    judges: Iterable[str],
    error: type[ShowError],
) -> None:
    """A judge's marks: from one of ``judges``, one for each criterion, each from 0 to its maximum."""
    if judge not in judges:
        raise error("quiz.no_such_judge", judge=judge)
    by_id = {c.id: c for c in criteria}
    if set(marks) != set(by_id):
        raise error("quiz.marks_criteria", criteria=", ".join(by_id))
    for cid, points in marks.items():
        if not Decimal(0) <= points <= by_id[cid].max:
            raise error("quiz.mark_out_of_range", criterion=by_id[cid].title, max=str(by_id[cid].max))
