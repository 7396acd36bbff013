"""The one catalogue of interface strings: Vietnamese first, English on request.

It lives in ``controller/strings/*.json`` (a file per page, ``{"key": {"vi": …, "en": …}}``),
loaded as one; a key may appear in one file only.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGUAGES = ("vi", "en")
CATALOGUE = Path(__file__).resolve().parent.parent / "controller" / "strings"


@cache
def _catalogue() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(CATALOGUE.glob("*.json")):
        for key, texts in json.loads(path.read_text(encoding="utf-8")).items():
            if key in merged:
                raise ValueError(f"{path.name}: string '{key}' is already defined in another file")
            merged[key] = texts
    return merged


def strings(language: str) -> dict[str, str]:
    """Every string in ``language`` (falling back to Vietnamese)."""
    language = language if language in LANGUAGES else "vi"
    return {key: texts.get(language) or texts["vi"] for key, texts in _catalogue().items()}


def missing() -> list[str]:
    """Keys lacking a language: the catalogue must be complete."""
    return [f"{key}.{lang}" for key, texts in _catalogue().items() for lang in LANGUAGES if not texts.get(lang)]
