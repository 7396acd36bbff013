"""``wait_for_function`` that works under the pages' CSP.

Playwright's own ``wait_for_function`` runs its predicate through the page's ``eval``, which our
``script-src 'self'`` (rightly) refuses. The same predicate through ``evaluate`` goes over the DevTools
protocol, outside the page's CSP, so the tests keep the CSP on and still wait for conditions.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from playwright.async_api import Error, Frame, Page
from playwright.async_api import TimeoutError as PlaywrightTimeout

DEFAULT_TIMEOUT_MS = 30_000
POLL_S = 0.03  # between two looks at the condition, as Playwright's own polling does


async def _wait_for_function(
    self: Page | Frame, expression: str, *, arg: Any = None, timeout: float | None = None, polling: Any = None
) -> Any:
    """Poll ``expression`` (a JS expression or function of ``arg``) until it is truthy; its handle."""
    limit = time.monotonic() + (DEFAULT_TIMEOUT_MS if timeout is None else timeout) / 1000
    interval = polling / 1000 if isinstance(polling, int | float) else POLL_S
    last = ""
    while True:
        try:
            handle = await self.evaluate_handle(expression, arg)
            if await handle.evaluate("(value) => Boolean(value)"):
                return handle
            await handle.dispose()
        except Error as exc:  # a navigation between two looks: look again in the new document
            if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
                raise
            last = str(exc)
        if time.monotonic() > limit:
            raise PlaywrightTimeout(f"wait_for_function: {expression[:200]!r} still false after {timeout} ms {last}")
        await asyncio.sleep(interval)


def install() -> None:
    """Replace Page's and Frame's ``wait_for_function`` for the browser tests."""
    Page.wait_for_function = _wait_for_function  # type: ignore[method-assign,assignment]
    Frame.wait_for_function = _wait_for_function  # type: ignore[method-assign,assignment]
