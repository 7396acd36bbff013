"""The typed initiatives-stage configuration, parsed by ``server.configs.initiatives``. Times are ms since
the epoch; points and weights are ``Decimal``."""

from __future__ import annotations

from decimal import Decimal

from msgspec import Struct

from server.core.config import Judge, Theme
from server.core.quiz.config import Criterion


class Window(Struct, frozen=True):
    opens: int
    closes: int

    def holds(self, at: int) -> bool:
        return self.opens <= at < self.closes


class InitiativesConfig(Struct, frozen=True):
    id: str
    title: str
    submissions: Window  # when units may submit
    voting: Window  # when the community may vote
    units: tuple[str, ...]  # who may submit: agencies, communes, schools
    criteria: tuple[Criterion, ...]  # what the judges score
    judges: tuple[Judge, ...]
    judges_weight: Decimal = Decimal("0.7")  # the ranking: judges' share …
    community_weight: Decimal = Decimal("0.3")  # … and the community's, normalised to the most-voted
    finalists: int = 5  # the best this many go on to the staged final
    organizer: str = ""
    language: str = "vi"
    theme: Theme = Theme()

    @property
    def max_mark(self) -> Decimal:
        return sum((c.max for c in self.criteria), Decimal(0))
