"""The organizers' files of the initiatives stage: the ranking with its finalists, what was submitted
(with the contacts), the judges' scores; from its database, as CSV and xlsx."""

from __future__ import annotations

import asyncio
import csv
import io
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from server.cli import main
from server.configs.initiatives import load_initiatives
from server.online.files import FileStore
from server.online.initiatives_service import InitiativesService, initiatives_log
from tests.online.conftest import ROOT

FILE = ROOT / "show_configs" / "ung-hoa-2025.initiatives.yaml"


async def _played(db: Path) -> None:
    stage = load_initiatives(FILE)
    now = [stage.submissions.opens + 1000]
    service = InitiativesService(stage, initiatives_log(db), FileStore(db.with_suffix(".files")), lambda: now[0])
    for n, unit in enumerate(["Xã Hòa Xá", "Thị trấn Vân Đình"]):
        await service.submit(unit, f"Mô hình {n + 1}", "Tóm tắt", f"091200000{n}")
    await service.review("m001", True)
    await service.review("m002", False, "Chưa đủ hồ sơ")
    now[0] = stage.voting.opens + 1000
    await service.vote("m001", "0930000000")
    await service.score("gk-1", "m001", {"impact": Decimal(30), "novelty": Decimal("20.5"), "scale": Decimal(20)})
    service.log.close()


def test_initiatives_export_writes_the_ranking_the_submissions_and_the_scores(tmp_path: Path, capsys) -> None:
    db = tmp_path / "stages.db"
    asyncio.run(_played(db))
    assert main(["initiatives", "export", str(FILE), "--db", str(db), "--out", str(tmp_path / "out")]) == 0
    assert [Path(p).name for p in capsys.readouterr().out.split()] == ["uh2025-models.csv", "uh2025-models.xlsx"]
    text = (tmp_path / "out" / "uh2025-models.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    # 0.7 x 70.5 + 0.3 x 100 = 79.35, a finalist
    assert ["1", "m001", "Mô hình 1", "Xã Hòa Xá", "1", "100", "100", "70.5", "79.35", "x"] in rows
    assert ["m002", "Thị trấn Vân Đình", "Mô hình 2", "0912000001", "rejected", "Chưa đủ hồ sơ"] in [
        r[:6] for r in rows
    ]
    assert ["m001", "Mô hình 1", "Nguyễn Văn Thành", "30", "20.5", "20", "70.5"] in rows
    book = load_workbook(tmp_path / "out" / "uh2025-models.xlsx")
    assert book.sheetnames == ["Xếp hạng", "Đã gửi", "Giám khảo"]
