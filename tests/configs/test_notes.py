"""The host's notes in a show file: optional text on a question and on a segment, named precisely when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.configs import load_show
from tests.configs.test_check import ROOT, VALID, errors_of, write

NOTES = VALID.replace(
    "answer: A}",
    'answer: A,\n      notes: "Đề án 06 ra đời năm 2022."}',
).replace(
    "    round: speed\n",
    "    round: speed\n    notes: |\n      Bốn câu hỏi, 30 giây mỗi câu.\n      Đáp án công bố sau khi đóng trả lời.\n",
)


def test_notes_are_optional_text_on_questions_and_segments(tmp_path: Path) -> None:
    config = load_show(write(tmp_path, NOTES))
    assert config.questions["q1"].notes == "Đề án 06 ra đời năm 2022."
    assert config.questions["q2"].notes == ""
    accel, greet = config.rundown
    assert accel.notes == "Bốn câu hỏi, 30 giây mỗi câu.\nĐáp án công bố sau khi đóng trả lời."
    assert greet.notes == ""


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            '"Đề án 06 ra đời năm 2022."',
            "[Đề án, 06]",
            "show.yaml:12: questions[0].notes: expected text (the host's notes), got a list",
        ),
        ('"Đề án 06 ra đời năm 2022."', "2022", "show.yaml:12: questions[0].notes: expected text (the host's notes)"),
        (
            "    notes: |\n      Bốn câu hỏi, 30 giây mỗi câu.\n      Đáp án công bố sau khi đóng trả lời.\n",
            "    notes: {vi: Bốn câu hỏi}\n",
            "rundown[0].notes: expected text (the host's notes)",
        ),
        (
            '"Đề án 06 ra đời năm 2022."',
            '"' + "x" * 2001 + '"',
            "questions[0].notes: expected at most 2000 characters, got 2001",
        ),
        (
            "    round: speed\n",
            "    round: speed\n    note: Chào\n",
            "rundown[0].note: unknown key (did you mean 'notes'?)",
        ),
    ],
)
def test_wrong_notes_are_named(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in NOTES
    errors = errors_of(tmp_path, NOTES.replace(old, new, 1))
    assert any(expected in e for e in errors), errors


def test_the_shipped_qualifier_has_notes_for_the_host() -> None:
    config = load_show(ROOT / "show_configs" / "quang-nam-2024-qualifier.yaml")
    assert all(segment.notes for segment in config.rundown)
    assert sum(bool(q.notes) for q in config.questions.values()) >= 8
    assert all(config.questions[q].notes for q in config.tiebreak.questions)
