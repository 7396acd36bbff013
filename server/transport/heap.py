"""Garbage-collector tuning for a server holding thousands of connections: long-lived objects are
moved to the permanent generation so that collections stop re-scanning them."""

from __future__ import annotations

import asyncio
import gc
import time

FREEZE_AFTER = 2.0  # seconds of quiet after a wave of joins before the new connections are frozen
FREEZE_WAVE = 200  # connections that make a wave worth freezing


class JoinWaves:
    """Freezes the heap once a wave of joins (a hall scanning the QR code) has gone quiet."""

    def __init__(self) -> None:
        self._joins, self._last_join = 0, 0.0
        self._freeze_due: asyncio.TimerHandle | None = None

    def joined(self) -> None:
        """A connection joined. After a wave of them, once it is quiet, move everything alive into the
        garbage collector's permanent generation: thousands of connections' objects are then no longer
        re-scanned by every collection (pauses of hundreds of milliseconds at 5,000 phones otherwise;
        app.py froze the startup heap the same way)."""
        self._joins += 1
        self._last_join = time.monotonic()
        if self._freeze_due is None:
            self._freeze_due = asyncio.get_running_loop().call_later(FREEZE_AFTER, self._freeze)

    def _freeze(self) -> None:
        self._freeze_due = None
        quiet = time.monotonic() - self._last_join
        if quiet < FREEZE_AFTER / 2:
            self._freeze_due = asyncio.get_running_loop().call_later(FREEZE_AFTER - quiet, self._freeze)
        elif self._joins >= FREEZE_WAVE:
            self._joins = 0
            gc.freeze()
