"""Quiz files: the shipped one reads, and every mistake is named with its line and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.cli import main
from server.configs import ConfigError
from server.configs.quiz import load_quiz
from server.core.quiz.config import Method
from tests.online.conftest import OPENS, QUIZ_FILE

GOOD = """\
quiz:
  id: q
  title: "Thi thử"
  opens: "2025-09-15T07:00:00+07:00"
  closes: "2025-09-16T07:00:00+07:00"
  minutes: 10
  draw: 2
units: ["Xã A", "Xã B"]
bank:
  - { id: a, text: "Một?", choices: ["1", "2"], answer: A }
  - { id: b, text: "Hai?", choices: ["1", "2", "3"], answer: B }
"""


def test_the_ung_hoa_quiz_reads_as_its_organizers_wrote_it(ung_hoa) -> None:
    assert ung_hoa.id == "uh2025-quiz" and ung_hoa.draw == 20 and len(ung_hoa.bank) >= 25
    assert ung_hoa.opens == OPENS and ung_hoa.duration == 30 * 60_000
    assert ung_hoa.scoring.method is Method.ACCURACY_THEN_TIME and ung_hoa.essay is not None
    assert "Xã Hòa Xá" in ung_hoa.units and len(ung_hoa.judges) == 3


@pytest.mark.parametrize("argv", [["quiz", "check"], ["check"]])
def test_check_summarises_a_quiz_file(capsys, argv) -> None:
    assert main([*argv, str(QUIZ_FILE)]) == 0
    assert "20 of 30 questions, an essay, 29 units, 30 min each" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("answer: B", "answer: D"), ":11: bank[1].answer: expected one of A, B, C, got 'D'"),
        (("draw: 2", "draw: 3"), ":7: quiz.draw: expected at most the bank's 2 question(s), got 3"),
        (('closes: "2025-09-16', 'closes: "2025-09-14'), ":5: quiz.closes: expected a moment after 'opens'"),
        (
            ('"2025-09-15T07:00:00+07:00"', '"2025-09-15T07:00:00"'),
            ":4: quiz.opens: expected a moment with its time zone",
        ),
        (
            ('"2025-09-15T07:00:00+07:00"', "tomorrow"),
            ":4: quiz.opens: expected a moment like 2025-09-01T07:00:00+07:00",
        ),
        (('units: ["Xã A", "Xã B"]', 'units: ["Xã A", "Xã A"]'), ":8: units: a unit is listed twice"),
        (("minutes: 10", "minute: 10"), ":6: quiz.minute: unknown key (did you mean 'minutes'?)"),
        (
            ("units:", "scoring: { method: weighted, accuracy_weight: 0.5, time_weight: 0.4 }\nunits:"),
            ":8: scoring: expected accuracy_weight and time_weight to add up to 1, got 0.5 + 0.4",
        ),
        (
            ("units:", "essay: { prompt: Viết, criteria: [{ id: c, title: C, max: 10 }] }\nunits:"),
            ":1: (top): an essay needs 'judges' to mark it",
        ),
    ],
)
def test_every_mistake_is_named_with_its_line_and_key(tmp_path: Path, change, expected) -> None:
    path = tmp_path / "bad.quiz.yaml"
    path.write_text(GOOD.replace(*change), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_quiz(path)
    assert any(line.endswith(expected) or expected in line for line in caught.value.errors), caught.value.errors
    assert all(line.startswith(str(path)) for line in caught.value.errors)


def test_a_good_small_quiz_reads(tmp_path: Path) -> None:
    path = tmp_path / "good.quiz.yaml"
    path.write_text(GOOD, encoding="utf-8")
    quiz = load_quiz(path)
    assert quiz.bank[1].answer == 1 and quiz.essay is None and quiz.units == ("Xã A", "Xã B")
