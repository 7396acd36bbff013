"""A bare python-socketio server, the fanout bench's baseline: what an aiohttp + python-socketio app
does for a durable command and its broadcast, with nothing of showcaller's around it.

Run: python bench/bare_sio.py --port P --db PATH [--loop asyncio|uvloop]
- a client connects with auth ``{"role": "producer" | "graphic" | "phone"}``; graphics sit in the
  room "graphic", phones in the room "phones";
- ``score`` and ``poll`` (producer): appended to SQLite (WAL, synchronous=FULL: fsync'ed) before
  anything else, then emitted as ``{"rev": row id, ...}`` with python-socketio's own ``emit`` to the
  room "graphic" (``score``) or "phones" (``poll``); the ACK is ``{"ok": true, "rev": row id}``;
- ``time`` (anyone): ACK ``{"ok": true, "server_time": ms}``, the cheap request chatting phones send.
python-socketio's defaults otherwise (a task per event, its emit), except that websockets are accepted
without permessage-deflate, as showcaller does (server/transport/plain_ws.py): the same bytes on the wire.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import socketio
from aiohttp import web
from engineio.async_drivers import aiohttp as driver

ROOMS = {"graphic": "graphic", "phone": "phones"}


class _PlainWebSocket(driver.WebSocket):
    """python-engineio's aiohttp websocket, without the deflate extension."""

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        self._sock = web.WebSocketResponse(max_msg_size=self.server.max_http_buffer_size, compress=False)
        await self._sock.prepare(environ["aiohttp.request"])
        self.environ = environ
        await self.handler(self)
        return self._sock


def create_app(db: Path) -> web.Application:
    """The baseline's app: socket.io on it, its log in ``db``."""
    sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=25, ping_timeout=20)
    sio.eio._async = {**sio.eio._async, "websocket": _PlainWebSocket}
    log = sqlite3.connect(db, isolation_level=None)
    log.execute("PRAGMA journal_mode=WAL")
    log.execute("PRAGMA synchronous=FULL")
    log.execute("CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, kind TEXT, payload TEXT)")

    def append(kind: str, payload: Any) -> int:
        cursor = log.execute("INSERT INTO log (kind, payload) VALUES (?, ?)", (kind, json.dumps(payload)))
        return int(cursor.lastrowid or 0)

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        role = auth.get("role") if isinstance(auth, dict) else None
        if role in ROOMS:
            await sio.enter_room(sid, ROOMS[role])

    async def command(kind: str, room: str, payload: Any) -> dict[str, Any]:
        rev = append(kind, payload)
        await sio.emit(kind, {"rev": rev, "value": payload}, to=room)
        return {"ok": True, "rev": rev}

    @sio.event
    async def score(sid: str, payload: Any = None) -> dict[str, Any]:
        return await command("score", "graphic", payload)

    @sio.event
    async def poll(sid: str, payload: Any = None) -> dict[str, Any]:
        return await command("poll", "phones", payload)

    @sio.on("time")
    async def server_time(sid: str, payload: Any = None) -> dict[str, Any]:
        return {"ok": True, "server_time": int(time.time() * 1000)}

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    sio.attach(app)
    app.router.add_get("/healthz", healthz)

    async def close_log(app: web.Application) -> None:
        log.close()

    app.on_cleanup.append(close_log)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    args = parser.parse_args()
    loop = asyncio.new_event_loop()
    if args.loop == "uvloop":
        import uvloop

        loop = uvloop.new_event_loop()
    web.run_app(create_app(args.db), host="127.0.0.1", port=args.port, print=None, loop=loop)


if __name__ == "__main__":
    main()
