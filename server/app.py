"""The application factory: wires the log, the service and the transports together."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import socketio
from aiohttp import web
from msgspec import Struct

from server.access import load_access
from server.configs import load_show
from server.log.store import EventLog
from server.obs.link import ObsLink
from server.service import ShowService, now_ms
from server.transport import http
from server.transport.keys import ACCESS, HUB, SERVICE
from server.transport.overlays import add_overlays
from server.transport.pages import add_pages
from server.transport.plain_ws import without_deflate
from server.transport.sio import NAMESPACES, Hub

MAX_BODY = 64 * 1024


class Settings(Struct, frozen=True):
    config_path: Path
    db_path: Path
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None  # where phones reach this server, e.g. https://vote.example.vn
    obs: bool = True  # False: run without OBS even if the show config has an obs section


def create_app(settings: Settings, clock: Callable[[], int] = now_ms) -> web.Application:
    """A ready-to-run application for one show; resources open and close with the app."""
    config = load_show(settings.config_path)
    app = web.Application(client_max_size=MAX_BODY)
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        cors_allowed_origins=None,  # same origin only: our pages are served from here
        max_http_buffer_size=MAX_BODY,
        http_compression=False,
        ping_interval=25,
        ping_timeout=20,
    )
    without_deflate(sio)
    sio.attach(app)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        log = EventLog(settings.db_path)
        log.add_show(config, settings.config_path.read_text(encoding="utf-8"), clock())
        service = ShowService(config, log, clock)
        access = load_access(config, log)
        hub = Hub(sio, service, access)
        for namespace in NAMESPACES:
            sio.register_namespace(namespace(hub))
        app[SERVICE], app[ACCESS], app[HUB] = service, access, hub
        publisher = asyncio.create_task(hub.publish_forever())
        service.start()
        obs = _obs_link(config, settings, hub) if settings.obs else None
        if obs is not None:
            service.subscribe(lambda _: obs.follow(service.state.board))
            obs.start(service.state.board)
        # Long-lived objects (config, views, connections) need no re-scanning: fewer, shorter GC pauses.
        gc.collect()
        gc.freeze()
        yield
        service.stop()
        if obs is not None:
            await obs.stop()
        publisher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await publisher
        log.close()

    app.cleanup_ctx.append(lifecycle)
    http.add_routes(app)
    add_pages(app, config)
    add_overlays(app, config, settings.config_path.parent, settings.public_url)
    return app


def _obs_link(config, settings: Settings, hub: Hub) -> ObsLink | None:
    """The OBS link, if the show has an ``obs`` section; the password may come from the environment."""
    if config.obs is None:
        return None
    password = os.environ.get("SHOWCALLER_OBS_PASSWORD") or config.obs.password
    hub.obs = ObsLink(config, config.obs, password, on_status=lambda _: hub.presence_changed())
    return hub.obs
