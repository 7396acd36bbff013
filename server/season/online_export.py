"""The online stages' results as the organizers keep them. The quiz: ``<id>.csv``, ``<id>.xlsx`` and
``<id>.html`` (printable), each with the ranking, the participation by unit and the judges' essay marks;
with an essay, ``<id>-essays.html``: a marking sheet per essay, known by its code alone (blind marking).
The initiatives: the ranking, what was submitted and the judges' scores, as CSV and xlsx. The contacts
are in the CSV and the xlsx (to reach the winners), never on the printable page (a notice board's)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from openpyxl import Workbook

from server import format as fmt
from server.core.initiatives.book import InitiativesBook
from server.core.quiz.book import QuizBook
from server.season.export import add_sheet, font_faces, plain, when, write_whole


def export_quiz(book: QuizBook, out_dir: Path, now_ms: int, secret: bytes) -> list[Path]:
    """Write ``book``'s quiz files into ``out_dir``; returns their paths. ``secret``: the quiz database's key,
    which the essays' codes are made with (the same as on the judges' marking page)."""
    name = book.config.id
    tables = quiz_tables(book)
    files = {
        f"{name}.csv": render_csv(tables).encode("utf-8-sig"),
        f"{name}.xlsx": render_xlsx(book, tables),
        f"{name}.html": render_html(book, now_ms).encode("utf-8"),
    }
    if book.config.essay is not None:
        files[f"{name}-essays.html"] = render_essays(book, secret, now_ms).encode("utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    return [write_whole(out_dir / filename, data) for filename, data in files.items()]


def clock(ms: int) -> str:
    seconds = round(ms / 1000)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def quiz_tables(book: QuizBook) -> dict[str, list[list[Any]]]:
    """Title -> rows (the first a header), bilingual headers."""
    config = book.config
    results = [["Hạng / Rank", "Mã / Id", "Họ tên / Name", "Đơn vị / Unit", "Liên hệ / Contact", "Câu đúng / Correct",
                "Thời gian / Time", "Điểm trắc nghiệm / Points", "Tự luận / Essay", "Tổng / Total",
                "Hết giờ / Timed out", "Bắt đầu / Started", "Nộp / Handed in"]]  # fmt: skip
    for s in book.standings():
        attempt = book.attempts[s.entrant]
        results.append([
            s.rank, s.entrant, s.name, s.unit, book.entrants[s.entrant].contact, s.correct, clock(s.used), s.points,
            s.essay, s.total, "x" if attempt.timed_out else "", when(attempt.started), when(attempt.finished or 0),
        ])  # fmt: skip
    units = [["Đơn vị / Unit", "Đăng ký / Registered", "Bắt đầu / Started", "Nộp bài / Handed in"]]
    units += [[u["unit"], u["registered"], u["started"], u["finished"]] for u in book.participation()]
    criteria = config.essay.criteria if config.essay is not None else ()
    marks = [["Mã / Id", "Họ tên / Name", "Giám khảo / Judge", *(c.title for c in criteria), "Cộng / Sum"]]
    judges = {j.id: j.name for j in config.judges}
    for entrant, by_judge in sorted(book.marks.items()):
        for judge, given in sorted(by_judge.items()):
            row = [given[c.id] for c in criteria]
            marks.append([entrant, book.entrants[entrant].name, judges.get(judge, judge), *row, sum(row, Decimal(0))])
    return {"Kết quả / Results": results, "Tham gia / Participation": units, "Chấm tự luận / Essay marks": marks}


def render_csv(tables: dict[str, list[list[Any]]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for n, (title, rows) in enumerate(tables.items()):
        if n:
            writer.writerow([])
        writer.writerow([title])
        writer.writerows([[plain(v) for v in row] for row in rows])
    return out.getvalue()


def render_xlsx(book: QuizBook, tables: dict[str, list[list[Any]]]) -> bytes:
    return _xlsx(book.config.title, tables)


def _xlsx(title: str, tables: dict[str, list[list[Any]]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = title
    wb.properties.creator = "showcaller"
    for name, rows in tables.items():
        ws = add_sheet(wb, name.split(" / ")[0], rows)
        ws.auto_filter.ref = ws.dimensions
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["vi"] = lambda v: fmt.points(v, 2, "vi")
    env.filters["clock"] = clock
    return env


def render_essays(book: QuizBook, secret: bytes, now_ms: int) -> str:
    """One A4 marking sheet per handed-in essay, by code: the prompt, the text, a box per criterion and the
    judge's name and signature; no name, unit or contact (the judges mark blind, on paper as on the page)."""
    essays = [(code, book.attempts[entrant].essay) for code, entrant in book.essays(secret).items()]
    template = _templates().get_template("quiz_essays.html")
    fonts = Markup(font_faces())
    return template.render(
        quiz=book.config, essay=book.config.essay, essays=essays, generated=when(now_ms), fonts=fonts
    )


def render_html(book: QuizBook, now_ms: int) -> str:
    standings = book.standings()
    template = _templates().get_template("quiz_results.html")
    return template.render(
        quiz=book.config,
        standings=standings,
        participation=book.participation(),
        registered=len(book.entrants),
        finished=len(standings),
        generated=when(now_ms),
        fonts=Markup(font_faces()),
    )


def export_initiatives(book: InitiativesBook, out_dir: Path, now_ms: int) -> list[Path]:
    """Write ``<id>.csv`` and ``<id>.xlsx`` for an initiatives stage: the ranking (its finalists marked),
    what was submitted and reviewed (with the contacts, for the organizers), the judges' scores."""
    config = book.config
    ranking = [["Hạng / Rank", "Mã / Id", "Mô hình / Initiative", "Đơn vị / Unit", "Phiếu / Votes", "% phiếu / Share",
                "Cộng đồng / Community", "Giám khảo / Judges", "Điểm / Score", "Chung kết / Final"]]  # fmt: skip
    ranking += [
        [r.rank, r.initiative, r.title, r.unit, r.votes, r.vote_share, r.community, r.judges, r.score,
         "x" if r.rank <= config.finalists else ""]
        for r in book.ranking()
    ]  # fmt: skip
    submitted = [["Mã / Id", "Đơn vị / Unit", "Mô hình / Initiative", "Liên hệ / Contact", "Trạng thái / Status",
                  "Ghi chú / Note", "Gửi lúc / Submitted"]]  # fmt: skip
    submitted += [
        [i.id, i.unit, i.title, i.contact, i.status, i.note, when(i.submitted)] for i in book.initiatives.values()
    ]
    criteria = config.criteria
    judges = {j.id: j.name for j in config.judges}
    scores = [["Mã / Id", "Mô hình / Initiative", "Giám khảo / Judge", *(c.title for c in criteria), "Cộng / Sum"]]
    for initiative, by_judge in sorted(book.marks.items()):
        for judge, given in sorted(by_judge.items()):
            row = [given[c.id] for c in criteria]
            title = book.initiatives[initiative].title
            scores.append([initiative, title, judges.get(judge, judge), *row, sum(row, Decimal(0))])
    tables = {"Xếp hạng / Ranking": ranking, "Đã gửi / Submitted": submitted, "Giám khảo / Judges": scores}
    files = {
        f"{config.id}.csv": render_csv(tables).encode("utf-8-sig"),
        f"{config.id}.xlsx": _xlsx(config.title, tables),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    return [write_whole(out_dir / filename, data) for filename, data in files.items()]
