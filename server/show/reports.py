"""Plain-text reports for the terminal: a config summary and a replayed show's scoreboards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from server import format as fmt
from server.core.audit import audit_trail
from server.core.config import ShowConfig
from server.core.context import TIEBREAK_ID
from server.core.events import Action
from server.core.rounds import round_of
from server.core.show import replay
from server.core.standings import standings


def _seconds(ms: int) -> str:
    minutes, seconds = divmod(round(ms / 1000), 60)
    return f"{minutes}:{seconds:02d}"


def config_summary(config: ShowConfig) -> str:
    """One screen about a valid show: who plays, the rundown, and the time on the clock."""
    contest = config.contest
    lines = [
        f"{contest.title} — {config.id}",
        f"  {contest.organizer or '-'} · season {contest.season or '-'} · {contest.stage.value} · {contest.language}",
        f"teams ({len(config.teams)}): " + (", ".join(t.name for t in config.teams) or "none"),
        f"judges ({len(config.judges)}): " + (", ".join(j.name for j in config.judges) or "none"),
        f"rundown ({len(config.rundown)} segments):",
    ]
    total_ms = 0
    for index, segment in enumerate(config.rundown, start=1):
        kind = round_of(segment)
        clock = kind.clock_ms(config, segment)
        total_ms += clock
        detail = kind.summary(segment)
        if detail is None:
            detail = f"{len(segment.slots)} questions" if segment.slots else ""
        detail = detail if len(detail) <= 44 else detail[:43] + "…"
        lines.append(f"  {index:>2}. {segment.title[:32]:<32} {segment.round.value:<9} {detail:<44} {_seconds(clock)}")
    lines.append(f"questions: {len(config.questions)} in the bank, {len(config.tiebreak.questions)} for a tie-break")
    lines.append(f"time on the clock: {_seconds(total_ms)} (answer times and judged segments, without talk)")
    return "\n".join(lines)


def replay_report(config: ShowConfig, actions: Sequence[Action]) -> str:
    """Replay a log: points per team after each segment, then the final result."""

    def pts(value: Decimal) -> str:
        return fmt.points(value, config.decimals, "en")

    state = replay(actions)
    board = state.board
    titles = {s.id: s.title for s in config.rundown} | {TIEBREAK_ID: "tie-break"}
    order = [s.id for s in config.rundown]
    by_segment: dict[str | None, dict[str, Decimal]] = {}
    for award in board.awards:
        row = by_segment.setdefault(award.segment, {})
        row[award.team] = row.get(award.team, Decimal(0)) + award.points
    width = max((len(t.name) for t in config.teams), default=0) + 2
    lines = [f"{config.contest.title} — {config.id}: {len(actions)} actions replayed"]
    running = {t: Decimal(0) for t in config.team_ids}
    for segment_id in [*order, None]:
        if segment_id not in by_segment:
            continue
        title = titles.get(segment_id, segment_id) if segment_id else "adjustments outside segments"
        lines.append(f"after {title}:")
        for team in config.teams:
            gained = by_segment[segment_id].get(team.id, Decimal(0))
            running[team.id] += gained
            lines.append(f"  {team.name:<{width}} {pts(gained):>8}  total {pts(running[team.id]):>8}")
    adjustments = [a for a in board.awards if a.kind == "adjust"]
    if adjustments:
        lines.append("adjustments:")
        for award in adjustments:
            name = config.team(award.team).name if config.team(award.team) else award.team
            lines.append(f"  {name}: {fmt.signed(award.points, config.decimals, 'en')} — {award.reason}")
    if board.audience_winners:
        lines.append("audience winners:")
        for qid, winners in board.audience_winners.items():
            lines.append(f"  {qid}: {', '.join(w.nickname or w.device for w in winners) or 'nobody'}")
    if not config.teams:
        return "\n".join(lines)
    lines.append("final result:" if board.phase.value == "ended" else f"result so far ({board.phase.value}):")
    for row in standings(config, board):
        lines.append(f"  {row.rank}. {row.name:<{width}} {pts(row.points):>8}")
    return "\n".join(lines)


def audit_report(actions: Sequence[Action]) -> str:
    """Every action with its time, who gave it and what it did; undone ones marked."""
    lines = ["audit trail:"]
    for entry in audit_trail(actions):
        when = datetime.fromtimestamp(entry.at / 1000).strftime("%Y-%m-%d %H:%M:%S")
        mark = "  [undone]" if entry.undone else ""
        lines.append(f"  #{entry.seq:<5} {when}  {entry.by:<16} {entry.what}{mark}")
    return "\n".join(lines)
