"""JSON merge patches (RFC 7396) between two views: what a client needs to catch up."""

from __future__ import annotations

from typing import Any

_MISSING = object()


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The merge patch turning ``old`` into ``new``; ``None`` values mean "remove the key".

    Lists and scalars are replaced whole. A key whose new value is ``None`` is sent as
    ``None`` too, so a client reading a missing key as null sees the same view.
    """
    out: dict[str, Any] = {}
    for key, value in new.items():
        before = old.get(key, _MISSING)
        if before is value or (before == value and type(before) is type(value)):
            continue  # equal subtrees: one C-level comparison instead of a walk
        if isinstance(value, dict) and isinstance(before, dict):
            inner = diff(before, value)
            if inner:
                out[key] = inner
        else:
            out[key] = value
    for key in old:
        if key not in new:
            out[key] = None
    return out


def merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Apply a merge patch (what clients do); returns a new dict."""
    out = dict(target)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out
