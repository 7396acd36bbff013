"""The initiatives stage's rules: submissions and reviews, one vote per identity per initiative, the
judges' scores, and a ranking of 70 % judges and 30 % community normalised to the most-voted."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from server.configs import ConfigError
from server.configs.initiatives import load_initiatives
from server.core.initiatives.book import InitiativeError, InitiativesBook, Reviewed, Scored, Submitted, Voted
from server.core.initiatives.config import InitiativesConfig
from tests.online.conftest import ROOT

FILE = ROOT / "show_configs" / "ung-hoa-2025.initiatives.yaml"


@pytest.fixture(scope="module")
def stage() -> InitiativesConfig:
    return load_initiatives(FILE)


def _book(stage: InitiativesConfig, count: int = 3) -> InitiativesBook:
    book = InitiativesBook(stage)
    at = stage.submissions.opens + 1000
    for n in range(count):
        book.run(Submitted(at=at + n, initiative=f"i{n + 1}", unit=stage.units[n], title=f"Mô hình {n + 1}",
                           summary="…", contact=f"09000000{n:02d}"))  # fmt: skip
        book.run(Reviewed(at=at + 100, initiative=f"i{n + 1}", approved=True))
    return book


def _marks(impact: int, novelty: int, scale: int) -> dict[str, Decimal]:
    return {"impact": Decimal(impact), "novelty": Decimal(novelty), "scale": Decimal(scale)}


def test_the_ung_hoa_file_reads(stage) -> None:
    assert stage.id == "uh2025-models" and stage.max_mark == 100 and stage.finalists == 5
    assert (stage.judges_weight, stage.community_weight) == (Decimal("0.7"), Decimal("0.3"))
    assert stage.submissions.closes < stage.voting.opens


def test_a_weighting_that_does_not_add_up_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.initiatives.yaml"
    bad.write_text(FILE.read_text(encoding="utf-8").replace("community: 0.3", "community: 0.4"), encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r":15: weights: expected the judges' and the community's weights to add up to 1"
    ):
        load_initiatives(bad)


def test_submissions_and_votes_keep_to_their_windows_and_their_rules(stage) -> None:
    book = _book(stage, 1)
    late = stage.submissions.closes
    with pytest.raises(InitiativeError, match="closed"):
        book.run(Submitted(at=late, initiative="i9", unit=stage.units[0], title="x", summary="x", contact="0900000099"))
    book.run(Submitted(at=late - 1, initiative="i2", unit=stage.units[1], title="y", summary="y", contact="0900000098"))
    vote = stage.voting.opens
    with pytest.raises(InitiativeError, match="not approved"):
        book.run(Voted(at=vote, initiative="i2", voter="0911111111"))  # pending review
    with pytest.raises(InitiativeError, match="Voting is not open"):
        book.run(Voted(at=vote - 1, initiative="i1", voter="0911111111"))
    book.run(Voted(at=vote, initiative="i1", voter="0911111111"))
    with pytest.raises(InitiativeError, match="already voted"):
        book.run(Voted(at=vote + 5, initiative="i1", voter="0911111111"))
    book.run(Reviewed(at=vote, initiative="i2", approved=False, note="Trùng nội dung"))
    with pytest.raises(InitiativeError, match="not approved"):
        book.run(Voted(at=vote + 6, initiative="i2", voter="0911111111"))
    assert len(book.votes["i1"]) == 1 and book.initiatives["i2"].status == "rejected"


def test_the_ranking_weighs_the_judges_and_the_community_normalised_to_the_most_voted(stage) -> None:
    book = _book(stage)
    vote = stage.voting.opens
    for n in range(10):
        book.run(Voted(at=vote, initiative="i1", voter=f"091000{n:04d}"))
    for n in range(5):
        book.run(Voted(at=vote, initiative="i2", voter=f"091000{n:04d}"))  # the same people may back several
    book.run(Scored(at=vote, initiative="i1", judge="gk-1", marks=_marks(20, 15, 15)))  # 50
    book.run(Scored(at=vote, initiative="i2", judge="gk-1", marks=_marks(40, 30, 20)))  # 90
    book.run(Scored(at=vote, initiative="i2", judge="gk-2", marks=_marks(35, 25, 20)))  # 80 -> mean 85
    with pytest.raises(InitiativeError, match="from 0 to 30"):
        book.run(Scored(at=vote, initiative="i3", judge="gk-1", marks=_marks(10, 31, 10)))
    table = book.ranking()
    # i2: 0.7 x 85 + 0.3 x 50 = 74.5; i1: 0.7 x 50 + 0.3 x 100 = 65; i3: nothing yet
    assert [(r.rank, r.initiative, r.score, r.votes, r.vote_share) for r in table] == [
        (1, "i2", Decimal("74.50"), 5, Decimal("33.3")),
        (2, "i1", Decimal("65.00"), 10, Decimal("66.7")),
        (3, "i3", Decimal("0.00"), 0, Decimal("0.0")),
    ]
    assert table[2].judges is None


def test_replaying_the_log_rebuilds_the_book_whatever_the_windows_say_now(stage) -> None:
    book = _book(stage)
    book.run(Voted(at=stage.voting.opens, initiative="i1", voter="0911111111"))
    events = [
        Submitted(
            at=stage.submissions.opens + 1, initiative="i1", unit=stage.units[0], title="t", summary="s", contact="c"
        ),
        Reviewed(at=stage.submissions.opens + 2, initiative="i1", approved=True),
        Voted(at=stage.voting.opens, initiative="i1", voter="0911111111"),
    ]
    again = InitiativesBook(stage)
    again.replay(events)
    assert again.votes["i1"] == {"0911111111"} and again.initiatives["i1"].status == "approved"
