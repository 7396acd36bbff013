"""A season whose first stages are played online (Ứng Hòa 2025): the quiz's and the initiatives' rankings
taken from their servers' databases into the season, and the final's line-up the ranking's top five."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from server.cli import main
from server.configs.initiatives import load_initiatives
from server.configs.parse import ConfigError
from server.configs.quiz import load_quiz
from server.core.errors import NotFound, RuleError
from server.core.initiatives.book import Reviewed, Scored, Submitted, Voted
from server.core.quiz.book import Finished, Registered, Started
from server.core.season.rules import propose
from server.log.store import EventLog
from server.online.initiatives_service import initiatives_log
from server.online.quiz_service import quiz_log
from server.season.book import SeasonBook
from server.season.parse import load_season
from server.season.sim import play_season

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "show_configs"
UNG_HOA = CONFIGS / "ung-hoa-2025.season.yaml"
T0 = 1_760_000_000_000

# unit, initiative title, judges' marks (impact/40, novelty/30, scale/30), votes
ENTRIES = [
    ("Xã Hòa Xá", "Tổ công nghệ số cộng đồng", (36, 27, 28), 40),
    ("Thị trấn Vân Đình", "Chợ 4.0", (34, 25, 26), 55),
    ("Xã Hòa Xá", "Camera an ninh thôn xóm", (35, 26, 27), 10),  # the same unit again: it goes on once
    ("Xã Phương Tú", "Nông sản lên sàn", (33, 24, 25), 30),
    ("Trung tâm Y tế huyện", "Sổ sức khỏe điện tử", (32, 24, 24), 20),
    ("Trường học", "Lớp học số", (30, 22, 23), 35),
    ("Xã Cao Thành", "Thôn thông minh", (25, 18, 18), 5),
]


def write_initiatives(db: Path, entries=ENTRIES) -> None:
    """The initiatives stage's log as its server would have written it: submitted, approved, voted, scored."""
    events: list = []
    for n, (unit, title, marks, votes) in enumerate(entries, 1):
        item = f"m{n:03d}"
        events += [
            Submitted(at=T0 + n, initiative=item, unit=unit, title=title, summary="…", contact=f"09{n:08d}"),
            Reviewed(at=T0 + 100 + n, initiative=item, approved=True),
        ]
        events += [Voted(at=T0 + 1000 + v, initiative=item, voter=f"{item}-{v}") for v in range(votes)]
        for judge in ("gk-1", "gk-2", "gk-3"):
            scores = dict(zip(("impact", "novelty", "scale"), map(Decimal, marks), strict=True))
            events.append(Scored(at=T0 + 5000 + n, initiative=item, judge=judge, marks=scores))
    log = initiatives_log(db)
    try:
        log.append(load_initiatives(CONFIGS / "ung-hoa-2025.initiatives.yaml").id, 1, events)
    finally:
        log.close()


def write_quiz(db: Path) -> None:
    """Four entrants handed in: three of Xã Hòa Lâm, one of Xã Đông Lỗ; one of Xã Viên An only registered."""
    events: list = []
    for n, unit in enumerate(["Xã Hòa Lâm", "Xã Đông Lỗ", "Xã Hòa Lâm", "Xã Hòa Lâm", "Xã Viên An"], 1):
        entrant = f"e{n}"
        events.append(Registered(at=T0 + n, entrant=entrant, name=f"Người {n}", unit=unit, contact=f"09{n:08d}"))
        if unit != "Xã Viên An":
            events += [Started(at=T0 + 10 + n, entrant=entrant, seed=n), Finished(at=T0 + 20 + n, entrant=entrant)]
    log = quiz_log(db)
    try:
        log.append(load_quiz(CONFIGS / "ung-hoa-2025.quiz.yaml").id, 1, events)
    finally:
        log.close()


@pytest.fixture
def book(tmp_path: Path):
    log = EventLog(tmp_path / "season.db")
    yield SeasonBook.open(UNG_HOA, log)
    log.close()


def test_the_shipped_season_chains_the_online_stages_into_the_final() -> None:
    season = load_season(UNG_HOA)
    assert [(s.id, s.kind, s.rank) for s in season.online] == [
        ("thi-truc-tuyen", "quiz", "participation"),
        ("mo-hinh", "initiatives", "ranking"),
    ]
    assert Path(season.online[1].db) == CONFIGS / "ung-hoa-2025.initiatives.db"
    (final,) = season.stages
    assert final.entrants[0].stage == "mo-hinh" and final.entrants[0].top == 5 and final.size == 5
    assert {t.unit for t in season.teams} >= set(season.online[1].units)


def test_the_final_waits_for_the_ranking_then_takes_its_top_five_units(book: SeasonBook, tmp_path: Path) -> None:
    assert propose(book.season, book.state, "chung-ket").rankings == ("mo-hinh",)
    with pytest.raises(RuleError, match="waiting for the ranking of Mô hình, sáng kiến"):
        book.confirm("chung-ket")
    with pytest.raises(NotFound, match="no database at"):
        book.rank("mo-hinh", db=tmp_path / "nowhere.db")
    write_initiatives(tmp_path / "models.db")
    event = book.rank("mo-hinh", db=tmp_path / "models.db")
    assert event is not None
    assert [(r.place, r.unit, r.points) for r in event.rows][:2] == [
        (1, "Thị trấn Vân Đình", Decimal("89.50")),  # judges 85.00 x 0.7 + votes 100 x 0.3
        (2, "Xã Hòa Xá", Decimal("85.52")),
    ]
    assert book.rank("mo-hinh", db=tmp_path / "models.db") is None  # the same ranking: nothing new
    proposal = propose(book.season, book.state, "chung-ket")
    # Hòa Xá's second initiative, fifth, does not take a second place: Y tế, sixth, goes on.
    assert [r.unit for r in event.rows][4:6] == ["Xã Hòa Xá", "Trung tâm Y tế huyện"]
    assert proposal.lineups == (("van-dinh", "hoa-xa", "phuong-tu", "truong-hoc", "y-te"),)
    book.confirm("chung-ket")
    config = book.show_config("chung-ket", 0)
    assert [t.name for t in config.teams] == [
        "Thị trấn Vân Đình", "Xã Hòa Xá", "Xã Phương Tú", "Trường học", "Trung tâm Y tế huyện",
    ]  # fmt: skip
    view = book.view()
    card = view["bracket"][1]
    assert card["online"] and card["shows"][0]["status"] == "ranked"
    assert [t["result"] for t in card["shows"][0]["teams"]] == ["advances"] * 5
    assert card["shows"][0]["teams"][0]["title"] == "Chợ 4.0"
    assert card["shows"][0]["decimals"] == 2  # scores to the hundredth (89.50)
    assert view["bracket"][0]["shows"][0]["status"] == "open"  # the quiz's ranking was not taken
    status = {row["team"]: row["status"] for row in view["standings"]}
    assert status["hoa-xa"] == "qualified" and status["cao-thanh"] == "out"


def test_a_tie_across_the_cut_is_drawn_with_the_seed_kept(book: SeasonBook, tmp_path: Path) -> None:
    tied = [(unit, title, (30, 20, 20), 10) for unit, title, _, _ in ENTRIES if unit != "Xã Hòa Xá"]
    write_initiatives(tmp_path / "tied.db", tied)  # five units, every one equal: a draw of five for five
    book.rank("mo-hinh", db=tmp_path / "tied.db")
    assert propose(book.season, book.state, "chung-ket").lineups is not None  # five for five: no draw
    six = [*tied, ("Xã Hòa Phú", "Thêm một", (30, 20, 20), 10)]
    write_initiatives(tmp_path / "six.db", six)
    book.rank("mo-hinh", db=tmp_path / "six.db")
    proposal = propose(book.season, book.state, "chung-ket")
    assert proposal.lineups is None and len(proposal.draw[0]) == 6
    first = book.confirm("chung-ket", seed=11)
    assert first.seed == 11 and len(first.lineups[0]) == 5  # type: ignore[union-attr]
    assert propose(book.season, book.state, "chung-ket", seed=11).lineups == first.lineups  # type: ignore[union-attr]


def test_a_ranking_of_too_few_units_is_left_to_the_organizers(book: SeasonBook, tmp_path: Path) -> None:
    write_initiatives(tmp_path / "one.db", ENTRIES[:1])
    book.rank("mo-hinh", db=tmp_path / "one.db")
    proposal = propose(book.season, book.state, "chung-ket")
    assert proposal.lineups is None and "only 1 team(s) for 1 show(s)" in proposal.problem
    write_initiatives(tmp_path / "four.db", [e for e in ENTRIES if e[0] != "Xã Hòa Xá"][:4])
    book.rank("mo-hinh", db=tmp_path / "four.db")  # four units for a final of five: a final of four
    assert len(propose(book.season, book.state, "chung-ket").lineups[0]) == 4  # type: ignore[index]


def test_a_ranking_cannot_change_once_the_show_it_feeds_is_played(book: SeasonBook, tmp_path: Path) -> None:
    write_initiatives(tmp_path / "models.db")
    book.rank("mo-hinh", db=tmp_path / "models.db")
    play_season(book, seed=3)
    assert book.state.result("chung-ket", 0) is not None
    write_initiatives(tmp_path / "later.db", ENTRIES[:-1])
    with pytest.raises(RuleError, match="has been played from this ranking"):
        book.rank("mo-hinh", db=tmp_path / "later.db")
    with pytest.raises(NotFound, match="no online stage 'chung-ket'; its online stages: thi-truc-tuyen, mo-hinh"):
        book.rank("chung-ket")


def test_the_quiz_ranks_units_by_the_entrants_who_handed_in(book: SeasonBook, tmp_path: Path) -> None:
    write_quiz(tmp_path / "quiz.db")
    event = book.rank("thi-truc-tuyen", db=tmp_path / "quiz.db")
    assert event is not None
    assert [(r.place, r.unit, r.points) for r in event.rows] == [(1, "Xã Hòa Lâm", 3), (2, "Xã Đông Lỗ", 1)]
    card = book.view()["bracket"][0]["shows"][0]
    # Counts of entrants are written whole on the bracket, whatever decimals the final's show uses.
    assert card["decimals"] == 0 and [t["points"] for t in card["teams"]] == [3, 1]


def test_the_season_from_the_command_line(tmp_path: Path, capsys) -> None:
    write_initiatives(tmp_path / "models.db")
    season = ["season", str(UNG_HOA), "--db", str(tmp_path / "season.db")]
    assert main([*season, "status"]) == 0
    assert "Next: Chung kết sân khấu hóa waits for the ranking of mo-hinh" in capsys.readouterr().out
    assert main([*season, "rank", "mo-hinh", "--from", str(tmp_path / "models.db")]) == 0
    out = capsys.readouterr().out
    assert "1. Thị trấn Vân Đình — Chợ 4.0: 89.50" in out
    assert "as the rules say (confirm it): uh2025-chung-ket-1: van-dinh, hoa-xa, phuong-tu, truong-hoc, y-te" in out
    assert main([*season, "rank", "mo-hinh"]) == 1  # the database beside the stage's file: not there
    assert "no database at" in capsys.readouterr().err
    assert main([*season, "confirm", "chung-ket"]) == 0
    assert main([*season, "play"]) == 0
    assert "champion" in capsys.readouterr().out
    assert main(["export", str(UNG_HOA), "--db", str(tmp_path / "season.db"), "--out", str(tmp_path / "out")]) == 0
    paths = capsys.readouterr().out.split()
    sheet = openpyxl.load_workbook(paths[1])["Vòng thi trực tuyến"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == len(ENTRIES) and rows[0][:7] == ["Mô hình, sáng kiến", 1, "Thị trấn Vân Đình", "Chợ 4.0", 89.5,
                                                        "van-dinh", "Đi tiếp"]  # fmt: skip
    assert [r[2] for r in rows if r[6] == "Đi tiếp"] == [
        "Thị trấn Vân Đình", "Xã Hòa Xá", "Xã Phương Tú", "Trường học", "Trung tâm Y tế huyện",
    ]  # fmt: skip
    assert "Vòng thi trực tuyến / Online stages" in Path(paths[0]).read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(
    ("stages", "teams", "problem"),
    [
        (  # an online stage after a show
            "  - {id: ck, title: CK, show: final.yaml, shows: 1, size: 5, stage: final}\n"
            "  - {id: mh, title: MH, initiatives: stage.initiatives.yaml}\n",
            "  - {id: a, name: A}\n  - {id: b, name: B}\n",
            "stages[1]: an online stage comes before the stages played on air",
        ),
        (
            "  - {id: mh, title: MH, initiatives: stage.initiatives.yaml, quiz: stage.initiatives.yaml}\n",
            None,
            "stages[0]: a stage is an online quiz or an initiatives stage",
        ),
        (
            "  - {id: mh, title: MH, initiatives: stage.initiatives.yaml}\n"
            "  - {id: ck, title: CK, show: final.yaml, shows: 2, size: 5, entrants: [{from: mh, top: 6}]}\n",
            None,
            "stages[1]: the top 6 of 'mh' go to one show; for 2, use fill: draw",
        ),
        (
            "  - {id: mh, title: MH, initiatives: stage.initiatives.yaml}\n"
            "  - {id: ck, title: CK, show: final.yaml, shows: 1, size: 5, entrants: [{from: mh, top: 5}]}\n",
            "  - {id: a, name: A, unit: Xã Hòa Xá}\n  - {id: b, name: B, unit: Xã Cao Thành}\n",
            "stages[1]: no team stands for these units of stage.initiatives.yaml: Thị trấn Vân Đình, Xã Đại Cường,",
        ),
        (
            "  - {id: mh, title: MH, initiatives: stage.initiatives.yaml}\n"
            "  - {id: ck, title: CK, show: final.yaml, shows: 1, size: 5, entrants: [{from: mh, place: 1}]}\n",
            None,
            "stages[1].entrants[0].place: unknown key; allowed here: from, top",
        ),
        (
            "  - {id: mh, title: MH, initiatives: stage.initiatives.yaml, rank: participation}\n"
            "  - {id: ck, title: CK, show: final.yaml, shows: 1, size: 5, entrants: [{from: mh, top: 5}]}\n",
            None,
            "stages[0].rank: expected one of ranking",
        ),
    ],
)
def test_online_stages_in_a_season_file_are_checked(tmp_path: Path, stages: str, teams: str | None, problem: str):
    copies = {"final.yaml": "ung-hoa-2025-final.yaml", "stage.initiatives.yaml": "ung-hoa-2025.initiatives.yaml"}
    for name, source in copies.items():
        (tmp_path / name).write_text((CONFIGS / source).read_text())
    (tmp_path / "media").symlink_to(CONFIGS / "media")
    shipped = UNG_HOA.read_text()
    teams = teams or shipped[shipped.index("\nteams:\n") + len("\nteams:\n") :]
    path = tmp_path / "s.season.yaml"
    path.write_text(f"season: {{id: s, title: T}}\nstages:\n{stages}teams:\n{teams}")
    with pytest.raises(ConfigError) as caught:
        load_season(path)
    assert any(problem in line for line in str(caught.value).splitlines()), str(caught.value)
