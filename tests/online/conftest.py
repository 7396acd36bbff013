"""The Ứng Hòa online quiz, as tests use it: its file read, its window opened around a fixed clock."""

from __future__ import annotations

from pathlib import Path

import pytest
from msgspec.structs import replace

from server.configs.quiz import load_quiz
from server.core.quiz.config import QuizConfig

ROOT = Path(__file__).resolve().parents[2]
QUIZ_FILE = ROOT / "show_configs" / "ung-hoa-2025.quiz.yaml"
OPENS = 1_757_894_400_000  # 2025-09-15T07:00:00+07:00


@pytest.fixture(scope="session")
def ung_hoa() -> QuizConfig:
    return load_quiz(QUIZ_FILE)


@pytest.fixture
def quiz(ung_hoa: QuizConfig) -> QuizConfig:
    """The quiz with a 10-minute attempt, to keep the numbers small."""
    return replace(ung_hoa, duration=600_000)
