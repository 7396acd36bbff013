"""``python -m server season`` and ``python -m server export``: a season from the command line."""

from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation
from pathlib import Path

from server.core.errors import InvalidCommand
from server.core.season.config import show_id
from server.core.season.rules import propose
from server.log.store import EventLog
from server.season.book import SeasonBook


def add_parsers(sub: argparse._SubParsersAction) -> None:
    season = sub.add_parser("season", help="a season: status, confirm line-ups, correct points, simulate")
    season.add_argument("file", type=Path, help="the season file (show_configs/*.season.yaml)")
    season.add_argument("--db", type=Path, default=None, help="database (default: beside the season file)")
    act = season.add_subparsers(dest="action", required=True)
    act.add_parser("status", help="line-ups, results, standings and what the rules propose next")
    confirm = act.add_parser("confirm", help="confirm a stage's line-ups (the rules', or by hand)")
    confirm.add_argument("stage")
    confirm.add_argument("--lineups", help='by hand: teams per show, shows separated by "/", e.g. "a,b,c/d,e,f"')
    confirm.add_argument("--reason", default="", help="why the line-ups are fixed by hand")
    confirm.add_argument("--seed", type=int, default=None, help="seed of the draw (default: a fresh random one)")
    rank = act.add_parser("rank", help="take an online stage's ranking (quiz, initiatives) from its database")
    rank.add_argument("stage")
    rank.add_argument("--from", dest="source", type=Path, default=None, help="its database, if not the one named")
    correct = act.add_parser("correct", help="correct a played show's points, with the reason")
    correct.add_argument("show", help="the show, e.g. bk-1")
    correct.add_argument("team")
    correct.add_argument("points", help="points to add (negative to take away)")
    correct.add_argument("reason")
    play = act.add_parser("play", help="simulate the season's shows with seeded answers (demo, rehearsal)")
    play.add_argument("--until", default=None, help="stop after this stage")
    play.add_argument("--seed", type=int, default=2024)
    export = sub.add_parser("export", help="a season's results as CSV, Excel (xlsx) and a printable sheet")
    export.add_argument("file", type=Path, help="the season file")
    export.add_argument("--db", type=Path, default=None)
    export.add_argument("--show", default=None, help="one show only, e.g. bk-1")
    export.add_argument("--out", type=Path, default=Path("results"), help="folder to write to")


def run(args: argparse.Namespace) -> int:
    log = EventLog(args.db or args.file.with_suffix(".db"))
    try:
        book = SeasonBook.open(args.file, log)
        book.sync()
        if args.command == "export":
            from server.season.export import export_season

            show = _show_id(book, args.show) if args.show else None
            for path in export_season(book, args.out, show):
                print(path)
            return 0
        if args.action == "confirm":
            lineups = (
                tuple(tuple(t.strip() for t in show.split(",")) for show in args.lineups.split("/"))
                if (args.lineups)
                else None
            )
            book.confirm(args.stage, "cli", lineups, args.reason, args.seed)
        elif args.action == "rank":
            book.rank(args.stage, "cli", args.source)
        elif args.action == "correct":
            where = book.locate(_show_id(book, args.show))
            assert where is not None
            book.correct(*where, args.team, _points(args.points), args.reason, "cli")
        elif args.action == "play":
            from server.season.sim import play_season

            play_season(book, args.seed, args.until)
        print(status_text(book))
        return 0
    finally:
        log.close()


def _show_id(book: SeasonBook, name: str) -> str:
    for candidate in (name, f"{book.season.id}-{name}"):
        if book.locate(candidate) is not None:
            return candidate
    ids = [f"{s.id}-{n + 1}" for s in book.season.stages for n in range(s.shows)]
    raise InvalidCommand("season.no_show_listed", show=name, shows=", ".join(ids))


def _points(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise InvalidCommand("season.points_not_a_number", text=text) from None


def status_text(book: SeasonBook) -> str:
    """The season at a glance: each show's teams and points, the standings, the next step."""
    season, state = book.season, book.state
    view = book.view()
    lines = [f"{season.title} ({season.id})", ""]
    for spec in season.online:
        ranking = state.rankings.get(spec.id)
        lines.append(f"{spec.title} (online{'' if ranking else ', ranking not taken yet'})")
        for row in ranking.rows[:10] if ranking else ():
            title = f" — {row.title}" if row.title else ""
            lines.append(f"  {row.place:>3}. {row.unit}{title}: {row.points}")
    for stage in view["bracket"]:
        confirmed = stage["id"] in state.lineups
        lines.append(f"{stage['title']}{'' if confirmed else ' (not confirmed)'}")
        for show in stage["shows"]:
            teams = ", ".join(
                t["name"]
                + (f" {t['points']}" if t["points"] is not None else "")
                + (f" [{t['result']}]" if t["result"] else "")
                for t in show["teams"]
            )
            lines.append(f"  {show['id']:<16} {show['status']:<9} {teams or '—'}")
    lines += ["", "Standings"]
    for row in view["standings"]:
        lines.append(
            f"  {row['rank']:>3}. {row['name']:<36} {row['played']} show(s) {row['points']:>8} {row['status']}"
        )
    for stage in season.stages:
        if stage.id in state.lineups:
            continue
        proposal = propose(season, state, stage.id)
        lines.append("")
        if proposal.rankings:
            lines.append(f"Next: {stage.title} waits for the ranking of {', '.join(proposal.rankings)} (rank it)")
        elif proposal.waiting:
            lines.append(f"Next: {stage.title} waits for {', '.join(show_id(season, *w) for w in proposal.waiting)}")
        elif proposal.problem:
            lines.append(f"Next: {stage.title}: {proposal.problem}")
        elif proposal.draw:
            lines.append(
                f"Next: {stage.title} by draw (confirm to draw): {', '.join(' / '.join(g) for g in proposal.draw)}"
            )
        else:
            shows = "; ".join(
                f"{show_id(season, stage.id, i)}: {', '.join(t)}" for i, t in enumerate(proposal.lineups or ())
            )
            lines.append(f"Next: {stage.title}, as the rules say (confirm it): {shows}")
        break
    return "\n".join(lines)
