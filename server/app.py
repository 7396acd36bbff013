"""The application factory: wires the log, the service and the transports together."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import json
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web
from msgspec import Struct
from msgspec.structs import replace
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from server.configs import load_show
from server.configs.initiatives import load_initiatives
from server.configs.quiz import load_quiz
from server.core.config import ShowConfig
from server.core.initiatives.book import Event as InitiativesEvent
from server.core.initiatives.book import InitiativesBook
from server.core.initiatives.config import Window
from server.core.quiz.book import Event as QuizEvent
from server.core.quiz.book import QuizBook
from server.log.stage_log import StageLog
from server.log.store import EventLog
from server.obs.link import ObsLink
from server.online.files import FileStore
from server.online.initiatives_service import (
    EdgeInitiativesService,
    InitiativesService,
    initiatives_log,
    initiatives_ops,
)
from server.online.otp import ConsoleSender, Sender
from server.online.quiz_service import EdgeQuizService, QuizService, quiz_log, quiz_ops
from server.online.stage_link import EdgeLink, OwnerLink
from server.season.book import SeasonBook
from server.season.live import SeasonDesk, season_show_config
from server.show.service import ShowService, now_ms
from server.transport import http
from server.transport.access import load_access
from server.transport.address import DEFAULT_HOST, DESK_URL, LISTEN_HOST
from server.transport.ballots import LocalBallots
from server.transport.cluster import EdgeShow, Keys, Owner, RedisBallots
from server.transport.frames import GuardedServer
from server.transport.handoff import Handoff
from server.transport.headers import add_security_headers
from server.transport.hub import EDGE_ROLES, Hub
from server.transport.identity import PHONES_PER_ADDRESS, Phones, load_secret
from server.transport.initiatives_api import FORM_MOST, INITIATIVES, InitiativesApi, add_initiatives_routes
from server.transport.keys import ACCESS, HANDOFF, HUB, OWNER_LINE, SERVICE
from server.transport.limits import TRUSTED_PROXIES, TrustedProxies, proxy_headers
from server.transport.namespaces import NAMESPACES, AudienceNamespace
from server.transport.overlays import add_overlays
from server.transport.pads import add_pads
from server.transport.pages import add_pages
from server.transport.phones_link import PHONES_PATH, PhonesLink
from server.transport.phones_process import OwnerLine
from server.transport.quiz_api import QUIZ, QuizApi, add_quiz_routes
from server.transport.rooms import RedisRooms, Rooms
from server.transport.screen import add_screen
from server.transport.sockets import hang_up, plain_websockets
from server.transport.stage_pages import add_initiatives_pages, add_quiz_pages

MAX_BODY = 64 * 1024


class Settings(Struct, frozen=True):
    config_path: Path
    db_path: Path
    host: str = DEFAULT_HOST  # every interface: the hall's devices must reach it (server/transport/address.py)
    port: int = 8080
    public_url: str | None = None  # where phones reach this server, e.g. https://vote.example.vn
    obs: bool = True  # False: run without OBS even if the show config has an obs section
    redis: str | None = None  # several processes sharing one Redis (server/transport/cluster.py)
    owner: bool = True  # with ``redis``: this process owns the show (exactly one does); else an edge
    season_path: Path | None = None  # a season file: the show is its show ``season_show`` (e.g. "vl-1")
    season_show: str | None = None
    trusted_proxies: tuple[str, ...] = ()  # peers whose X-Forwarded-For/-Proto are believed (nginx)
    phones_per_address: int = PHONES_PER_ADDRESS  # new phone identities one address may take at once
    desk_url: str | None = None  # where the controller and the pads reach the owner of a cluster
    # One machine's phones process (server/transport/phones_link.py): the link's name, on both sides.
    phones_link: str | None = None
    phones_process: bool = False  # with ``phones_link``: this is the phones process, not the owner

    @property
    def desk_base(self) -> str | None:
        """Where the desk's devices are sent: ``desk_url``; else, in one process, ``public_url``; else
        (the public URL of a cluster is its edges', which serve no desk page) this machine's address."""
        return self.desk_url or (None if self.redis else self.public_url)


def create_app(settings: Settings, clock: Callable[[], int] = now_ms) -> web.Application:
    """A ready-to-run application for one show; resources open and close with the app."""
    config, config_text, media = _show(settings)
    app = web.Application(client_max_size=MAX_BODY)
    manager = RedisRooms(settings.redis, channel=f"showcaller:{config.id}") if settings.redis else Rooms()
    sio = GuardedServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=None,  # same origin only: our pages are served from here
        max_http_buffer_size=MAX_BODY,
        http_compression=False,
        ping_interval=25,
        ping_timeout=20,
        async_handlers=False,
    )
    sockets = plain_websockets(sio)
    if settings.phones_process:
        sio.attach(app, socketio_path=PHONES_PATH)
        app.on_response_prepare.append(_one_request)
    else:
        sio.attach(app)
        # The phones' own path, served here too: while no phones process is there, or when a phone asks
        # on a connection the owner already serves (server/transport/handoff.py).
        for method in ("GET", "POST", "OPTIONS"):
            app.router.add_route(method, PHONES_PATH, sio.handle_request)
    app[TRUSTED_PROXIES] = TrustedProxies(settings.trusted_proxies)
    app.middlewares.append(proxy_headers)
    owner = (settings.owner or not settings.redis) and not settings.phones_process
    if owner and settings.phones_link:
        app[HANDOFF] = Handoff(PHONES_PATH)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        if settings.phones_process:
            async with _phones_process(app, sio, settings, config, clock):
                yield
            return
        async with _cluster(settings, config) as (redis, keys):
            if owner:
                async with _owner(app, sio, settings, (config, config_text), clock, redis, keys):
                    yield
            else:
                edge = EdgeShow(config, redis, keys, clock)
                await edge.start()
                phones = Phones(lambda: redis.get(keys.phones), config.id, settings.phones_per_address)
                ballots = RedisBallots(redis, keys, clock, edge.poll, phones)
                await ballots.start()
                hub = Hub(sio, edge, None, ballots)  # type: ignore[arg-type]
                for namespace in NAMESPACES:
                    if namespace.role in EDGE_ROLES:
                        sio.register_namespace(namespace(hub))
                app[SERVICE], app[HUB] = edge, hub  # type: ignore[assignment]
                gc.collect()
                gc.freeze()
                yield
                await ballots.stop()
                await edge.stop()

    app.cleanup_ctx.append(lifecycle)
    app.on_shutdown.append(lambda app: hang_up(sio, sockets))
    add_security_headers(app)  # on every answer, errors included
    if settings.phones_process:  # its phones' websockets, and nothing else
        return app
    http.add_routes(app, owner)
    if owner:
        add_pads(app)
    app[LISTEN_HOST] = settings.host
    app[DESK_URL] = settings.desk_base
    add_pages(app, config, desk=owner)
    add_overlays(app, config, media, settings.public_url)
    add_screen(app, config)
    return app


async def _one_request(request: web.Request, response: web.StreamResponse) -> None:
    """The phones process serves one request a connection (a websocket's is its whole life): a browser
    must not send it the next request of a page on a connection the owner handed over."""
    if response.status != 101:
        response.force_close()


@contextlib.asynccontextmanager
async def _phones_process(app, sio, settings: Settings, config: ShowConfig, clock) -> AsyncIterator[None]:
    """One machine's phones process: the audience's phones, the show from its owner's line."""
    assert settings.phones_link is not None
    line = OwnerLine(config, clock, settings.phones_link, settings.phones_per_address)
    hub = Hub(sio, line, None, line)  # type: ignore[arg-type]
    line.hub = hub
    sio.register_namespace(AudienceNamespace(hub))
    app[SERVICE], app[HUB], app[OWNER_LINE] = line, hub, line  # type: ignore[assignment]
    await line.start()
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        await line.stop()


def _show(settings: Settings) -> tuple[ShowConfig, str, Path]:
    """The show's config, its text for the database, and the folder its media paths start from."""
    if settings.season_path is not None:
        return season_show_config(settings.season_path, settings.db_path, settings.season_show or "")
    config = load_show(settings.config_path)
    return config, settings.config_path.read_text(encoding="utf-8"), settings.config_path.parent


@contextlib.asynccontextmanager
async def _cluster(settings: Settings, config) -> AsyncIterator[tuple[Any, Keys | None]]:
    """The shared Redis of a cluster (None, None for a single process)."""
    if not settings.redis:
        yield None, None
        return
    async with _redis(settings.redis) as redis:
        yield redis, Keys(config.id)


@contextlib.asynccontextmanager
async def _redis(url: str) -> AsyncIterator[aioredis.Redis]:
    """A client of the cluster's Redis.

    A bounded pool that makes a burst of votes wait for a connection rather than fail; a Redis that
    the network lost fails a call within seconds instead of holding it for TCP's minutes.
    One retry on a fresh connection: after Redis restarts, each pooled connection fails once."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=64, timeout=5, socket_connect_timeout=2, socket_timeout=5, retry=Retry(NoBackoff(), 1)
    )
    redis = aioredis.Redis(connection_pool=pool)
    try:
        yield redis
    finally:
        await redis.aclose()
        await pool.disconnect()  # a pool given to the client is the giver's to close


@contextlib.asynccontextmanager
async def _owner(app, sio, settings: Settings, show, clock, redis, keys) -> AsyncIterator[None]:
    """The process that owns the show: its log, its state, every namespace, OBS, its season."""
    config, config_text = show
    log = EventLog(settings.db_path)
    log.add_show(config, config_text, clock())
    service = ShowService(config, log, clock)
    access = load_access(config, log)
    secret = load_secret(settings.db_path)  # the phones' identities are signed with it
    phones = Phones(secret, config.id, settings.phones_per_address)
    if redis is None:
        ballots: LocalBallots | RedisBallots = LocalBallots(service, phones)
    else:
        poll = lambda: service.view("audience")[1].get("poll")  # noqa: E731
        ballots = RedisBallots(redis, keys, clock, poll, phones, local=service)
        await ballots.start()
    hub = Hub(sio, service, access, ballots)
    service.subscribe(hub.updated)
    for namespace in NAMESPACES:
        sio.register_namespace(namespace(hub))
    app[SERVICE], app[ACCESS], app[HUB] = service, access, hub
    publisher = asyncio.create_task(hub.publish_forever())
    service.start()
    if settings.season_path is not None:
        hub.season = SeasonDesk(SeasonBook.open(settings.season_path, log, clock), service)
        hub.season.start()
    cluster = Owner(redis, keys, service, secret) if redis is not None else None
    if cluster is not None:
        await cluster.start()
        hub.before_emit = cluster.before_emit
    phones = PhonesLink(service, hub, secret, app[HANDOFF]) if settings.phones_link else None
    if phones is not None:
        assert settings.phones_link is not None
        await phones.start(settings.phones_link)
    obs = _obs_link(config, settings, hub) if settings.obs else None
    if obs is not None:
        service.subscribe(lambda _: obs.follow(service.state.board))
        obs.start(service.state.board)
    # Long-lived objects (config, views, connections) need no re-scanning: fewer, shorter GC pauses.
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        service.stop()
        if phones is not None:
            await phones.stop()
        if cluster is not None:
            await cluster.stop()
        if isinstance(ballots, RedisBallots):
            await ballots.stop()
        if obs is not None:
            await obs.stop()
        publisher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await publisher
        log.close()


def _obs_link(config, settings: Settings, hub: Hub) -> ObsLink | None:
    """The OBS link, if the show has an ``obs`` section; the password may come from the environment."""
    if config.obs is None:
        return None
    password = os.environ.get("SHOWCALLER_OBS_PASSWORD") or config.obs.password
    hub.obs = ObsLink(config, config.obs, password, on_status=lambda _: hub.presence_changed())
    return hub.obs


def create_stage_app(
    config_path: Path,
    db_path: Path,
    sender: Sender | None = None,
    clock: Callable[[], int] = now_ms,
    rehearsal: bool = False,
    redis: str | None = None,
    owner: bool = True,
) -> web.Application:
    """A ready-to-run application for an online stage (``python -m server quiz|initiatives run``), the
    quiz's or the initiatives', by its file's name. A ``rehearsal`` opens it now, for as long as its own
    windows last (the file's windows are for the real thing). With ``redis``, one process of several
    (``server.online.stage_link``): the ``owner`` writes ``db_path``, an edge has no database."""
    initiatives = config_path.name.endswith(".initiatives.yaml")
    app = web.Application(client_max_size=FORM_MOST if initiatives else MAX_BODY)
    app[TRUSTED_PROXIES] = TrustedProxies(())
    app.middlewares.append(proxy_headers)
    add_security_headers(app)
    if initiatives:
        stage = load_initiatives(config_path)
        if rehearsal:
            now = clock()
            submissions = Window(now, now + stage.submissions.closes - stage.submissions.opens)
            voting = Window(now, now + stage.voting.closes - stage.voting.opens)
            stage = replace(stage, submissions=submissions, voting=voting)

        files = FileStore(db_path.with_suffix(".files"))  # an edge's: those it fetched from the owner

        def open_stage(stage_log: StageLog[Any]) -> tuple[Any, Any]:
            service = InitiativesService(stage, stage_log, files, clock)
            return service, InitiativesApi(service, sender or ConsoleSender(), stage_log.secret(), tokens(stage_log))

        def owner_ops(service: InitiativesService, api: InitiativesApi) -> dict[str, Any]:
            return initiatives_ops(service) | {"code": api.verifier.issue, "check": api.verifier.check}

        def open_edge(link: EdgeLink, secret: bytes, held: dict[str, str]) -> tuple[Any, Any]:
            service = EdgeInitiativesService(stage, link, files, clock)
            return service, InitiativesApi(service, sender or ConsoleSender(), secret, held)  # type: ignore[arg-type]

        key, judges, log_of = INITIATIVES, stage.judges, initiatives_log
        new_book, events = (lambda: InitiativesBook(stage)), InitiativesEvent
        add_initiatives_routes(app)
        add_initiatives_pages(app)
    else:
        quiz = load_quiz(config_path)
        if rehearsal:
            quiz = replace(quiz, opens=clock(), closes=clock() + quiz.closes - quiz.opens)

        def open_stage(stage_log: StageLog[Any]) -> tuple[Any, Any]:
            service = QuizService(quiz, stage_log, clock)
            return service, QuizApi(service, sender or ConsoleSender(), stage_log.secret(), tokens(stage_log))

        def owner_ops(service: QuizService, api: QuizApi) -> dict[str, Any]:
            return quiz_ops(service) | {"code": api.verifier.issue, "check": api.verifier.check}

        def open_edge(link: EdgeLink, secret: bytes, held: dict[str, str]) -> tuple[Any, Any]:
            service = EdgeQuizService(quiz, link, clock)
            return service, QuizApi(service, sender or ConsoleSender(), secret, held)  # type: ignore[arg-type]

        key, judges, log_of = QUIZ, quiz.judges, quiz_log
        new_book, events = (lambda: QuizBook(quiz)), QuizEvent
        add_quiz_routes(app)
        add_quiz_pages(app)
    stage_id = stage.id if initiatives else quiz.id
    digest = hashlib.sha256(config_path.read_bytes()).hexdigest()  # a cluster's processes: the same file

    def tokens(stage_log: StageLog[Any]) -> dict[str, str]:
        return stage_log.tokens(stage_id, ["organizer"] + [f"judge:{j.id}" for j in judges])

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            client = await stack.enter_async_context(_redis(redis)) if redis is not None else None
            if client is not None and not owner:  # an edge: the owner's book, read from Redis
                link = EdgeLink(client, stage_id, new_book, events)
                meta = await link.start(digest)
                stack.push_async_callback(link.stop)
                _, app[key] = open_edge(link, bytes.fromhex(meta["secret"]), json.loads(meta["tokens"]))
                app[key].verifier.owner = link
                yield
                return
            stage_log = log_of(db_path)
            stack.callback(stage_log.close)
            service, app[key] = open_stage(stage_log)
            service.start()
            stack.push_async_callback(service.drain)
            stack.callback(service.stop)
            if client is not None:
                meta = {"secret": stage_log.secret().hex(), "tokens": json.dumps(tokens(stage_log)), "file": digest}
                link = OwnerLink(client, service, owner_ops(service, app[key]), meta)
                await link.start()
                stack.push_async_callback(link.stop)
            yield

    app.cleanup_ctx.append(lifecycle)
    return app
