"""The season's rules, pure: places after corrections, who goes through, the next line-ups, the draw.

Nothing here reads a clock, a file or a random source of its own: a draw takes its seed as an
argument, and the seed is kept in the season's log, so replaying the log gives the same season.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from msgspec import Struct

from server.core.errors import InvalidCommand, NotFound, RuleError, quote
from server.core.season.config import SeasonConfig, StageSpec
from server.core.season.events import (
    LineupsConfirmed,
    Placed,
    PointsCorrected,
    RankingRecorded,
    ResultRecorded,
    SeasonState,
)
from server.core.season.results import ShowResult
from server.core.words import Words, say

MAX_CORRECTION = Decimal(1000)


class Row(Struct, frozen=True):
    """A team in a played show, corrections included."""

    team: str
    name: str
    points: Decimal
    place: int
    speed_points: Decimal
    answer_ms: int
    correction: Decimal = Decimal(0)


class Proposal(Struct, frozen=True):
    """What the rules say a stage's shows should be, as far as they can say it yet."""

    stage: str
    lineups: tuple[tuple[str, ...], ...] | None  # None: not decided yet (see waiting, problem)
    waiting: tuple[tuple[str, int], ...] = ()  # (stage, index) of shows to be played before the rules decide
    rankings: tuple[str, ...] = ()  # online stages whose ranking must be recorded before the rules decide
    draw: tuple[tuple[str, ...], ...] = ()  # tied teams a draw decides between (the seed: on confirm)
    problem: str = ""  # something the rules cannot decide: the producer fixes the line-up by hand
    problem_words: Words | None = None  # ``problem`` as a catalogue key and parameters


# -- places -------------------------------------------------------------------------------------


def _unsure(stage: str, problem: Words) -> Proposal:
    """A proposal the rules cannot make: ``problem`` says why."""
    return Proposal(stage, None, problem=problem.text("en"), problem_words=problem)


def table(season: SeasonConfig, state: SeasonState, stage: str, index: int) -> list[Row] | None:
    """A played show's teams best first, with the corrections made since; None if not played.

    A correction re-ranks by points, then the season's named rules; teams still equal keep the
    order the show gave them on air (its sudden death included)."""
    result = state.result(stage, index)
    if result is None:
        return None
    fixes: dict[str, Decimal] = {}
    for c in state.corrections:
        if c.stage == stage and c.index == index:
            fixes[c.team] = fixes.get(c.team, Decimal(0)) + c.points
    rows = [
        Row(
            t.team,
            t.name,
            t.points + fixes.get(t.team, Decimal(0)),
            t.place,
            t.speed_points,
            t.answer_ms,
            fixes.get(t.team, Decimal(0)),
        )
        for t in result.teams
    ]

    def rank_key(row: Row) -> tuple[Any, ...]:
        parts: list[Any] = [-row.points]
        for rule in season.ranking:
            if rule == "speed_points":
                parts.append(-row.speed_points)
            elif rule == "answer_time":
                parts.append(row.answer_ms)
        return (*parts, row.place)

    rows.sort(key=rank_key)
    out: list[Row] = []
    for position, row in enumerate(rows, start=1):
        place = out[-1].place if out and rank_key(rows[position - 2]) == rank_key(row) else position
        out.append(Row(row.team, row.name, row.points, place, row.speed_points, row.answer_ms, row.correction))
    return out


def compare_key(season: SeasonConfig, row: Row) -> tuple[Any, ...]:
    """How teams of different shows compare (the best runner-up): the season's ``compare`` rules."""
    parts: list[Any] = []
    for rule in season.compare:
        if rule == "points":
            parts.append(-row.points)
        elif rule == "speed_points":
            parts.append(-row.speed_points)
        elif rule == "answer_time":
            parts.append(row.answer_ms)
    return tuple(parts)


# -- who goes through ---------------------------------------------------------------------------


def propose(season: SeasonConfig, state: SeasonState, stage_id: str, seed: int | None = None) -> Proposal:
    """The line-ups the rules give a stage. A draw (the first stage's, a ``fill: draw``, or a tie the
    ``compare`` rules leave) is made with ``seed``; without one the proposal names what it decides."""
    stage = season.stage(stage_id)
    if stage is None:
        raise NotFound("season.no_stage", stage=quote(stage_id))
    rng = random.Random(seed) if seed is not None else None
    if stage.drawn:
        everyone = [t.id for t in season.teams]
        if rng is None:
            return Proposal(stage.id, None, draw=(tuple(everyone),))
        rng.shuffle(everyone)
        return Proposal(stage.id, deal(everyone, stage.shows))
    sources = dict.fromkeys(s.stage for s in stage.entrants)
    waiting = tuple(
        (source, i)
        for source in sources
        if (earlier := season.stage(source)) is not None
        for i in range(earlier.shows)
        if state.result(source, i) is None
    )
    due = tuple(s for s in sources if season.online_stage(s) is not None and s not in state.rankings)
    if waiting or due:
        return Proposal(stage.id, None, waiting=waiting, rankings=due)
    groups = stage.shows if stage.fill == "order" else 1
    picked: list[list[str]] = []
    draws: list[tuple[str, ...]] = []
    for group in range(groups):
        teams: list[str] = []
        for source in stage.entrants:
            if source.top is not None:  # an online stage's: its groups are one (the season file says so)
                rows, problem = _ranked(season, state.rankings[source.stage], teams)
                if problem is not None:
                    return _unsure(stage.id, problem)
                chosen, tied = _best(rows, source.top, rng, lambda r: (r.place,))
                if tied and "draw" not in season.compare:
                    names = ", ".join(r.name for r in tied)
                    return _unsure(stage.id, say("season.shared_rank", teams=names, place=tied[0].place))
                if tied:
                    draws.append(tuple(r.team for r in tied))
                teams += [r.team for r in chosen] if chosen is not None else []
                continue
            earlier = season.stage(source.stage)
            assert earlier is not None
            per = earlier.shows // groups
            candidates: list[Row] = []
            for index in range(group * per, (group + 1) * per):
                rows = table(season, state, source.stage, index) or []
                at_place = [r for r in rows if r.place == source.place]
                if len(at_place) > 1:
                    names = ", ".join(r.name for r in at_place)
                    title = f"{earlier.title} {index + 1}"
                    return _unsure(stage.id, say("season.shared_place", show=title, teams=names, place=source.place))
                candidates += at_place
            if source.best is None:
                teams += [r.team for r in candidates]
                continue
            chosen, tied = _best(candidates, source.best, rng, lambda r: compare_key(season, r))
            if tied and "draw" not in season.compare:
                names = ", ".join(r.name for r in tied)
                return _unsure(stage.id, say("season.equal", teams=names, rules=", ".join(season.compare)))
            if tied:
                draws.append(tuple(r.team for r in tied))
            teams += [r.team for r in chosen] if chosen is not None else []
        picked.append(teams)
    few = sum(len(t) for t in picked)
    if few < 2 * stage.shows and not draws:  # an online ranking with fewer units than its stage takes
        return _unsure(stage.id, say("season.too_few", title=stage.title, count=few, shows=stage.shows))
    if draws and rng is None:
        return Proposal(stage.id, None, draw=tuple(draws))
    if stage.fill == "draw":
        pool = picked[0]
        if rng is None:
            return Proposal(stage.id, None, draw=(tuple(pool),))
        rng.shuffle(pool)
        return Proposal(stage.id, deal(pool, stage.shows))
    return Proposal(stage.id, tuple(tuple(t) for t in picked))


def _ranked(season: SeasonConfig, ranking: RankingRecorded, taken: list[str]) -> tuple[list[Row], Words | None]:
    """An online stage's ranking as rows of the season's teams, each team once (at its unit's best
    place) and none already ``taken``; or the problem of a unit no team stands for."""
    rows: dict[str, Row] = {}
    for placed in ranking.rows:
        team = season.team_of_unit(placed.unit)
        if team is None:
            return [], say("season.unit_without_team", unit=placed.unit)
        if team.id not in rows and team.id not in taken:
            rows[team.id] = Row(team.id, team.name, placed.points, placed.place, Decimal(0), 0)
    return list(rows.values()), None


def _best(
    candidates: list[Row], count: int, rng: random.Random | None, key: Callable[[Row], tuple[Any, ...]]
) -> tuple[list[Row] | None, list[Row]]:
    """The ``count`` best candidates by ``key``, and the teams tied across the cut (a draw picks among
    them: with ``rng`` it is made and the list returned complete; without, the list is None)."""
    ranked = sorted(candidates, key=lambda r: (key(r), r.team))
    if len(ranked) <= count:
        return ranked, []
    cut = key(ranked[count - 1])
    if key(ranked[count]) != cut:
        return ranked[:count], []
    tied = [r for r in ranked if key(r) == cut]
    sure = [r for r in ranked if key(r) < cut]
    if rng is None:
        return None, tied
    order = list(tied)
    rng.shuffle(order)
    return sure + order[: count - len(sure)], tied


def deal(teams: list[str], shows: int) -> tuple[tuple[str, ...], ...]:
    """Teams into ``shows`` shows in turn order, as even as can be, the bigger shows first
    (17 into 6: 3, 3, 3, 3, 3, 2)."""
    base, extra = divmod(len(teams), shows)
    out, start = [], 0
    for k in range(shows):
        size = base + (1 if k < extra else 0)
        out.append(tuple(teams[start : start + size]))
        start += size
    return tuple(out)


# -- deciding the season's events ---------------------------------------------------------------


def show_title(season: SeasonConfig, stage_id: str, index: int) -> str:
    """How people name a show: "Bán kết 1", or "Chung kết" for a stage of one show."""
    stage = season.stage(stage_id)
    assert stage is not None
    return stage.title if stage.shows == 1 else f"{stage.title} {index + 1}"


def played(state: SeasonState, stage: str) -> list[int]:
    return sorted(int(k.split("/")[1]) for k in state.results if k.split("/")[0] == stage)


def confirm(
    season: SeasonConfig,
    state: SeasonState,
    stage_id: str,
    at: int,
    by: str,
    seed: int | None = None,
    lineups: tuple[tuple[str, ...], ...] | None = None,
    reason: str = "",
    expect: tuple[tuple[str, ...], ...] | None = None,
) -> LineupsConfirmed:
    """Confirm a stage's line-ups: the rules' (a draw among ties made with ``seed``), or by hand
    (``lineups``, with a ``reason``). Refused once one of the stage's shows has been played."""
    stage = season.stage(stage_id)
    if stage is None:
        raise NotFound("season.no_stage", stage=quote(stage_id))
    done = played(state, stage.id)
    if done:
        raise RuleError("season.lineups_final", title=stage.title, index=done[0] + 1)
    if lineups is None:
        proposal = propose(season, state, stage.id, seed)
        if proposal.lineups is None:
            if proposal.rankings:
                titles = ", ".join(s.title for s in season.online if s.id in proposal.rankings)
                raise RuleError("season.waiting_ranking", title=stage.title, titles=titles)
            if proposal.waiting:
                titles = ", ".join(show_title(season, *where) for where in proposal.waiting)
                raise RuleError("season.waiting", title=stage.title, titles=titles)
            problem = proposal.problem_words or say("season.cannot_decide")
            raise RuleError(problem.key, **problem.params)
        if expect is not None and tuple(map(tuple, expect)) != proposal.lineups:
            raise RuleError("season.proposal_changed", title=stage.title)
        drew = bool(propose(season, state, stage.id).draw)
        return LineupsConfirmed(at, by, stage.id, proposal.lineups, seed if drew else None)
    reason = " ".join(reason.split())
    if not reason or len(reason) > 200:
        raise InvalidCommand("season.lineup_reason")
    _check_lineups(season, stage, lineups)
    return LineupsConfirmed(at, by, stage.id, lineups, None, True, reason)


def _check_lineups(season: SeasonConfig, stage: StageSpec, lineups: tuple[tuple[str, ...], ...]) -> None:
    if len(lineups) != stage.shows:
        raise InvalidCommand("season.lineup_count", title=stage.title, shows=stage.shows, count=len(lineups))
    seen: set[str] = set()
    for n, teams in enumerate(lineups, 1):
        if not 2 <= len(teams) <= stage.size:
            raise InvalidCommand("season.lineup_size", title=stage.title, n=n, size=stage.size, count=len(teams))
        for team in teams:
            if season.team(team) is None:
                raise NotFound("season.no_team", team=quote(team))
            if team in seen:
                raise InvalidCommand("season.team_twice", team=team)
            seen.add(team)
    if stage.drawn and seen != {t.id for t in season.teams}:
        missing = sorted({t.id for t in season.teams} - seen)
        raise InvalidCommand("season.draw_incomplete", missing=", ".join(missing))


def rank(
    season: SeasonConfig, state: SeasonState, stage_id: str, rows: tuple[Placed, ...], at: int, by: str
) -> RankingRecorded:
    """An online stage's ranking taken into the season; refused once a show it feeds has been played."""
    spec = season.online_stage(stage_id)
    if spec is None:
        stages = ", ".join(s.id for s in season.online) or "—"
        raise NotFound("season.no_online_stage", stage=quote(stage_id), stages=stages)
    for later in season.stages:
        done = played(state, later.id)
        if done and any(s.stage == stage_id for s in later.entrants):
            raise RuleError("season.ranking_final", title=spec.title, show=show_title(season, later.id, done[0]))
    if not rows:
        raise RuleError("season.ranking_empty", title=spec.title)
    return RankingRecorded(at, by, stage_id, rows)


def record(
    season: SeasonConfig, state: SeasonState, stage_id: str, index: int, result: ShowResult, at: int, by: str
) -> ResultRecorded:
    """A show of the stage ended: its teams must be the confirmed line-up."""
    teams = lineup(season, state, stage_id, index)
    if sorted(t.team for t in result.teams) != sorted(teams):
        played = ", ".join(t.team for t in result.teams)
        raise RuleError("season.not_its_lineup", teams=played, lineup=", ".join(teams))
    return ResultRecorded(at, by, stage_id, index, result)


def correct(
    season: SeasonConfig,
    state: SeasonState,
    stage_id: str,
    index: int,
    team: str,
    points: Decimal,
    reason: str,
    at: int,
    by: str,
) -> PointsCorrected:
    """Points changed after a show, with the reason (an upheld appeal)."""
    lineup(season, state, stage_id, index)
    stage = season.stage(stage_id)
    assert stage is not None
    if state.result(stage_id, index) is None:
        raise RuleError("season.correct_unplayed", title=stage.title, index=index + 1)
    if team not in {t.team for t in state.result(stage_id, index).teams}:  # type: ignore[union-attr]
        raise NotFound("season.team_not_in_show", team=quote(team), title=stage.title, index=index + 1)
    if not points.is_finite() or points == 0 or abs(points) > MAX_CORRECTION:
        raise InvalidCommand("season.bad_correction", limit=MAX_CORRECTION)
    reason = " ".join(reason.split())
    if not reason or len(reason) > 200:
        raise InvalidCommand("season.correction_reason")
    return PointsCorrected(at, by, stage_id, index, team, points, reason)


def lineup(season: SeasonConfig, state: SeasonState, stage_id: str, index: int) -> tuple[str, ...]:
    """The confirmed teams of one show; raises ``ShowError`` if there are none yet."""
    stage = season.stage(stage_id)
    if stage is None:
        raise NotFound("season.no_stage", stage=quote(stage_id))
    if not 0 <= index < stage.shows:
        raise NotFound("season.no_show_number", title=stage.title, shows=stage.shows, index=index + 1)
    confirmed = state.lineups.get(stage_id)
    if confirmed is None:
        raise RuleError("season.confirm_lineups_first", title=stage.title)
    return confirmed.lineups[index]
