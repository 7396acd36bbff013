"""The results the organizers keep: a season's (or one show's) results as CSV, xlsx and a printable page.

Each export writes three files named after the season's id (or the show's): ``<id>.csv``, ``<id>.xlsx``
and ``<id>.html``. The CSV is one UTF-8 file (with a BOM, so Excel reads the diacritics) of sections
separated by a blank line; each section is a title row of one cell, a header row, then its rows.
Numbers in the CSV and the xlsx are plain decimals; the page shows them the Vietnamese way, with the shows'
fixed decimals (16,50; server/format.py).
"""

from __future__ import annotations

import base64
import csv
import io
import os
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from server import format as fmt
from server.core.context import TIEBREAK_ID
from server.core.errors import NotFound, quote
from server.core.season.config import SeasonConfig, show_id
from server.core.season.events import SeasonState
from server.core.season.results import Named, ShowResult
from server.core.season.rules import table
from server.core.words import say
from server.season.book import SeasonBook
from server.season.view import season_view

FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"
STATUS = {"champion": "Vô địch", "qualified": "Đi tiếp", "out": "Dừng bước", "": ""}
RESULT = {"winner": "Thắng", "advances": "Đi tiếp", "out": "Dừng bước", None: ""}
SHOW_STATUS = {
    "done": "Đã thi", "live": "Đang thi", "upcoming": "Chưa thi", "ranked": "Đã xếp hạng", "open": "Đang diễn ra",
}  # fmt: skip
CHANGE = {"on_air": "Tại trận", "after": "Sau trận"}


@dataclass(frozen=True)
class TeamLine:
    team: str
    name: str
    place: int  # after corrections
    place_played: int
    segments: tuple[Decimal, ...]  # in the order of the show's segments
    adjusted: Decimal  # on air, by the producer
    played: Decimal
    corrected: Decimal  # after the show
    points: Decimal


@dataclass(frozen=True)
class Change:
    """A score change made by hand: on air (an adjustment) or after the show (a correction)."""

    kind: str
    team: str
    segment: str
    points: Decimal
    reason: str
    at: int | None = None


@dataclass(frozen=True)
class JudgeScores:
    judge: str
    scores: tuple[Decimal | None, ...]  # in the order of the segment's criteria
    total: Decimal


@dataclass(frozen=True)
class JudgedTeam:
    name: str
    points: Decimal  # what the segment gave the team
    judges: tuple[JudgeScores, ...]


@dataclass(frozen=True)
class Judged:
    """One judged segment: each team's scores from each judge, by criterion."""

    segment: str
    criteria: tuple[str, ...]
    teams: tuple[JudgedTeam, ...]


@dataclass(frozen=True)
class ShowSheet:
    id: str
    title: str
    ended_at: int
    segments: tuple[Named, ...]
    teams: tuple[TeamLine, ...]
    changes: tuple[Change, ...]
    winners: tuple[str, ...]
    judged: tuple[Judged, ...]


def export_season(book: SeasonBook, out_dir: Path, show: str | None = None) -> list[Path]:
    """Write <id>.csv, <id>.xlsx and <id>.html (printable) for the whole season, or for one show (show =
    a season show id such as 'qn2024-bk-1'); returns the paths. Raises server.core.errors.NotFound
    (message + vi) for an unknown or unplayed show; an OSError naming the path if out_dir is unwritable."""
    book.reload()  # what another process (the show's server) recorded counts too
    season, state = book.season, book.state
    where = [_locate(book, show)] if show is not None else _played(season, state)
    sheets = [show_sheet(season, state, stage, index) for stage, index in where]
    view = season_view(season, state) if show is None else None
    online = rankings_rows(season, state) if show is None and state.rankings else None
    name = show or season.id
    files = {
        f"{name}.csv": render_csv(sheets, view, online).encode("utf-8-sig"),
        f"{name}.xlsx": render_xlsx(season, sheets, view, online),
        f"{name}.html": render_html(season, sheets, view, book.clock()).encode("utf-8"),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    return [write_whole(out_dir / filename, data) for filename, data in files.items()]


def write_whole(path: Path, data: bytes) -> Path:
    """Whole or not at all: a half-written file is never left under the final name."""
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    os.replace(part, path)
    return path


def _played(season: SeasonConfig, state: SeasonState) -> list[tuple[str, int]]:
    return [(s.id, i) for s in season.stages for i in range(s.shows) if state.result(s.id, i) is not None]


def _locate(book: SeasonBook, show: str) -> tuple[str, int]:
    season, state = book.season, book.state
    where = book.locate(show)
    played = ", ".join(show_id(season, s, i) for s, i in _played(season, state))
    if where is None:
        every = ", ".join(show_id(season, s.id, i) for s in season.stages for i in range(s.shows))
        raise NotFound("season.no_show_in", id=season.id, show=quote(show), shows=every)
    if state.result(*where) is None:
        raise NotFound("season.not_played_yet", show=show, played=played or say("season.none_played"))
    return where


# -- the data -----------------------------------------------------------------------------------


def show_title(season: SeasonConfig, stage_id: str, index: int) -> str:
    stage = season.stage(stage_id)
    assert stage is not None
    return stage.title if stage.shows == 1 else f"{stage.title} {index + 1}"


def show_sheet(season: SeasonConfig, state: SeasonState, stage: str, index: int) -> ShowSheet:
    """A played show's results: points by segment, changes by hand with reasons, places after corrections."""
    result = state.result(stage, index)
    rows = table(season, state, stage, index)
    assert result is not None and rows is not None
    played = {t.team: t for t in result.teams}
    known = {s.id for s in result.segments}
    extra = dict.fromkeys(k for t in result.teams for k in t.segments if k not in known)
    segments = (*result.segments, *(Named(k, "Câu hỏi phụ" if k == TIEBREAK_ID else k) for k in extra))
    titles = {s.id: s.name for s in segments}
    teams = tuple(
        TeamLine(
            r.team,
            r.name,
            r.place,
            played[r.team].place,
            tuple(played[r.team].segments.get(s.id, Decimal(0)) for s in segments),
            sum((a.points for a in played[r.team].adjustments), Decimal(0)),
            played[r.team].points,
            r.correction,
            r.points,
        )
        for r in rows
    )
    names = {t.team: t.name for t in result.teams}
    changes = [
        Change("on_air", t.name, titles.get(a.segment or "", a.segment or ""), a.points, a.reason)
        for t in result.teams
        for a in t.adjustments
    ]
    changes += [
        Change("after", names[c.team], "", c.points, c.reason, c.at)
        for c in state.corrections
        if c.stage == stage and c.index == index
    ]
    winners = tuple(t.name for t in teams if t.place == 1)
    title = show_title(season, stage, index)
    sid = show_id(season, stage, index)
    return ShowSheet(sid, title, result.ended_at, segments, teams, tuple(changes), winners, _judged(result, titles))


def _judged(result: ShowResult, titles: dict[str, str]) -> tuple[Judged, ...]:
    judges = {j.id: j.name for j in result.judges}
    out = []
    for segment, criteria in result.criteria.items():
        teams = []
        for team in result.teams:
            rows = []
            for judge, scores in team.judges.get(segment, {}).items():
                values = tuple(scores.get(k.id) for k in criteria)
                total = sum((v for v in values if v is not None), Decimal(0))
                rows.append(JudgeScores(judges.get(judge, judge), values, total))
            if rows:
                teams.append(JudgedTeam(team.name, team.segments.get(segment, Decimal(0)), tuple(rows)))
        if teams:
            out.append(Judged(titles.get(segment, segment), tuple(k.name for k in criteria), tuple(teams)))
    return tuple(out)


def _decimal(value: int | float | Decimal | None) -> Decimal | None:
    # season_view gives JSON numbers (floats for fractions); str() gives back the decimal they came from
    return None if value is None else Decimal(str(value))


# -- the tables (the CSV's sections and the xlsx's sheets) -----------------------------------------


def standings_rows(view: dict[str, Any]) -> list[list[Any]]:
    head = ["Hạng", "Mã đội", "Đội", "Số trận", "Tổng điểm", "Trạng thái"]
    rows = [
        [r["rank"], r["team"], r["name"], r["played"], _decimal(r["points"]), STATUS.get(r["status"], r["status"])]
        for r in view["standings"]
    ]
    return [head, *rows]


def bracket_rows(view: dict[str, Any]) -> list[list[Any]]:
    head = ["Vòng", "Mã trận", "Trận", "Tình trạng", "Mã đội", "Đội", "Điểm", "Kết quả"]
    rows = []
    for stage in view["bracket"]:
        for s in stage["shows"]:
            status = SHOW_STATUS.get(s["status"], s["status"])
            for t in s["teams"] or [{"team": "", "name": "", "points": None, "result": None}]:
                rows.append([stage["title"], s["id"], s["title"], status, t["team"], t["name"],
                             _decimal(t["points"]), RESULT.get(t["result"], t["result"])])  # fmt: skip
    return [head, *rows]


def rankings_rows(season: SeasonConfig, state: SeasonState) -> list[list[Any]]:
    """The online stages' rankings as the season took them, every row; the units that went on marked."""
    head = ["Vòng", "Hạng", "Đơn vị", "Mô hình / thí sinh", "Điểm", "Mã đội", "Kết quả", "Lấy lúc"]
    rows = []
    for spec in season.online:
        ranking = state.rankings.get(spec.id)
        if ranking is None:
            continue
        fed = {
            team
            for stage in season.stages
            if stage.id in state.lineups and any(s.stage == spec.id for s in stage.entrants)
            for lineup in state.lineups[stage.id].lineups
            for team in lineup
        }
        for row in ranking.rows:
            team = season.team_of_unit(row.unit)
            result = RESULT["advances"] if team is not None and team.id in fed else ""
            fed.discard(team.id if team else "")  # a unit goes on by its best row
            rows.append([spec.title, row.place, row.unit, row.title, row.points, team.id if team else "", result,
                         when(ranking.at)])  # fmt: skip
    return [head, *rows]


def points_rows(sheet: ShowSheet) -> list[list[Any]]:
    head = ["Hạng", "Mã đội", "Đội", *(s.name for s in sheet.segments), "Điều chỉnh tại trận", "Tổng khi thi",
            "Hạng khi thi", "Điều chỉnh sau trận", "Tổng sau điều chỉnh", "Thắng"]  # fmt: skip
    rows = [[t.place, t.team, t.name, *t.segments, t.adjusted, t.played, t.place_played, t.corrected, t.points,
             "x" if t.place == 1 else ""] for t in sheet.teams]  # fmt: skip
    return [head, *rows]


def changes_rows(sheets: list[ShowSheet]) -> list[list[Any]]:
    head = ["Mã trận", "Trận", "Loại", "Đội", "Phần thi", "Điểm", "Lúc", "Lý do"]
    rows = [
        [s.id, s.title, CHANGE[c.kind], c.team, c.segment, c.points, when(c.at) if c.at else "", c.reason]
        for s in sheets
        for c in s.changes
    ]
    return [head, *rows]


def judges_rows(sheets: list[ShowSheet]) -> list[list[Any]]:
    head = ["Mã trận", "Trận", "Phần thi", "Đội", "Giám khảo", "Tiêu chí", "Điểm"]
    rows = [
        [s.id, s.title, j.segment, team.name, row.judge, criterion, value]
        for s in sheets
        for j in s.judged
        for team in j.teams
        for row in team.judges
        for criterion, value in zip(j.criteria, row.scores, strict=True)
        if value is not None
    ]
    return [head, *rows]


def when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).strftime("%d/%m/%Y %H:%M")


def plain(value: Any) -> Any:
    """A CSV cell: decimals without exponent or locale."""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return "" if value is None else value


# -- CSV ------------------------------------------------------------------------------------------


def render_csv(sheets: list[ShowSheet], view: dict[str, Any] | None, online: list[list[Any]] | None = None) -> str:
    sections: list[tuple[str, list[list[Any]]]] = []
    if view is not None:
        sections += [
            ("Bảng xếp hạng / Standings", standings_rows(view)),
            ("Sơ đồ thi đấu / Bracket", bracket_rows(view)),
        ]
    if online is not None:
        sections.append(("Vòng thi trực tuyến / Online stages", online))
    sections += [(f"{s.title} ({s.id}) / Points by round", points_rows(s)) for s in sheets]
    sections += [("Điều chỉnh điểm / Score changes", changes_rows(sheets)), ("Giám khảo / Judges", judges_rows(sheets))]
    out = io.StringIO()
    writer = csv.writer(out)
    for n, (title, rows) in enumerate(sections):
        if n:
            writer.writerow([])
        writer.writerow([title])
        writer.writerows([[plain(v) for v in row] for row in rows])
    return out.getvalue()


# -- xlsx -----------------------------------------------------------------------------------------


def render_xlsx(
    season: SeasonConfig, sheets: list[ShowSheet], view: dict[str, Any] | None, online: list[list[Any]] | None = None
) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = season.title
    wb.properties.creator = "showcaller"
    if view is not None:
        add_sheet(wb, "Bảng xếp hạng", standings_rows(view))
        add_sheet(wb, "Sơ đồ thi đấu", bracket_rows(view))
    if online is not None:
        add_sheet(wb, "Vòng thi trực tuyến", online)
    for s in sheets:
        changes = [row[2:] for row in changes_rows([s])]  # the show's id and title are the sheet's
        notes = [
            *changes,
            [],
            ["Đội thắng", ", ".join(s.winners)],
            ["Mã trận", s.id],
            ["Kết thúc lúc", when(s.ended_at)],
        ]
        add_sheet(wb, _sheet_name(wb, s.title), points_rows(s), notes)
    judges = add_sheet(wb, "Giám khảo", judges_rows(sheets))
    judges.auto_filter.ref = judges.dimensions
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def add_sheet(wb: Workbook, title: str, rows: list[list[Any]], notes: list[list[Any]] | None = None) -> Worksheet:
    """A table (its header bold and frozen), then ``notes`` under it after a blank row: a second table
    whose header is bold too, whose last cells (a reason, a name) may run on over the empty cells."""
    ws = wb.create_sheet(title)
    for row in rows:
        ws.append([xlsx_cell(v) for v in row])
    bold(ws[1])
    widths = [max(len(str(v)) for v in column if v is not None) for column in zip(*rows, strict=True)]
    if notes:
        ws.append([])
        for row in notes:
            ws.append([xlsx_cell(v) for v in row])
            for n, value in enumerate(row[:-1]):
                widths[n] = max(widths[n], len(str(value)))
        bold(ws[len(rows) + 2])
    for n, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(n)].width = min(max(width, 6), 60) + 2
    ws.freeze_panes = "A2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


def bold(cells: Any) -> None:
    for c in cells:
        c.font = Font(bold=True)


def xlsx_cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _sheet_name(wb: Workbook, title: str) -> str:
    name = "".join("-" if ch in "[]:*?/\\" else ch for ch in title)[:31]
    base, n = name, 2
    while name in wb.sheetnames:
        name = f"{base[: 31 - len(str(n)) - 1]} {n}"
        n += 1
    return name


# -- the printable page ---------------------------------------------------------------------------


def render_html(season: SeasonConfig, sheets: list[ShowSheet], view: dict[str, Any] | None, now_ms: int) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    decimals = max((stage.show.decimals for stage in season.stages), default=0)
    env.filters["vi"] = lambda v: fmt.points(v, decimals, "vi")
    env.filters["signed"] = lambda v: fmt.signed(v, decimals, "vi")
    env.filters["when"] = when
    env.filters["css_string"] = _css_string
    return env.get_template("results.html").render(
        season=season,
        view=view,
        sheets=sheets,
        status=STATUS,
        result=RESULT,
        show_status=SHOW_STATUS,
        change=CHANGE,
        generated=when(now_ms),
        fonts=Markup(font_faces()),
    )


def _css_string(text: str) -> Markup:
    """Text as a CSS string (the page's footer): anything but letters, digits and spaces escaped."""
    return Markup('"' + "".join(ch if ch.isalnum() or ch == " " else f"\\{ord(ch):x} " for ch in text) + '"')


def font_faces() -> str:
    """Be Vietnam Pro as installed, else the copy showcaller ships inlined (the page loads nothing)."""
    css = FONTS / "fonts.css"
    if not css.exists():
        return ""
    faces = []
    for block in css.read_text(encoding="utf-8").split("@font-face")[1:]:
        weight = re.search(r"font-weight: (\d+)", block)
        source = re.search(r'url\("([^"]+)"\)', block)
        if weight is None or source is None or weight[1] not in LOCAL or not (FONTS / source[1]).exists():
            continue
        data = base64.b64encode((FONTS / source[1]).read_bytes()).decode()
        local = ", ".join(f'local("{name}")' for name in LOCAL[weight[1]])
        faces.append("@font-face" + block.replace(source[0], f"{local}, url(data:font/woff2;base64,{data})").strip())
    return "\n".join(faces)


LOCAL = {  # the weights the page uses, by the names an installed font goes by
    "400": ("Be Vietnam Pro", "Be Vietnam Pro Regular", "BeVietnamPro-Regular"),
    "700": ("Be Vietnam Pro Bold", "BeVietnamPro-Bold"),
}
