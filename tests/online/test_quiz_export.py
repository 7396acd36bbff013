"""The organizers' files of an online quiz: CSV, xlsx, a printable page and the essays' marking sheets,
from its database."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from server.app import create_stage_app
from server.cli import main
from server.online.otp import ConsoleSender
from server.online.quiz_service import QuizService, quiz_log
from tests.browser.conftest import screenshot
from tests.online.conftest import OPENS, QUIZ_FILE
from tests.online.test_quiz_api import Site


async def _played(quiz, db: Path) -> None:
    service = QuizService(quiz, quiz_log(db), lambda: OPENS + 60_000)
    for n, unit in enumerate(["Xã Hòa Xá", "Xã Viên An"]):
        entrant = await service.register(f"Thí sinh {n + 1}", unit, f"090000000{n}")
        attempt = await service.begin(entrant.id)
        for item in range(n + 1):
            right = attempt.paper[item].order.index(quiz.bank[attempt.paper[item].question].answer)
            await service.answer(entrant.id, item, right)
        await service.write_essay(entrant.id, "Ý kiến")
        await service.finish(entrant.id)
    marks = {"content": Decimal(18), "practice": Decimal("15.5"), "writing": Decimal(8)}
    await service.mark("gk-1", "e00002", marks)
    service.stop()
    service.log.close()


def test_quiz_export_writes_the_results_the_participation_and_the_marks(ung_hoa, tmp_path: Path, capsys) -> None:
    db = tmp_path / "quiz.db"
    asyncio.run(_played(ung_hoa, db))
    assert main(["quiz", "export", str(QUIZ_FILE), "--db", str(db), "--out", str(tmp_path / "out")]) == 0
    paths = capsys.readouterr().out.split()
    assert [Path(p).name for p in paths] == [
        "uh2025-quiz.csv", "uh2025-quiz.xlsx", "uh2025-quiz.html", "uh2025-quiz-essays.html",
    ]  # fmt: skip

    rows = list(csv.reader(io.StringIO((tmp_path / "out" / "uh2025-quiz.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["Kết quả / Results"]
    assert rows[2][:6] == ["1", "e00002", "Thí sinh 2", "Xã Viên An", "0900000001", "2"]
    assert rows[2][7:10] == ["10", "41.5", "51.5"]  # 2 x 5 points, the essay's 41.5 added
    assert ["Xã Hòa Xá", "1", "1", "1"] in rows and [
        "e00002",
        "Thí sinh 2",
        "Nguyễn Văn Thành",
        "18",
        "15.5",
        "8",
        "41.5",
    ] in rows

    book = load_workbook(tmp_path / "out" / "uh2025-quiz.xlsx")
    assert book.sheetnames == ["Kết quả", "Tham gia", "Chấm tự luận"]
    assert book["Kết quả"]["C2"].value == "Thí sinh 2" and book["Kết quả"]["J2"].value == 51.5

    page = (tmp_path / "out" / "uh2025-quiz.html").read_text(encoding="utf-8")
    assert "Thí sinh 2" in page and "51,50" in page and "0900000001" not in page  # no contact on a notice board


def test_quiz_export_of_a_missing_database_says_so(tmp_path: Path, capsys) -> None:
    assert main(["quiz", "export", str(QUIZ_FILE), "--db", str(tmp_path / "none.db")]) == 1
    assert "no such database" in capsys.readouterr().err


async def test_the_essays_print_a_blind_sheet_each_by_the_code_the_judges_mark(
    aiohttp_server, tmp_path: Path, capsys, chromium
) -> None:
    """The essays' marking sheets: one A4 page an essay, known by the code of the judges' marking page,
    with its text and a box per criterion; no name, unit or contact."""
    db, sender = tmp_path / "quiz.db", ConsoleSender()
    site = Site(
        await aiohttp_server(create_stage_app(QUIZ_FILE, db, sender=sender, rehearsal=True), host="127.0.0.1"), sender
    )
    try:
        for n, contact in enumerate(["0900000001", "0900000002"]):
            await site.hand_in(contact, f"Thí sinh {n}", f"Bài viết số {n}.\n\nĐoạn hai của bài {n}.")
        judge = {holder: token for token, holder in site.api.tokens.items()}["judge:gk-1"]
        async with site.device().get("/quiz/api/essays", headers={"Authorization": f"Bearer {judge}"}) as response:
            marking_page = [(e["essay"], e["text"]) for e in (await response.json())["essays"]]
    finally:
        for session in site.sessions:
            await session.close()
    assert main(["quiz", "export", str(QUIZ_FILE), "--db", str(db), "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    booklet = tmp_path / "out" / "uh2025-quiz-essays.html"
    html = booklet.read_text(encoding="utf-8")
    for hidden in ("Thí sinh", "0900000001", "0900000002", "Xã Hòa Xá", "e00001"):
        assert hidden not in html, hidden

    page = await chromium.new_page(viewport={"width": 1024, "height": 1400})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(booklet.as_uri())
    await page.evaluate("document.fonts.ready")
    sheets = [
        (await sheet.locator(".code b").inner_text(), await sheet.locator(".essay").inner_text())
        for sheet in await page.locator("main.sheet").all()
    ]
    assert sheets == marking_page and len(sheets) == 2  # the same codes, in the same order, with their texts
    criteria = await page.locator("main.sheet").first.locator("tbody tr td:first-child").all_inner_texts()
    assert len(criteria) == 3 and not errors
    await page.emulate_media(media="print")
    await page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    await screenshot(page, "quiz-essays-print")
    pdf = await page.pdf(prefer_css_page_size=True, print_background=True)
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 2  # a page an essay
