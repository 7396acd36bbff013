"""`check` warns when a team's name cannot fit the scoreboard, measured in the theme's font."""

from __future__ import annotations

from pathlib import Path

from server.cli import main
from server.configs.typeset import NAME_MIN, NAME_SIZE, fits, scoreboard_card, text_width
from tests.configs.test_check import VALID, write

LONG = "Đội tuyển Trường Trung học phổ thông chuyên Nguyễn Bỉnh Khiêm"  # 61 characters


def three_teams(second: str) -> str:
    """VALID with a third team (three cards share the scoreboard) and the second team as given."""
    teams = f"  - {{id: hoi-an, {second}}}\n  - {{id: tien-phuoc, name: Đội Tiên Phước}}\n"
    return VALID.replace("  - {id: hoi-an, name: Đội Hội An}\n", teams)


def check(tmp_path: Path, text: str, capsys) -> tuple[int, list[str]]:
    code = main(["check", str(write(tmp_path, text))])
    return code, [line for line in capsys.readouterr().err.splitlines() if "teams[" in line]


def test_names_that_fit_raise_no_warning(tmp_path: Path, capsys) -> None:
    assert check(tmp_path, VALID, capsys) == (0, [])


def test_a_name_too_long_is_named_with_its_line(tmp_path: Path, capsys) -> None:
    assert len(LONG) == 61
    text = three_teams(f"name: {LONG}")
    code, warnings = check(tmp_path, text, capsys)
    assert code == 0  # usable: a warning, not an error
    path = tmp_path / "show.yaml"
    assert warnings == [
        f"{path}:7: teams[1].name: '{LONG}' does not fit the scoreboard's name box "
        f"({scoreboard_card(3, 2).name_width} px) even at {NAME_SIZE * NAME_MIN:.0f} px on two lines; "
        "give the team a shorter short_name (it is shown where space is short)"
    ]


def test_a_short_name_that_fits_silences_it(tmp_path: Path, capsys) -> None:
    text = three_teams(f"name: {LONG}, short_name: Chuyên Nguyễn Bỉnh Khiêm")
    assert check(tmp_path, text, capsys) == (0, [])


def test_a_short_name_too_long_is_named_instead(tmp_path: Path, capsys) -> None:
    text = three_teams(f"name: {LONG}, short_name: {LONG[:40]}")
    code, warnings = check(tmp_path, text, capsys)
    assert code == 0 and len(warnings) == 1
    assert ":7: teams[1].short_name: neither" in warnings[0]


def test_measures_the_real_font() -> None:
    # Be Vietnam Pro Bold: a wide "W" and a narrow "i"; diacritics come from the Vietnamese subset.
    assert text_width("W", 100) > 2 * text_width("i", 100)
    assert text_width("Đội Huyện Nam Trà My", 34) > text_width("Doi Huyen Nam Tra My", 34) * 0.95
    box = scoreboard_card(3, 2).name_width
    assert not fits("Đội Huyện Nam Trà My", box, NAME_SIZE, lines=1)  # one line at full size: no
    assert fits("Đội Huyện Nam Trà My", box)  # two lines at the smallest: yes
    assert not fits(LONG, box)
