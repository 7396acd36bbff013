"""The one catalogue of words: Vietnamese first, English on request, for the server and the pages alike.

It lives in ``controller/strings/*.json`` (a file per page or area, ``{"key": {"vi": …, "en": …}}``),
loaded as one; a key may appear in one file only. The core speaks in keys and parameters
(``render("rule.no_team", {"team": "x"}, "vi")``); the pages get the same files and render the
same keys with ``controller/static/ui.js``.

A parameter is plain text or a number, or itself words: ``{"key": …, "params": …}`` (a verb, a
role, a label inside a label), or ``{"vi": …, "en": …}`` for text that came with both languages
(labels logged before the catalogue held them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("vi", "en")
CATALOGUE = Path(__file__).resolve().parent.parent / "controller" / "strings"
PLACEHOLDER = re.compile(r"\{(\w+)\}")  # the same pattern as ui.js: other braces are plain text
TEXT = "common.said"  # words with no key of their own: ``{"text": …}`` says them as they are


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


def known(key: str) -> bool:
    """Whether ``key`` is in the catalogue."""
    return key in _catalogue()


def placeholders(text: str) -> set[str]:
    """The ``{name}`` placeholders of a catalogue text."""
    return set(PLACEHOLDER.findall(text))


def render(key: str, params: Mapping[str, Any] | None = None, lang: str = "en") -> str:
    """The text of ``key`` in ``lang`` with its ``{placeholders}`` filled from ``params``."""
    texts = _catalogue().get(key)
    if texts is None:  # a key from a newer server or a typo: say the key rather than fail
        return key
    template = texts.get(lang) or texts["vi"]
    params = params or {}
    return PLACEHOLDER.sub(lambda m: _param(params.get(m.group(1), ""), lang), template)


def _param(value: Any, lang: str) -> str:
    if isinstance(value, Mapping):
        if "key" in value:
            return render(value["key"], value.get("params"), lang)
        return str(value.get(lang) or value.get("en") or "")
    if hasattr(value, "key") and hasattr(value, "params"):  # words as a struct (server.core.words)
        return render(value.key, value.params, lang)
    return str(value)
