"""``python -m server season|export|check`` on season files: what the organizers type."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from server.cli import main

ROOT = Path(__file__).resolve().parents[2]
QUANG_NAM = ROOT / "show_configs" / "quang-nam-2024.season.yaml"


def test_a_season_from_the_command_line(tmp_path: Path, capsys) -> None:
    db = tmp_path / "season.db"
    season = ["season", str(QUANG_NAM), "--db", str(db)]
    assert main([*season, "status"]) == 0
    assert "Next: Vòng loại by draw" in capsys.readouterr().out
    assert main([*season, "confirm", "vl", "--seed", "7"]) == 0
    assert main([*season, "play", "--until", "vl"]) == 0
    out = capsys.readouterr().out
    assert "Next: Bán kết, as the rules say (confirm it): qn2024-bk-1:" in out
    assert main([*season, "confirm", "bk"]) == 0
    capsys.readouterr()
    assert main([*season, "play"]) == 0
    out = capsys.readouterr().out
    assert "champion" in out and "Next:" not in out
    assert main([*season, "correct", "vl-1", "nobody", "5", "lý do"]) == 1
    assert "did not play" in capsys.readouterr().err
    assert main([*season, "correct", "vl-1", "hoi-an", "five", "lý do"]) == 1
    assert "points: expected a number" in capsys.readouterr().err
    assert main(["export", str(QUANG_NAM), "--db", str(db), "--out", str(tmp_path / "out"), "--show", "ck-1"]) == 0
    paths = capsys.readouterr().out.split()
    assert [Path(p).name for p in paths] == ["qn2024-ck-1.csv", "qn2024-ck-1.xlsx", "qn2024-ck-1.html"]
    assert openpyxl.load_workbook(paths[1]).sheetnames[0]
    assert main(["export", str(QUANG_NAM), "--db", str(db), "--show", "zz"]) == 1
    assert "its shows: vl-1" in capsys.readouterr().err


def test_a_season_show_that_is_not_confirmed_cannot_be_run(tmp_path: Path, capsys) -> None:
    argv = ["run", "--season", str(QUANG_NAM), "--show", "bk-1", "--db", str(tmp_path / "s.db"), "--no-obs"]
    assert main(argv) == 1
    assert "Bán kết: confirm its line-ups first" in capsys.readouterr().err
    assert main(["run", "--season", str(QUANG_NAM), "--db", str(tmp_path / "s.db")]) == 2
    assert "needs --show" in capsys.readouterr().err
    assert main(["run", "--season", str(QUANG_NAM), "--show", "zz-9", "--db", str(tmp_path / "s.db")]) == 1
    assert "no show 'zz-9' in the season" in capsys.readouterr().err


def test_season_files_are_checked_with_every_problem_and_its_line(tmp_path: Path, capsys) -> None:
    for shipped in sorted((ROOT / "show_configs").glob("*.season.yaml")):
        assert main(["check", str(shipped)]) == 0
        assert "teams;" in capsys.readouterr().out
    bad = tmp_path / "bad.season.yaml"
    (tmp_path / "show.yaml").write_text((ROOT / "show_configs" / "quang-nam-2024-qualifier.yaml").read_text())
    (tmp_path / "media").symlink_to(ROOT / "show_configs" / "media")
    bad.write_text(
        """\
season: {id: s, title: "Mùa thử"}
compare: [draw, points]
stages:
  - {id: a, title: A, show: show.yaml, shows: 3, size: 3}
  - id: b
    title: B
    show: show.yaml
    shows: 1
    entrants:
      - {from: c, place: 1}
  - {id: d, title: D, show: missing.yaml, shows: 1, entrants: [{from: a, place: 5}]}
teams:
  - {id: t1, name: T1}
  - {id: t1, name: T2}
  - {id: t3, name: T3}
  - {id: t4, name: T4}
  - {id: t5, name: T5}
  - {id: t6, name: T6}
  - {id: t7, name: T7}
"""
    )
    assert main(["check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:2: compare: expected 'points' first" in err
    assert "no earlier stage 'c' (earlier stages: a)" in err
    assert "entrants[0].place: expected a whole number from 1 to 3, got 5" in err
    assert "duplicate team id 't1'" in err
    bad.write_text(bad.read_text().replace("shows: 3, size: 3", "shows: 2, size: 3"))
    assert main(["check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:4: stages[0]: 7 teams do not fit 2 shows of 2 to 3 teams" in err
    assert "earlier stages: none" not in err and "place" not in err  # nothing said twice
    assert "missing.yaml: cannot read the file" in err
