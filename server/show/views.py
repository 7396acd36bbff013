"""What each role sees: the show state projected to plain JSON-ready dicts.

- ``producer``: everything, including correct answers and hidden judges' scores;
- ``judge:<id>``: the public view plus that judge's own scores;
- ``public`` (overlays, the hall): never a correct answer before the reveal, never a
  judge's score before the producer reveals it, other teams' answers only once closed;
- ``team`` (team pads): the public view and what the pads may send;
- ``audience``: the open audience question or vote and its tally, nothing else.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

import msgspec

from server.core.audit import words_of
from server.core.config import OVERLAYS, ShowConfig
from server.core.context import tiebreak_segment
from server.core.possible import Can, judge_can, next_action, producer_can, team_can
from server.core.rounds import capabilities, round_of
from server.core.rounds.base import number, timer_view
from server.core.standings import standings, ties
from server.core.state import Award, QPhase, QuestionState, ShowState
from server.core.zones import OVERLAY_ZONES, SEASON_OVERLAYS, look_on_air


def public_view(config: ShowConfig, state: ShowState) -> dict[str, Any]:
    """The overlays' and the hall's view. What the pads may send is the pads' own (``team_view``): the
    overlays' patch leaves without waiting for the rules to be asked."""
    return _view(config, state, role="public")


def team_view(config: ShowConfig, state: ShowState, public: dict[str, Any], at: int = 0) -> dict[str, Any]:
    """A team pad's view: the public one, and ``can``: per pad command, the teams whose pad may send it now
    (at time ``at``)."""
    view = dict(public)
    _can(view, team_can(config, state, at))
    return view


def _can(view: dict[str, Any], asked: Can) -> None:
    """What the role may send now, and which of it lapses when the running timer reaches 0."""
    view["can"] = asked.can
    view["can_timed"] = asked.timed


RECENT_AWARDS = 100


@functools.lru_cache(maxsize=1024)
def award_json(award: Award) -> dict[str, Any]:
    """An award as the views show it; built once per award (the producer's view lists the newest 100 at every
    command), so the same dict is shared: treat it as read-only."""
    return {
        "seq": award.seq,
        "team": award.team,
        "points": number(award.points),
        "kind": award.kind,
        "segment": award.segment,
        "question": award.question,
        "reason": award.reason,
    }


def producer_view(config: ShowConfig, state: ShowState, at: int = 0, season: bool = False) -> dict[str, Any]:
    """Everything; the ledger as its newest awards keyed by position, so a patch adds one key; what the
    rules would accept now (``can``, at time ``at``) and the natural next step."""
    view = _view(config, state, role="producer")
    _can(view, producer_can(config, state, at))
    view["next_action"] = next_action(view["can"], state)
    view["rundown"] = _fixed(config)["producer_rundown"]
    awards = state.board.awards
    first = max(0, len(awards) - RECENT_AWARDS)
    view["awards"] = {str(index): award_json(a) for index, a in enumerate(awards[first:], start=first)}
    # Labels as words ({key, params}): each page says them in its own language.
    view["undo"] = words_of(state.undo[-1]).wire() if state.undo else None
    view["redo"] = words_of(state.redo[-1]).wire() if state.redo else None
    view["overlays"] = overlays_view(season)
    _host_notes(config, state, view)
    return view


def _host_notes(config: ShowConfig, state: ShowState, view: dict[str, Any]) -> None:
    """The host's notes on the segment and the question: they may give the answer away, so they go in
    the producer's view (the controller and the host's screen) and nowhere else."""
    segment = _segment(config, state)
    if view["segment"] is not None and segment is not None:
        view["segment"]["notes"] = segment.notes or None
    if view["question"] is not None:
        view["question"]["notes"] = config.questions[view["question"]["id"]].notes or None


def overlays_view(season: bool) -> dict[str, dict[str, Any]]:
    """Every overlay's zone, and whether it can show anything in this show (``why`` not, as a code)."""
    out: dict[str, dict[str, Any]] = {}
    for name in OVERLAYS:
        why = "no_season" if name in SEASON_OVERLAYS and not season else None
        out[name] = {"zone": OVERLAY_ZONES[name], "ready": why is None, "why": why}
    return out


def judge_view(
    config: ShowConfig,
    state: ShowState,
    judge: str,
    public: dict | None = None,
    at: int = 0,
    can: Can | None = None,
) -> dict[str, Any]:
    """The public view, this judge's own scores (``me``) and the teams they may score now (``can``, unless
    given: ``judges_can`` asks for every judge at once)."""
    view = dict(public) if public is not None else _view(config, state, role="public")
    _can(view, can if can is not None else judge_can(config, state, judge, at))
    own: dict[str, dict] = {}
    for segment_id, progress in state.board.judged.items():
        scores = progress.scores.get(judge, {})
        own[segment_id] = {
            "scores": {team: {k: number(v) for k, v in s.items()} for team, s in scores.items()},
            "locked": sorted(progress.locked),
        }
    view["me"] = {"judge": judge, "judged": own}
    return view


def audience_view(config: ShowConfig, state: ShowState) -> dict[str, Any]:
    """Small on purpose: this goes to thousands of phones."""
    out: dict[str, Any] = {"title": config.contest.title, "language": config.contest.language, "poll": None}
    segment = _segment(config, state)
    if segment is not None:
        out["poll"] = round_of(segment).poll_view(config, state, segment)
    return out


def _segment(config: ShowConfig, state: ShowState):
    index = state.board.segment
    if 0 <= index < len(config.rundown):
        return config.rundown[index]
    if index == len(config.rundown) and state.board.tiebreak_teams:
        return tiebreak_segment(config)
    return None


_timer = timer_view


_FIXED: dict[int, tuple[ShowConfig, dict[str, Any]]] = {}  # id(config) -> (config, its parts below)


def _fixed(config: ShowConfig) -> dict[str, Any]:
    """The parts of the views that the config alone decides, built once per config. Every view holds
    these same objects, so a command neither rebuilds them nor compares them (``diff`` passes over an
    identical subtree): treat them as read-only."""
    hit = _FIXED.get(id(config))
    if hit is not None and hit[0] is config:
        return hit[1]
    contest = config.contest
    rundown = [
        {"index": i, "id": s.id, "title": s.title, "round": s.round.value, "overlays": list(s.overlays)}
        for i, s in enumerate(config.rundown)
    ]
    parts = {
        "show": {
            "id": config.id,
            "title": contest.title,
            "organizer": contest.organizer,
            "season": contest.season,
            "stage": contest.stage.value,
            "language": contest.language,
            "logo": contest.logo,
            "decimals": config.decimals,  # every page writes points with exactly this many (static/js/format.js)
            "theme": {
                "primary": contest.theme.primary,
                "secondary": contest.theme.secondary,
                "background": contest.theme.background,
                "text": contest.theme.text,
                "font": contest.theme.font,
            },
        },
        "teams": [  # each team's own part; the score and its star are the board's
            {
                "id": t.id,
                "name": t.name,
                "short_name": t.short_name or t.name,
                "unit": t.unit,
                "members": [{"id": m.id, "name": m.name, "role": m.role} for m in t.members],
            }
            for t in config.teams
        ],
        "judges": [{"id": j.id, "name": j.name, "title": j.title} for j in config.judges],
        "rundown": rundown,
        # The producer's rundown also says what each segment offers.
        "producer_rundown": [
            {**entry, "capabilities": capabilities(config, segment)}
            for entry, segment in zip(rundown, config.rundown, strict=True)
        ],
    }
    if len(_FIXED) >= 64:  # tests and tools build many configs; a server holds one or a few
        _FIXED.clear()
    _FIXED[id(config)] = (config, parts)
    return parts


def _view(config: ShowConfig, state: ShowState, role: str) -> dict[str, Any]:
    board = state.board
    producer = role == "producer"
    segment = _segment(config, state)
    table = standings(config, board)
    fixed, stars = _fixed(config), board.stars_used
    return {
        "show": fixed["show"],
        "phase": board.phase.value,
        "on_air": sorted(board.on_air),
        "look": look_on_air(segment, board.on_air),
        "lower_third": None if board.lower_third is None else msgspec.structs.asdict(board.lower_third),
        "teams": [
            {**team, "score": number(board.scores.get(team["id"], Decimal(0))), "star_used": team["id"] in stars}
            for team in fixed["teams"]
        ],
        "judges": fixed["judges"],
        "rundown": fixed["rundown"],
        "segment": None if segment is None else _segment_json(config, state, segment, producer),
        "question": _question(config, state, board.question, producer),
        "timer": _timer(board.timer),
        "judged": _judged(config, state, producer),
        "packages": {seg: {team: list(qs) for team, qs in by.items()} for seg, by in board.packages.items()},
        "tiebreak": {"teams": list(board.tiebreak_teams), "order": list(board.tiebreak_order)}
        if board.tiebreak_teams
        else None,
        "standings": [
            {"rank": s.rank, "team": s.team, "points": number(s.points), "answer_ms": s.answer_ms} for s in table
        ],
        "ties": [list(group) for group in ties(table)],  # tied for a place that matters (winner, runner-up)
        # Every audience question's winners so far, in the order drawn: the hall's results at the end.
        "audience_winners": [
            {"question": qid, "winners": [{"nickname": w.nickname, "at": w.at} for w in winners]}
            for qid, winners in board.audience_winners.items()
        ],
    }


def _segment_json(config: ShowConfig, state: ShowState, segment, producer: bool) -> dict[str, Any]:
    index = state.board.segment
    out: dict[str, Any] = {"index": index, "id": segment.id, "title": segment.title, "round": segment.round.value}
    out["looks"] = [{"id": lk.id, "title": lk.title, "overlays": list(lk.overlays)} for lk in segment.looks]
    out["overlays"] = list(segment.overlays)  # what the segment offers; ``looks`` come first
    out["capabilities"] = capabilities(config, segment)  # how the segment is played: what the pages offer
    out.update(round_of(segment).segment_view(config, segment))
    out.update(round_of(segment).board_view(config, state, segment, producer))  # its progress so far
    return out


def _question(config: ShowConfig, state: ShowState, q: QuestionState | None, producer: bool) -> dict | None:
    if q is None:
        return None
    qconf = config.questions[q.id]
    revealed = q.phase is QPhase.REVEALED
    closed = q.phase in (QPhase.CLOSED, QPhase.REVEALED)
    segment = config.segment(q.segment)
    # Some rounds grade in secret until the reveal (speed); others judge on air.
    secret_grades = not producer and not revealed and segment is not None and round_of(segment).hides_grades
    answers: dict[str, Any] = {}
    for team, answer in q.answers.items():
        if producer or closed or not secret_grades:
            answers[team] = {
                "text": answer.text if (producer or closed) else "",
                "elapsed_ms": answer.elapsed_ms,
                "correct": None if secret_grades else answer.correct,
            }
        else:
            answers[team] = {"answered": True}
    out = {
        "id": q.id,
        "segment": q.segment,
        "text": qconf.text,
        "options": qconf.options,
        "media": qconf.media,
        "essay": qconf.essay,
        "value": number(q.value),
        "phase": q.phase.value,
        "turn": q.turn,
        "floor": q.floor,
        "star": q.star,
        "eligible": list(q.eligible),
        "locked": sorted(q.locked),
        "buzzes": [{"team": b.team, "at": b.at} for b in q.buzzes],
        "answers": answers,
        "opened_at": q.opened_at,
        "answer": qconf.answer if producer or revealed else None,
        "winners": [{"nickname": w.nickname, "at": w.at} for w in q.winners],
    }
    if segment is not None:
        out.update(round_of(segment).question_view(state, q))
    return out


def _judged(config: ShowConfig, state: ShowState, producer: bool) -> dict[str, Any]:
    """Each segment's own progress that its round shows (the judges' scores of a judged round)."""
    out: dict[str, Any] = {}
    for segment in config.rundown:
        progress = round_of(segment).progress_view(config, state, segment, producer)
        if progress is not None:
            out[segment.id] = progress
    return out
