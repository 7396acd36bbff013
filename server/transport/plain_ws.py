"""WebSockets without permessage-deflate for every socket.io client, and closed as the server stops.

python-engineio's aiohttp driver accepts the deflate extension every browser offers: about 120 KiB
of zlib state per connection and about 30 % fewer messages a second. Our messages are small JSON
patches; thousands of phones matter more than a few bytes each.
"""

from __future__ import annotations

import asyncio

import socketio
from aiohttp import WSCloseCode
from aiohttp.web import WebSocketResponse
from engineio.async_drivers import aiohttp as driver

CLOSE_WAIT = 2.0  # seconds a closing websocket waits for the client's goodbye


class PlainWebSocket(driver.WebSocket):
    sockets: set[WebSocketResponse]  # the open ones (each server its own set: ``without_deflate``)

    async def __call__(self, environ):
        request = environ["aiohttp.request"]
        self._sock = WebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=False, timeout=CLOSE_WAIT
        )
        await self._sock.prepare(request)
        self.environ = environ
        self.sockets.add(self._sock)
        try:
            await self.handler(self)
        finally:
            self.sockets.discard(self._sock)
        return self._sock


def without_deflate(sio: socketio.AsyncServer) -> set[WebSocketResponse]:
    """Make ``sio`` answer websocket upgrades with ``PlainWebSocket`` (this server only); the set of
    its open websockets, for ``hang_up``."""
    sockets: set[WebSocketResponse] = set()
    plain = type("PlainWebSocket", (PlainWebSocket,), {"sockets": sockets})
    sio.eio._async = {**sio.eio._async, "websocket": plain}
    return sockets


async def hang_up(sio: socketio.AsyncServer, sockets: set[WebSocketResponse]) -> None:
    """Close every connection as the server stops: aiohttp would wait up to a minute for clients to
    leave. Overlays, pads, controllers and phones see the close and reconnect once the server is back."""
    # Websockets just close, as when the network drops: every socket.io client reconnects after that
    # (python-socketio's client would not after engine.io's own goodbye). Long-polling clients get
    # the goodbye, which ends the poll they hold open.
    polling = [socket for socket in sio.eio.sockets.values() if not socket.upgraded]
    closing = [asyncio.ensure_future(ws.close(code=WSCloseCode.GOING_AWAY)) for ws in list(sockets)]
    closing += [asyncio.ensure_future(socket.close(wait=False)) for socket in polling]
    if closing:
        # A client that reads nothing (its buffers full) would hold a close forever: it is cut off.
        _, late = await asyncio.wait(closing, timeout=CLOSE_WAIT + 1)
        for task in late:
            task.cancel()
        await asyncio.gather(*closing, return_exceptions=True)
