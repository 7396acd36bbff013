"""The organizers' results: a whole season played, adjusted on air and corrected after, exported as CSV,
xlsx and a printable page (rendered and printed to PDF in headless Chromium)."""

from __future__ import annotations

import csv
import itertools
import os
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from server.core import commands as c
from server.core.errors import NotFound
from server.core.season.config import show_id
from server.core.season.rules import table
from server.log.store import EventLog
from server.season.book import SeasonBook
from server.season.export import export_season
from server.season.sim import play_season, register
from server.season.view import season_view
from server.show.engine import Engine
from server.show.sim import Simulator
from tests.browser.conftest import ARTIFACTS, screenshot

SEASON = Path(__file__).resolve().parents[2] / "show_configs" / "quang-nam-2024.season.yaml"
ADJUST_REASON = "Vi phạm quy chế: dùng điện thoại khi thi"
CORRECT_REASON = "Khiếu nại được chấp nhận: câu 7 có hai đáp án đúng"
STATUS = {"champion": "Vô địch", "qualified": "Đi tiếp", "out": "Dừng bước", "": None}


class Adjusting(Simulator):
    """The seeded show, with the producer taking points off the second team on air before the end."""

    def tiebreak(self) -> None:
        team = self.config.teams[1].id
        self.cmd(c.AdjustScore, team=team, points=Decimal("-2.5"), reason=ADJUST_REASON)
        super().tiebreak()


def _book(folder: Path, until: str | None = None) -> SeasonBook:
    ticks = itertools.count(1_718_100_000_000, 60_000)
    book = SeasonBook.open(SEASON, EventLog(folder / "season.db"), clock=lambda: next(ticks))
    book.confirm("vl", by="demo", seed=2024)
    config = book.show_config("vl", 0)
    register(book, config)
    Adjusting(Engine(config, book.log), seed=2024 * 100).play()
    book.record(config)
    play_season(book, seed=2024, until=until)
    return book


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> tuple[SeasonBook, list[Path]]:
    """The whole season, a third place in the second qualifier lifted to second by a correction."""
    folder = tmp_path_factory.mktemp("season")
    book = _book(folder)
    third = next(t for t in book.state.result("vl", 1).teams if t.place == 3)
    second = next(t for t in book.state.result("vl", 1).teams if t.place == 2)
    book.correct("vl", 1, third.team, second.points - third.points + Decimal("0.5"), CORRECT_REASON)
    return book, export_season(book, folder / "out")


def _rows(ws) -> list[list]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def _played(book: SeasonBook) -> list[tuple[str, int]]:
    return [(s.id, i) for s in book.season.stages for i in range(s.shows) if book.state.result(s.id, i)]


def _title(book: SeasonBook, stage: str, index: int) -> str:
    spec = book.season.stage(stage)
    return spec.title if spec.shows == 1 else f"{spec.title} {index + 1}"


def _csv_sections(path: Path) -> dict[str, list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    sections: dict[str, list[list[str]]] = {}
    for block in itertools.groupby(rows, key=bool):
        if block[0]:
            lines = list(block[1])
            sections[lines[0][0]] = lines[1:]
    return sections


# -- the files ----------------------------------------------------------------------------------


def test_the_three_files_are_named_after_the_season(season) -> None:
    book, paths = season
    assert [p.name for p in paths] == ["qn2024.csv", "qn2024.xlsx", "qn2024.html"]
    assert all(p.stat().st_size > 0 for p in paths)
    assert not list(paths[0].parent.glob("*.part"))


def test_each_show_sheet_adds_up(season) -> None:
    book, paths = season
    wb = openpyxl.load_workbook(paths[1])
    played = _played(book)
    assert wb.sheetnames == ["Bảng xếp hạng", "Sơ đồ thi đấu", *(_title(book, *w) for w in played), "Giám khảo"]
    for stage, index in played:
        result = book.state.result(stage, index)
        rows = _rows(wb[_title(book, stage, index)])
        head = rows[0]
        col = {name: head.index(name) for name in head}
        segments = [s.name for s in result.segments]
        assert head[3 : 3 + len(segments)] == segments
        teams = rows[1 : 1 + len(result.teams)]
        places = {r.team: r.place for r in table(book.season, book.state, stage, index)}
        by_team = {t.team: t for t in result.teams}
        for row in teams:
            team = by_team[row[col["Mã đội"]]]
            values = row[3 : 3 + len(segments)]
            assert all(isinstance(v, int | float) for v in values)
            assert values == [pytest.approx(float(team.segments[s.id])) for s in result.segments]
            played_total = row[col["Tổng khi thi"]]
            assert sum(values) + row[col["Điều chỉnh tại trận"]] == pytest.approx(played_total)
            assert played_total == pytest.approx(float(team.points))
            fix = sum(
                (x.points for x in book.state.corrections if (x.stage, x.index, x.team) == (stage, index, team.team)),
                Decimal(0),
            )
            assert row[col["Điều chỉnh sau trận"]] == pytest.approx(float(fix))
            assert row[col["Tổng sau điều chỉnh"]] == pytest.approx(float(team.points + fix))
            assert row[col["Hạng khi thi"]] == team.place
            assert row[col["Hạng"]] == places[team.team]
            assert (row[col["Thắng"]] == "x") == (places[team.team] == 1)
        winners = [r[1] for r in rows if r[0] == "Đội thắng"]
        assert winners == [", ".join(t.name for t in by_team.values() if places[t.team] == 1)]


def test_changes_by_hand_are_kept_with_their_reasons(season) -> None:
    book, paths = season
    wb = openpyxl.load_workbook(paths[1])
    adjusted = book.state.result("vl", 0).teams
    team = next(t for t in adjusted if t.adjustments)
    assert sum(team.segments.values()) + Decimal("-2.5") == team.points
    first = _rows(wb["Vòng loại 1"])
    assert ["Tại trận", team.name, "Khán giả cùng tham gia", -2.5, None, ADJUST_REASON] in [r[:6] for r in first]
    second = _rows(wb["Vòng loại 2"])
    correction = book.state.corrections[0]
    changes = [r for r in second if r[0] == "Sau trận"]
    assert len(changes) == 1
    assert changes[0][3] == pytest.approx(float(correction.points)) and changes[0][5] == CORRECT_REASON
    # the correction moved the team from third to second
    head = second[0]
    row = next(r for r in second[1:4] if r[1] == correction.team)
    assert (row[head.index("Hạng khi thi")], row[head.index("Hạng")]) == (3, 2)


def test_standings_sheet_is_the_season_view(season) -> None:
    book, paths = season
    wb = openpyxl.load_workbook(paths[1])
    rows = _rows(wb["Bảng xếp hạng"])
    assert rows[0] == ["Hạng", "Mã đội", "Đội", "Số trận", "Tổng điểm", "Trạng thái"]
    expected = [
        [r["rank"], r["team"], r["name"], r["played"], pytest.approx(r["points"]), STATUS[r["status"]]]
        for r in season_view(book.season, book.state)["standings"]
    ]
    assert rows[1:] == expected
    assert len(rows) == 1 + len(book.season.teams)


def test_judges_sheet_has_every_score(season) -> None:
    book, paths = season
    wb = openpyxl.load_workbook(paths[1])
    rows = _rows(wb["Giám khảo"])
    assert rows[0] == ["Mã trận", "Trận", "Phần thi", "Đội", "Giám khảo", "Tiêu chí", "Điểm"]
    got = {tuple(r[:6]): r[6] for r in rows[1:]}
    expected = {}
    for stage, index in _played(book):
        result = book.state.result(stage, index)
        segments = {s.id: s.name for s in result.segments}
        judges = {j.id: j.name for j in result.judges}
        for team in result.teams:
            for segment, by_judge in team.judges.items():
                criteria = {k.id: k.name for k in result.criteria[segment]}
                for judge, scores in by_judge.items():
                    for criterion, score in scores.items():
                        key = (result.show_id, _title(book, stage, index), segments[segment], team.name,
                               judges[judge], criteria[criterion])  # fmt: skip
                        expected[key] = pytest.approx(float(score))
    assert len(rows) - 1 == len(expected) > 0
    assert got == expected


def test_workbook_is_formatted_for_people(season) -> None:
    _, paths = season
    wb = openpyxl.load_workbook(paths[1])
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert all(cell.font.bold for cell in ws[1] if cell.value is not None)
        assert ws.column_dimensions["C"].width >= 10
    assert wb["Giám khảo"].auto_filter.ref


def test_csv_has_the_same_totals(season) -> None:
    book, paths = season
    sections = _csv_sections(paths[0])
    standings = sections["Bảng xếp hạng / Standings"]
    view = season_view(book.season, book.state)["standings"]
    assert [(r[1], Decimal(r[4])) for r in standings[1:]] == [(r["team"], Decimal(str(r["points"]))) for r in view]
    for stage, index in _played(book):
        sid = show_id(book.season, stage, index)
        rows = sections[f"{_title(book, stage, index)} ({sid}) / Points by round"]
        col = {name: i for i, name in enumerate(rows[0])}
        got = {r[col["Mã đội"]]: (Decimal(r[col["Tổng sau điều chỉnh"]]), int(r[col["Hạng"]])) for r in rows[1:]}
        expected = {r.team: (r.points, r.place) for r in table(book.season, book.state, stage, index)}
        assert got == expected
        assert all(re.fullmatch(r"-?\d+(\.\d+)?", r[col["Tổng khi thi"]]) for r in rows[1:])
    changes = sections["Điều chỉnh điểm / Score changes"]
    assert {r[7] for r in changes[1:]} == {ADJUST_REASON, CORRECT_REASON}
    judges = sections["Giám khảo / Judges"]
    assert len(judges) == len(_rows(openpyxl.load_workbook(paths[1])["Giám khảo"]))


# -- one show, bad input ------------------------------------------------------------------------


def test_one_show_only_has_that_show(season, tmp_path: Path) -> None:
    book, _ = season
    paths = export_season(book, tmp_path, "qn2024-vl-2")
    assert [p.name for p in paths] == ["qn2024-vl-2.csv", "qn2024-vl-2.xlsx", "qn2024-vl-2.html"]
    assert openpyxl.load_workbook(paths[1]).sheetnames == ["Vòng loại 2", "Giám khảo"]
    text = paths[0].read_text(encoding="utf-8-sig")
    assert "qn2024-vl-2" in text and CORRECT_REASON in text
    assert not re.search(r"qn2024-(vl-[13456]|bk|ck)", text) and ADJUST_REASON not in text
    judges = _rows(openpyxl.load_workbook(paths[1])["Giám khảo"])
    assert {r[0] for r in judges[1:]} == {"qn2024-vl-2"}
    html = paths[2].read_text(encoding="utf-8")
    assert html.count('class="sheet show"') == 1 and "Bảng xếp hạng" not in html


def test_unknown_show_names_the_shows_there_are(season, tmp_path: Path) -> None:
    book, _ = season
    with pytest.raises(NotFound) as caught:
        export_season(book, tmp_path, "qn2024-vl-9")
    assert "qn2024-vl-9" in caught.value.message and "qn2024-vl-1" in caught.value.message
    assert "qn2024-ck-1" in caught.value.message and "không có trận" in caught.value.vi
    assert not list(tmp_path.iterdir())


def test_a_show_not_played_yet_is_not_found(tmp_path: Path) -> None:
    book = _book(tmp_path, until="vl")
    with pytest.raises(NotFound) as caught:
        export_season(book, tmp_path / "out", "qn2024-bk-1")
    assert "not been played" in caught.value.message and "qn2024-vl-6" in caught.value.message
    assert "chưa thi" in caught.value.vi
    # the season so far still exports: the semi-finals are in the bracket, still to play
    csv_path = export_season(book, tmp_path / "out")[0]
    bracket = _csv_sections(csv_path)["Sơ đồ thi đấu / Bracket"]
    assert {r[3] for r in bracket[1:] if r[1].startswith("qn2024-bk")} == {"Chưa thi"}


def test_unwritable_folder_says_which(season, tmp_path: Path) -> None:
    book, _ = season
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(OSError) as caught:
        export_season(book, blocker / "out")
    assert "a-file" in str(caught.value)


# -- the printable page -------------------------------------------------------------------------


async def test_printable_page_prints_a_page_per_show(season, chromium) -> None:
    book, paths = season
    page = await chromium.new_page(viewport={"width": 1024, "height": 1400})
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda request: requests.append(request.url))
    await page.goto(paths[2].as_uri())
    await page.evaluate("document.fonts.ready")
    assert not errors
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    assert await page.evaluate("""document.fonts.check('10pt "Be Vietnam Pro"', 'Hội thi Quảng Nam')""")
    assert "Tỉnh đoàn Quảng Nam" in await page.text_content(".overview .masthead")
    shows = await page.locator("section.show h1").all_inner_texts()
    assert [s.upper() for s in shows] == [f"KẾT QUẢ {_title(book, *w)}".upper() for w in _played(book)]
    await screenshot(page, "season-results-screen")

    await page.emulate_media(media="print")
    breaks = await page.evaluate("[...document.querySelectorAll('.sheet')].map(s => getComputedStyle(s).breakBefore)")
    assert breaks == ["auto", *["page"] * len(_played(book))]
    assert await page.evaluate("getComputedStyle(document.querySelector('table.points tr')).breakInside") == "avoid"
    await page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    await screenshot(page, "season-results-print")
    pdf = await page.pdf(prefer_css_page_size=True, print_background=True)
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    assert pages >= 1 + len(_played(book))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "season-results.pdf").write_bytes(pdf)
    assert os.path.getsize(ARTIFACTS / "season-results.pdf") == len(pdf)
