"""Words from the wire ({key, params}: an error, a label) as a page in each language says them."""

from __future__ import annotations

from typing import Any

from server import i18n


def vi(words: dict[str, Any]) -> str:
    """The Vietnamese page's sentence."""
    return i18n.render(words["key"], words["params"], "vi")


def en(words: dict[str, Any]) -> str:
    """The English page's sentence (an error's ``message``)."""
    return i18n.render(words["key"], words["params"], "en")
