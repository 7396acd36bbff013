"""Errors the show engine raises; every message is one a producer can act on.

An error is a catalogue key with parameters (``raise NotFound("rule.no_team", team=quote(t))``):
``message`` is its English sentence (what logs, tests and API clients read), ``words`` what the
wire carries for the pages to say in their own language. A parameter that is itself words (a
command's name, a round's, a role) is passed as words (``server.core.words.say``).
"""

from __future__ import annotations

from typing import Any

from server.core.words import Words


class ShowError(Exception):
    """Base of every error the show reports to a user."""

    code = "show_error"

    def __init__(self, key: str, /, **params: Any) -> None:
        # Words and sentence are built when first read: ``can`` tries every command a role might send
        # and most are refused, so a refusal nobody reads must cost no more than its raise.
        super().__init__(key)
        self._key = key
        self._params = params
        self._words: Words | None = None
        self._message: str | None = None

    def __str__(self) -> str:
        return self.message

    @property
    def words(self) -> Words:
        """The sentence as catalogue words, for the wire."""
        if self._words is None:
            self._words = Words(self._key, self._params)
        return self._words

    @property
    def message(self) -> str:
        """The sentence in English (a key the catalogue lacks, a typo or a newer server's, says itself)."""
        if self._message is None:
            self._message = self.words.text("en")
        return self._message

    @property
    def key(self) -> str:
        """The catalogue key of the sentence."""
        return self._key

    @property
    def params(self) -> dict[str, Any]:
        """The sentence's parameters as plain JSON (nested words as ``{"key", "params"}``)."""
        params: dict[str, Any] = self.words.wire()["params"]
        return params

    @property
    def vi(self) -> str:
        """The sentence in Vietnamese, as the controller shows it by default."""
        return self.words.text("vi")


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
