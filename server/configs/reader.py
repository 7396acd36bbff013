"""Typed reads from located YAML values, each failure reported with its line and key path."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from server.configs.source import LocatedDict, LocatedList


class Problem(Exception):
    """One thing wrong at one place; raised to abandon the value being read."""

    def __init__(self, line: int, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.line = line
        self.path = path
        self.message = message


class Problems:
    """Collects every problem of a file so the user sees all of them at once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, problem: Problem) -> None:
        if not any((p.line, p.path, p.message) == (problem.line, problem.path, problem.message) for p in self.items):
            self.items.append(problem)


def show(value: Any) -> str:
    """How a wrong value is quoted back to the user."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Node:
    """A value at a key path, with the line it came from."""

    def __init__(self, value: Any, path: str, line: int, problems: Problems) -> None:
        self.value = value
        self.path = path
        self.line = line
        self.problems = problems

    def fail(self, message: str) -> Problem:
        return Problem(self.line, self.path or "(top)", message)

    def expected(self, what: str) -> Problem:
        return self.fail(f"expected {what}, got {show(self.value)}")

    # -- containers -----------------------------------------------------------------------

    def mapping(self, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> Node:
        if not isinstance(self.value, LocatedDict):
            raise self.expected("a mapping")
        for key, line in self.value.duplicates:
            self.problems.add(Problem(line, self._child_path(key), "duplicate key"))
        for key in self.value:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.problems.add(
                    Problem(
                        self.value.key_lines[key],
                        self._child_path(key),
                        f"unknown key{extra}; allowed here: {', '.join(allowed)}",
                    )
                )
        for key in required:
            if key not in self.value:
                self.problems.add(self.fail(f"missing required key '{key}'"))
        return self

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and key in self.value

    def get(self, key: str) -> Node | None:
        if not self.has(key) or self.value[key] is None:
            return None
        return self[key]

    def __getitem__(self, key: str) -> Node:
        if not isinstance(self.value, LocatedDict) or key not in self.value:
            raise self.fail(f"missing required key '{key}'")
        return Node(self.value[key], self._child_path(key), self.value.key_lines[key], self.problems)

    def items(self) -> Iterator[tuple[Any, Node]]:
        if not isinstance(self.value, LocatedDict):
            raise self.expected("a mapping")
        for key, value in self.value.items():
            yield key, Node(value, self._child_path(key), self.value.key_lines[key], self.problems)

    def list(self, min_len: int = 0, max_len: int | None = None) -> list[Node]:
        if not isinstance(self.value, LocatedList):
            raise self.expected("a list")
        if len(self.value) < min_len:
            raise self.fail(f"expected at least {min_len} item(s), got {len(self.value)}")
        if max_len is not None and len(self.value) > max_len:
            raise self.fail(f"expected at most {max_len} item(s), got {len(self.value)}")
        return [Node(v, f"{self.path}[{i}]", self.value.item_lines[i], self.problems) for i, v in enumerate(self.value)]

    def _child_path(self, key: Any) -> str:
        return f"{self.path}.{key}" if self.path else str(key)

    # -- scalars --------------------------------------------------------------------------

    def str(self, max_len: int = 500) -> str:
        if isinstance(self.value, bool) or not isinstance(self.value, str | int | float):
            raise self.expected("text")
        text = str(self.value).strip()
        if not text:
            raise self.expected("non-empty text")
        if len(text) > max_len:
            raise self.fail(f"expected at most {max_len} characters, got {len(text)}")
        return text

    def ident(self) -> str:
        text = self.str(max_len=64)
        if not all(c.isascii() and (c.isalnum() or c in "-_") for c in text):
            raise self.expected("an id of ASCII letters, digits, '-' or '_'")
        return text

    def bool(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.expected("true or false")
        return self.value

    def int(self, lo: int | None = None, hi: int | None = None) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.expected(_range_text("a whole number", lo, hi))
        if (lo is not None and self.value < lo) or (hi is not None and self.value > hi):
            raise self.expected(_range_text("a whole number", lo, hi))
        return self.value

    def decimal(self, lo: Decimal | None = None, hi: Decimal | None = None, what: str = "a number") -> Decimal:
        if isinstance(self.value, bool) or not isinstance(self.value, int | float):
            raise self.expected(_range_text(what, lo, hi))
        try:
            number = Decimal(str(self.value))
        except InvalidOperation:
            raise self.expected(what) from None
        if not number.is_finite() or (lo is not None and number < lo) or (hi is not None and number > hi):
            raise self.expected(_range_text(what, lo, hi))
        return number

    def seconds(self, hi: int = 3600) -> int:
        """A duration written in seconds, returned in milliseconds."""
        return int(self.decimal(Decimal("0.1"), Decimal(hi), what="a duration in seconds") * 1000)

    def choice(self, options: tuple[str, ...]) -> str:
        if self.value not in options:
            raise self.expected("one of " + ", ".join(options))
        return self.value


def _range_text(what: str, lo: Any, hi: Any) -> str:
    if lo is not None and hi is not None:
        return f"{what} from {lo} to {hi}"
    if lo is not None:
        return f"{what} of at least {lo}"
    if hi is not None:
        return f"{what} of at most {hi}"
    return what
