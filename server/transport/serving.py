"""Serving one forked process of ``run`` (``server/transport/keeper.py``): the show's owner on the listening
sockets, handing phones' websockets over to the phones process (``server/transport/handoff.py``), or the
phones process itself, which listens on nothing and serves what it is handed.

aiohttp's ``web.run_app``, with the owner's connections first seen by the handoff."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Coroutine
from typing import Any

from aiohttp import web

from server.transport.keys import HANDOFF, OWNER_LINE


class HandoffSite(web.SockSite):
    """A listening socket whose connections the handoff sees first."""

    async def start(self) -> None:
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None
        factory = self._runner.app[HANDOFF].factory(server)  # type: ignore[attr-defined]
        self._server = await asyncio.get_running_loop().create_server(factory, sock=self._sock, backlog=self._backlog)


async def _serve(app: web.Application, sockets: list[socket.socket], grace: float) -> None:
    runner = web.AppRunner(app, handle_signals=True, shutdown_timeout=grace, access_log=None)
    await runner.setup()
    try:
        if OWNER_LINE in app:  # the phones process: the owner hands it its connections
            assert runner.server is not None
            await app[OWNER_LINE].take_connections(runner.server)  # until a signal stops it (GracefulExit)
        site = HandoffSite if HANDOFF in app else web.SockSite
        for sock in sockets:
            await site(runner, sock).start()
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def serve(app: web.Application, sockets: list[socket.socket], loop: asyncio.AbstractEventLoop, grace: float) -> None:
    """Serve ``app`` on ``sockets`` until SIGINT or SIGTERM; ``grace``: seconds for requests in flight."""
    _run(_serve(app, sockets, grace), loop)


def _run(main: Coroutine[Any, Any, None], loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    task = loop.create_task(main)
    try:
        loop.run_until_complete(task)
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    finally:
        try:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    loop.run_until_complete(task)
        finally:
            rest = asyncio.all_tasks(loop)
            for other in rest:
                other.cancel()
            loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
