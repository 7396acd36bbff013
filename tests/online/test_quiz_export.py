"""The organizers' files of an online quiz: CSV, xlsx and a printable page, from its database."""

from __future__ import annotations

import asyncio
import csv
import io
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from server.cli import main
from server.online.quiz_service import QuizService, quiz_log
from tests.online.conftest import OPENS, QUIZ_FILE


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
    assert [Path(p).name for p in paths] == ["uh2025-quiz.csv", "uh2025-quiz.xlsx", "uh2025-quiz.html"]

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
