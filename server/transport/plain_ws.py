"""WebSockets without permessage-deflate for every socket.io client.

python-engineio's aiohttp driver accepts the deflate extension every browser offers: about 120 KiB
of zlib state per connection and about 30 % fewer messages a second. Our messages are small JSON
patches; thousands of phones matter more than a few bytes each.
"""

from __future__ import annotations

import socketio
from aiohttp.web import WebSocketResponse
from engineio.async_drivers import aiohttp as driver


class PlainWebSocket(driver.WebSocket):
    async def __call__(self, environ):
        request = environ["aiohttp.request"]
        self._sock = WebSocketResponse(max_msg_size=self.server.max_http_buffer_size, compress=False)
        await self._sock.prepare(request)
        self.environ = environ
        await self.handler(self)
        return self._sock


def without_deflate(sio: socketio.AsyncServer) -> None:
    """Make ``sio`` answer websocket upgrades with ``PlainWebSocket`` (this server only)."""
    sio.eio._async = {**sio.eio._async, "websocket": PlainWebSocket}
