"""Free text typed by people (nicknames, guest names): shown on air, so cleaned of markup first."""

from __future__ import annotations

import re

_TAGS = re.compile(r"<[^>]*>")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MARKUP = re.compile(r"[<>&\"'`]")


def clean(raw: str) -> str:
    """Strip markup and control characters, fold runs of spaces."""
    return " ".join(_MARKUP.sub("", _CONTROL.sub(" ", _TAGS.sub("", raw))).split())
