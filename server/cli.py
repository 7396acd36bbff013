"""Command line: ``python -m server check|replay|demo|run|obs-setup|season|export|docs``."""

from __future__ import annotations

import argparse
import errno
import functools
import gc
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from server.configs import ConfigError, load_show
from server.configs.typeset import name_warnings
from server.core.errors import ShowError
from server.log.store import EventLog, LogError
from server.season import cli as season_cli
from server.show.reports import audit_report, config_summary, replay_report
from server.transport.address import DEFAULT_HOST, check_public_url
from server.transport.identity import PHONES_PER_ADDRESS
from server.transport.limits import TrustedProxies

DEMO_CONFIG = Path(__file__).resolve().parent.parent / "show_configs" / "quang-nam-2024-qualifier.yaml"
DOCS = Path(__file__).resolve().parent.parent / "docs"
PHONES_NICE = 10  # the phones process's lower priority (nice): on a busy machine, the desk's process first
STOP_GRACE_S = 2.0  # seconds a stopping server gives requests in flight before it closes their connections


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server", description="showcaller: live quiz-show scoring")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate a show config (or a *.season.yaml, *.quiz.yaml) and summarise it")
    check.add_argument("file", type=Path)
    rep = sub.add_parser("replay", help="replay a show database and print the scoreboards")
    rep.add_argument("db", type=Path)
    rep.add_argument("--show", help="show id (default: every show in the database)")
    rep.add_argument("--audit", action="store_true", help="also list who did what and when, and what was undone")
    demo = sub.add_parser("demo", help="play the demo show through the engine and replay it")
    demo.add_argument("--config", type=Path, default=DEMO_CONFIG)
    demo.add_argument("--db", type=Path, default=None)
    run = sub.add_parser("run", help="run a live show: the server for every page, pad and overlay")
    run.add_argument("config", type=Path, nargs="?", default=DEMO_CONFIG)
    run.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"where to listen (default {DEFAULT_HOST}: every interface, so the hall's phones and pads reach it; "
        "127.0.0.1: this machine only; :: every IPv6 interface)",
    )
    run.add_argument("--port", type=int, default=8080)
    run.add_argument("--db", type=Path, default=None, help="show database (default: beside the config)")
    run.add_argument(
        "--public-url",
        default=os.environ.get("SHOWCALLER_PUBLIC_URL") or None,
        help="where phones reach this server, for the QR code on air (default: this machine's network address)",
    )
    run.add_argument(
        "--desk-url",
        default=None,
        help="where the controller, host screen and pads reach the show's owner, e.g. https://desk.example:8443 "
        "(default: --public-url in one process; in a cluster, whose public URL is the edges', this machine's address)",
    )
    run.add_argument("--redis", default=None, help="several processes share this Redis (redis://host:6379/0)")
    run.add_argument("--owner", action="store_true", help="with --redis: this process owns the show (exactly one must)")
    run.add_argument("--no-obs", action="store_true", help="run without OBS even if the config has an obs section")
    run.add_argument(
        "--one-process",
        action="store_true",
        help="serve the phones from the show's own process (default: a process of their own, so that a "
        "crowd voting never holds up the desk, and both cores work)",
    )
    run.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="ADDR",
        help="a reverse proxy (address or network) whose X-Forwarded-For/-Proto are believed, e.g. 127.0.0.1 "
        "for nginx on this machine; repeatable (default: none, every peer is taken as the client)",
    )
    run.add_argument(
        "--phones-per-address",
        type=int,
        default=PHONES_PER_ADDRESS,
        metavar="N",
        help=f"new phones one network address may join at once, refilled over a minute (default {PHONES_PER_ADDRESS}); "
        "raise it for a hall whose phones all reach this server from one public address, e.g. 2000",
    )
    run.add_argument("--season", type=Path, default=None, help="a season file: run one of its shows (with --show)")
    run.add_argument("--show", default=None, help="with --season: which show, e.g. vl-1 (stage id - number)")
    setup = sub.add_parser("obs-setup", help="create in OBS the scenes and overlay sources the show needs")
    setup.add_argument("config", type=Path, nargs="?", default=DEMO_CONFIG)
    setup.add_argument("--url", default="http://127.0.0.1:8080", help="where OBS reaches this server's overlay pages")
    season_cli.add_parsers(sub)
    for name, what, actions in (
        (
            "quiz",
            "an online quiz stage: check its file, run its server, export its results",
            ("check", "run", "export"),
        ),
        (
            "initiatives",
            "an initiatives stage: check its file, run its gallery and desk, export",
            ("check", "run", "export"),
        ),
    ):
        stage = sub.add_parser(name, help=what)
        stage.add_argument("action", choices=actions)
        stage.add_argument("file", type=Path, help=f"the stage's file (show_configs/*.{name}.yaml)")
        stage.add_argument("--db", type=Path, default=None, help="its database (default: beside its file)")
        stage.add_argument("--host", default=DEFAULT_HOST, help=f"where to listen (default {DEFAULT_HOST})")
        stage.add_argument("--port", type=int, default=8090 if name == "quiz" else 8091)
        stage.add_argument("--rehearsal", action="store_true", help="open it now, whatever its windows say")
        stage.add_argument("--redis", default=None, help="run: one of several processes sharing this Redis URL")
        stage.add_argument("--owner", action="store_true", help="with --redis: the one that writes the database")
        stage.add_argument("--out", type=Path, default=Path("results"), help="export: the folder to write to")
    docs = sub.add_parser("docs", help="write docs/schema/ and docs/openapi.yaml from the wire contract")
    docs.add_argument("--out", type=Path, default=DOCS, help="the docs folder to write into (default: docs/)")
    args = parser.parse_args(argv)
    try:
        if args.command in ("season", "export"):
            return season_cli.run(args)
        if args.command == "docs":
            return _docs(args.out)
        if args.command in ("quiz", "initiatives"):
            return _stage(args)
        if args.command == "check":
            return _check(args.file)
        if args.command == "replay":
            return _replay(args.db, args.show, args.audit)
        if args.command == "run":
            extra = {"redis": args.redis, "owner": args.owner or not args.redis}
            if not args.redis and not args.one_process:  # a cluster's edges are its phones' processes
                extra["phones_link"] = f"\0showcaller.{os.getpid()}.{args.port}"
            try:
                TrustedProxies(args.trusted_proxy)  # a typo is refused here, with the entry named
            except ValueError as exc:
                print(exc, file=sys.stderr)
                return 2
            extra["trusted_proxies"] = tuple(args.trusted_proxy)
            if args.phones_per_address < 1:
                print("--phones-per-address: expected a whole number of phones, at least 1", file=sys.stderr)
                return 2
            extra["phones_per_address"] = args.phones_per_address
            if args.season is not None:
                if not args.show:
                    print("run --season needs --show: which of the season's shows (e.g. vl-1)", file=sys.stderr)
                    return 2
                extra |= {"season_path": args.season, "season_show": args.show}
            config = args.season or args.config
            try:
                public_url = check_public_url(args.public_url) if args.public_url else None
                if args.desk_url:
                    extra["desk_url"] = check_public_url(args.desk_url, "--desk-url")
            except ValueError as exc:
                print(exc, file=sys.stderr)
                return 2
            return _run(config, args.db, args.host, args.port, public_url, not args.no_obs, extra)
        if args.command == "obs-setup":
            return _obs_setup(args.config, args.url)
        return _demo(args.config, args.db)
    except REFUSALS as exc:
        return _refused(exc)


GC_THRESHOLDS = (50_000, 20, 100)  # young-generation pauses rarer: a server's heap is mostly long-lived
REFUSALS = (ConfigError, LogError, ShowError)  # what a command says in words, with exit code 1


def _refused(exc: Exception) -> int:
    print(exc.message if isinstance(exc, ShowError) else exc, file=sys.stderr)
    return 1


def _docs(out: Path) -> int:
    from server.transport.contract.docs import write

    written = write(out)
    print(f"wrote {len(written)} files under {out}: {out / 'openapi.yaml'} and {out / 'schema'}/")
    return 0


def _check(path: Path) -> int:
    if path.name.endswith(".season.yaml"):
        from server.season.parse import load_season

        season = load_season(path)
        online = [f"{s.title} (online {s.kind})" for s in season.online]
        stages = ", ".join(online + [f"{s.title} ({s.shows} show(s))" for s in season.stages])
        print(f"{season.title} ({season.id}): {len(season.teams)} teams; {stages}")
        return 0
    if path.name.endswith((".quiz.yaml", ".initiatives.yaml")):
        return _stage_check(path)
    warnings: list[str] = []
    config = load_show(path, warnings)
    warnings += name_warnings(config, path)
    print(config_summary(config))
    for warning in warnings:  # usable as it is, so not a failure: the exit code stays 0
        print(warning, file=sys.stderr)
    return 0


def _replay(db_path: Path, show_id: str | None, audit: bool = False) -> int:
    if not db_path.is_file():
        print(f"{db_path}: no such database", file=sys.stderr)
        return 1
    log = EventLog(db_path)
    try:
        shows = [row[0] for row in log.shows()]
        if show_id is not None and show_id not in shows:
            print(f"no show '{show_id}' in {db_path}; shows: {', '.join(shows) or 'none'}", file=sys.stderr)
            return 1
        for sid in [show_id] if show_id else shows:
            actions = list(log.actions(sid))
            print(replay_report(log.config(sid), actions))
            if audit:
                print(audit_report(actions))
    finally:
        log.close()
    return 0


def _demo(config_path: Path, db_path: Path | None) -> int:
    from server.show.engine import Engine
    from server.show.sim import play_demo

    config = load_show(config_path)
    db_path = db_path or config_path.with_suffix(".demo.db")
    db_path.unlink(missing_ok=True)
    log = EventLog(db_path)
    try:
        log.add_show(config, config_path.read_text(encoding="utf-8"), 0)
        play_demo(config, Engine(config, log))
        print(replay_report(config, list(log.actions(config.id))))
        print(f"\nlog: {db_path} (replay it with: python -m server replay {db_path})")
    finally:
        log.close()
    return 0


def _obs_setup(config_path: Path, url: str) -> int:
    from server.obs.client import ObsClient, ObsError
    from server.obs.setup import obs_setup

    config = load_show(config_path)
    if config.obs is None:
        print(f"{config_path}: the show config has no 'obs' section (host, port, password)", file=sys.stderr)
        return 1
    password = os.environ.get("SHOWCALLER_OBS_PASSWORD") or config.obs.password
    client = ObsClient(config.obs.host, config.obs.port, password)
    try:
        client.connect()
        for line in obs_setup(config, client, url):
            print(line)
    except ObsError as exc:
        print(f"obs-setup: {exc.message}", file=sys.stderr)
        return 1
    finally:
        client.close()
    return 0


def _run(
    config_path: Path,
    db_path: Path | None,
    host: str,
    port: int,
    public_url: str | None = None,
    obs: bool = True,
    cluster: dict | None = None,
) -> int:
    import logging

    from aiohttp import web
    from msgspec.structs import replace

    from server.app import Settings, create_app
    from server.transport.address import local_base, network_text, reach
    from server.transport.keeper import Helper, keep, listen
    from server.transport.keys import ACCESS, SERVICE
    from server.transport.serving import serve as serve_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    settings = Settings(
        config_path, db_path or config_path.with_suffix(".db"), host, port, public_url, obs, **(cluster or {})
    )
    gc.set_threshold(*GC_THRESHOLDS)
    where = reach(host, port, public_url)
    notes = network_text(host, port, where)
    if settings.redis and not public_url:
        notes.append("in a cluster, pass --public-url (the load balancer's address) so phones are sent there")

    async def announce(app: web.Application) -> None:
        base = where.base
        if ACCESS not in app:  # an edge of a cluster: the owner prints the desk's URLs and tokens
            print(f"showcaller edge process: audience {base}/audience, overlays {base}/overlay/<name>", flush=True)
            print("\n".join(notes), flush=True)
            return
        local, desk = local_base(host, port), reach(host, port, settings.desk_base).base
        print(urls_text(app[ACCESS], app[SERVICE].config, base, settings.db_path, local, notes, desk), flush=True)

    app = create_app(settings)  # once: every server the keeper forks starts from it, imported and read
    app.on_startup.append(announce)
    # One machine's phones process (server/transport/phones_link.py), made ready as well.
    phones = create_app(replace(settings, phones_process=True)) if settings.phones_link else None

    def serving(app: web.Application, sockets: list) -> Callable[[Callable[[], None]], int]:
        def serve(up: Callable[[], None]) -> int:
            async def started(app: web.Application) -> None:
                up()

            app.on_startup.append(started)
            import uvloop  # each server its own loop; uvloop's sockets and timers cost less a phone than asyncio's

            try:
                # A stop waits this long for requests still arriving (a phone's half-sent body), not aiohttp's minute.
                serve_app(app, sockets, uvloop.new_event_loop(), STOP_GRACE_S)
            except REFUSALS as exc:  # the database, opened by the server itself
                return _refused(exc)
            return 0

        return serve

    try:
        sockets = listen(host, port)
    except OSError as exc:
        print(listen_refusal(exc), file=sys.stderr)
        return 1
    if phones is None:
        return keep(serving(app, sockets))
    return keep(serving(app, sockets), Helper("phones", serving(phones, []), lambda: phones_first(sockets)))


def phones_first(sockets: list) -> None:
    """In the phones process, before it serves: it holds no listening socket (the owner hands it its
    connections), and it yields the CPU to the show's own process, so the desk never waits for the crowd."""
    for sock in sockets:
        sock.close()
    os.nice(PHONES_NICE)


def _stage_check(path: Path) -> int:
    if path.name.endswith(".initiatives.yaml"):
        from server.configs.initiatives import load_initiatives

        stage = load_initiatives(path)
        print(
            f"{path}: OK — {stage.title}: {len(stage.units)} units, {len(stage.criteria)} criteria, "
            f"{len(stage.judges)} judges, judges {stage.judges_weight} / community {stage.community_weight}, "
            f"{stage.finalists} finalists"
        )
        return 0
    from server.configs.quiz import load_quiz

    config = load_quiz(path)
    essay = "an essay" if config.essay else "no essay"
    print(
        f"{path}: OK — {config.title}: {config.draw} of {len(config.bank)} questions, {essay}, "
        f"{len(config.units)} units, {config.duration // 60_000} min each"
    )
    return 0


def _stage_export(path: Path, db: Path, out: Path) -> int:
    """The stage's results, read back from its database, as the organizers keep them."""
    from server.show.service import now_ms

    if not db.is_file():
        print(f"{db}: no such database", file=sys.stderr)
        return 1
    from server.configs.initiatives import load_initiatives
    from server.configs.quiz import load_quiz
    from server.core.initiatives.book import InitiativesBook
    from server.core.quiz.book import QuizBook
    from server.online.initiatives_service import initiatives_log
    from server.online.quiz_service import quiz_log
    from server.season.online_export import export_initiatives, export_quiz

    book: Any
    if path.name.endswith(".initiatives.yaml"):
        stage: Any = load_initiatives(path)
        book, log, export = InitiativesBook(stage), initiatives_log(db), export_initiatives
    else:
        stage = load_quiz(path)
        book, log = QuizBook(stage), quiz_log(db)
        export = functools.partial(export_quiz, secret=log.secret())  # the essays' codes, as judges know them
    try:
        book.replay(log.events(stage.id))
    finally:
        log.close()
    written = export(book, out, now_ms())
    for written_path in written:
        print(written_path)
    return 0


def _stage(args: argparse.Namespace) -> int:
    """``check``: the file's summary; ``export``: the quiz's results; ``run``: its server, until Ctrl-C."""
    if args.action == "check":
        return _stage_check(args.file)
    db = args.db or args.file.with_suffix(".db")
    if args.action == "export":
        return _stage_export(args.file, db, args.out)
    import logging

    import uvloop
    from aiohttp import web

    from server.app import create_stage_app
    from server.transport.address import local_base
    from server.transport.initiatives_api import INITIATIVES
    from server.transport.keeper import listen
    from server.transport.quiz_api import QUIZ
    from server.transport.serving import serve as serve_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    gc.set_threshold(*GC_THRESHOLDS)
    app = create_stage_app(args.file, db, rehearsal=args.rehearsal, redis=args.redis, owner=args.owner)
    base = local_base(args.host, args.port)
    quiz = args.command == "quiz"

    async def announce(app: web.Application) -> None:
        api = app[QUIZ] if quiz else app[INITIATIVES]
        lines = [f"showcaller {args.command} stage: {api.service.config.title}"]
        if quiz:
            lines += [f"  entrants:    {base}/quiz/", f"  hall screen: {base}/quiz/board"]
        else:
            lines += [f"  gallery:     {base}/initiatives/"]
        for token, holder in api.tokens.items():
            if quiz and holder == "organizer":
                continue  # the quiz's organizers export from the command line
            page = holder.partition(":")[0] if quiz else "desk"
            lines.append(f"  {holder + ':':<12} {base}/{args.command}/{page}?token={token}")
        where = f"  database:    {db}" if args.redis is None or args.owner else f"  an edge of:  {args.redis}"
        print("\n".join([*lines, where]), flush=True)

    app.on_startup.append(announce)
    try:
        sockets = listen(args.host, args.port)
    except OSError as exc:
        print(listen_refusal(exc), file=sys.stderr)
        return 1
    serve_app(app, sockets, uvloop.new_event_loop(), STOP_GRACE_S)
    return 0


def listen_refusal(exc: OSError) -> str:
    """What ``run`` says when it can't listen: the address and why, and a hint only when the port is taken."""
    text = exc.strerror or str(exc)
    return f"{text} (is another server running on it?)" if exc.errno == errno.EADDRINUSE else text


def urls_text(
    access,
    config,
    base: str,
    db_path: Path,
    local: str | None = None,
    notes: Sequence[str] = (),
    desk: str | None = None,
) -> str:
    """Where every client of the show connects, with its token: phones and the hall at ``base``, the
    controller and the pads at ``desk`` (the same but in a cluster), OBS beside the server at ``local``
    (so the overlays do not depend on the hall's Wi-Fi)."""
    from server.transport.pads import pads

    local, desk = local or base, desk or base
    rows = [("producer controller", f"{desk}/control?token={access.token('producer')}")]
    rows += [("host screen", f"{desk}/host?token={access.token('host')}")]
    rows += [(f"{pad['role']} {pad['name']}", pad["url"]) for pad in pads(access, config, desk)]
    rows += [
        ("overlays (OBS here)", f"{local}/overlay/<name>  (all in layers: {local}/overlay/program)"),
        ("audience", f"{base}/audience"),
        ("hall screen", f"{base}/screen  (an LED wall: {base}/screen?w=3840&h=1080)"),
        ("control API", f"{desk}/api/v1/  (Authorization: Bearer {access.token('producer')})"),
        ("health", f"{desk}/healthz"),
    ]
    width = max(len(label) for label, _ in rows) + 2
    lines = [f"showcaller: {config.contest.title} ({config.id}) — database {db_path}", *notes, ""]
    lines += [f"  {label:<{width}}{url}" for label, url in rows]
    return "\n".join(lines)
