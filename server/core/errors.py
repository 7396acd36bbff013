"""Errors the show engine raises; every message is one a producer can act on.

Each carries its sentence in English (``message``, what logs, tests and API clients read) and in
Vietnamese (``vi``, what the controller shows by default).
"""

from __future__ import annotations


class ShowError(Exception):
    """Base of every error the show reports to a user."""

    code = "show_error"

    def __init__(self, message: str, vi: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.vi = vi or message  # an untranslated message still says something


class RuleError(ShowError):
    """A command that the rules do not allow now; nothing changed."""

    code = "rule"


class PhaseError(RuleError):
    """A command that makes no sense in the current phase."""

    code = "phase"


class NotFound(RuleError):
    """A command naming a team, judge, question or segment the show does not have."""

    code = "not_found"


class Forbidden(RuleError):
    """A command from someone not entitled to give it."""

    code = "forbidden"


class InvalidCommand(RuleError):
    """A command whose values are out of range or malformed."""

    code = "invalid"


def quote(text: object, limit: int = 40) -> str:
    """User input as it appears inside a message: shortened, never a wall of text."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
