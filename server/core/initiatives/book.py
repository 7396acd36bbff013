"""The initiatives stage's book: what was submitted and reviewed, the community's votes, the judges'
scores, and the ranking they make. One owner runs events through ``run`` (checked, then applied; or
``InitiativeError`` and nothing changes); replaying the log rebuilds it."""

from __future__ import annotations

from decimal import Decimal

from msgspec import Struct
from msgspec.structs import replace

from server.core.errors import ShowError
from server.core.initiatives.config import InitiativesConfig
from server.core.stage import StageBook, check_marks

HUNDRED = Decimal(100)


class InitiativeError(ShowError):
    """What a unit, a voter, a judge or the organizers may not do now; nothing changed."""

    code = "initiative"


class InitiativeEvent(Struct, frozen=True, tag=True):
    at: int


class Submitted(InitiativeEvent, frozen=True):
    initiative: str
    unit: str
    title: str
    summary: str
    contact: str  # who submitted it (a verified identity), for the organizers
    video: str = ""  # a link
    images: tuple[str, ...] = ()  # stored files' names
    document: str = ""  # a stored file's name


class Reviewed(InitiativeEvent, frozen=True):
    initiative: str
    approved: bool
    note: str = ""


class Voted(InitiativeEvent, frozen=True):
    initiative: str
    voter: str  # a verified identity


class Scored(InitiativeEvent, frozen=True):
    initiative: str
    judge: str
    marks: dict[str, Decimal]


Event = Submitted | Reviewed | Voted | Scored


class Initiative(Struct, frozen=True):
    id: str
    unit: str
    title: str
    summary: str
    contact: str
    video: str
    images: tuple[str, ...]
    document: str
    submitted: int
    status: str = "pending"  # pending, approved, rejected
    note: str = ""


class Ranked(Struct, frozen=True):
    rank: int
    initiative: str
    title: str
    unit: str
    votes: int
    vote_share: Decimal  # % of all votes
    community: Decimal  # 0-100, normalised to the most-voted
    judges: Decimal | None  # 0-100, the judges' mean total over the maximum (None: not scored yet)
    score: Decimal  # the weighted total, 0-100


class InitiativesBook(StageBook):
    def __init__(self, config: InitiativesConfig) -> None:
        super().__init__()
        self.config = config
        self.initiatives: dict[str, Initiative] = {}
        self.votes: dict[str, set[str]] = {}  # initiative -> voters
        self.marks: dict[str, dict[str, dict[str, Decimal]]] = {}  # initiative -> judge -> criterion -> points

    def run(self, event: Event) -> None:
        if isinstance(event, Submitted):
            self._submit(event)
        elif isinstance(event, Reviewed):
            found = self.initiative(event.initiative)
            status = "approved" if event.approved else "rejected"
            self.initiatives[found.id] = replace(found, status=status, note=event.note)
        elif isinstance(event, Voted):
            self._vote(event)
        else:
            self._score(event)
        self.version += 1

    def initiative(self, initiative: str) -> Initiative:
        found = self.initiatives.get(initiative)
        if found is None:
            raise InitiativeError("initiative.no_such", initiative=initiative[:40])
        return found

    def _submit(self, event: Submitted) -> None:
        if not self._replaying and not self.config.submissions.holds(event.at):
            raise InitiativeError("initiative.submissions_closed")
        if event.initiative in self.initiatives:
            raise InitiativeError("initiative.taken")
        if event.unit not in self.config.units:
            raise InitiativeError("initiative.no_such_unit", unit=event.unit[:80])
        self.initiatives[event.initiative] = Initiative(
            event.initiative, event.unit, event.title, event.summary, event.contact, event.video, event.images,
            event.document, event.at,
        )  # fmt: skip
        self.votes[event.initiative] = set()

    def _vote(self, event: Voted) -> None:
        found = self.initiative(event.initiative)
        if found.status != "approved":
            raise InitiativeError("initiative.not_approved")
        if not self._replaying and not self.config.voting.holds(event.at):
            raise InitiativeError("initiative.voting_closed")
        if event.voter in self.votes[found.id]:
            raise InitiativeError("initiative.already_voted")
        self.votes[found.id].add(event.voter)

    def _score(self, event: Scored) -> None:
        found = self.initiative(event.initiative)
        if found.status != "approved":
            raise InitiativeError("initiative.not_approved")
        judges = (j.id for j in self.config.judges)
        check_marks(self.config.criteria, event.marks, event.judge, judges, InitiativeError)
        self.marks.setdefault(found.id, {})[event.judge] = dict(event.marks)

    # -- the ranking --------------------------------------------------------------------------------

    def judges_score(self, initiative: str) -> Decimal | None:
        """The judges' mean total for ``initiative``, out of 100 (None: no judge yet)."""
        totals = [sum(m.values(), Decimal(0)) for m in self.marks.get(initiative, {}).values()]
        if not totals:
            return None
        return (sum(totals, Decimal(0)) / len(totals) / self.config.max_mark * HUNDRED).quantize(Decimal("0.01"))

    def ranking(self) -> list[Ranked]:
        """Every approved initiative, by the weighted score (judges' and community's); ties by the judges'
        score, then by who submitted first."""
        config = self.config
        approved = [i for i in self.initiatives.values() if i.status == "approved"]
        counts = {i.id: len(self.votes[i.id]) for i in approved}
        most = max(counts.values(), default=0)
        total = sum(counts.values())
        rows = []
        for i in approved:
            community = (Decimal(counts[i.id]) / most * HUNDRED).quantize(Decimal("0.01")) if most else Decimal(0)
            judged = self.judges_score(i.id)
            score = (config.judges_weight * (judged or 0) + config.community_weight * community).quantize(
                Decimal("0.01")
            )
            share = (Decimal(counts[i.id]) / total * HUNDRED).quantize(Decimal("0.1")) if total else Decimal(0)
            rows.append((i, counts[i.id], share, community, judged, score))
        rows.sort(key=lambda r: (-r[5], -(r[4] or 0), r[0].submitted, r[0].id))
        out: list[Ranked] = []
        for n, (i, votes, share, community, judged, score) in enumerate(rows):
            previous = out[-1] if out else None
            rank = previous.rank if previous and previous.score == score and previous.judges == judged else n + 1
            out.append(Ranked(rank, i.id, i.title, i.unit, votes, share, community, judged, score))
        return out
