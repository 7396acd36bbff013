"""Words the core says: a catalogue key and its parameters, rendered in each language by ``server.i18n``."""

from __future__ import annotations

from typing import Any

from msgspec import Struct, field

from server import i18n


class Words(Struct, frozen=True):
    """A sentence as a catalogue key with parameters (text, numbers, or nested words)."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Plain JSON from the start, so words read back from the log equal the words written.
        for name, value in self.params.items():
            self.params[name] = _plain(value)

    def text(self, lang: str = "en") -> str:
        """The sentence in ``lang``."""
        return i18n.render(self.key, self.params, lang)

    def wire(self) -> dict[str, Any]:
        """``{"key", "params"}`` as plain JSON, nested words included."""
        return {"key": self.key, "params": self.params}


def say(key: str, **params: Any) -> Words:
    """Words for ``key`` with ``params``."""
    return Words(key, params)


def both(english: str, vietnamese: str = "") -> Words:
    """Text that came with both languages and no key (old labels, errors raised the old way)."""
    return Words(i18n.TEXT, {"text": {"en": english, "vi": vietnamese or english}})


def _plain(value: Any) -> Any:
    if isinstance(value, Words):
        return value.wire()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)  # Decimal and the like: as the English sentence writes them
