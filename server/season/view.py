"""The season as the overlays and the controller see it: standings, the bracket, the next line-ups.

The shape is ``view.season`` in docs/protocol.md (the ``standings`` and ``bracket`` overlays draw it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from server.core.season.config import OnlineSpec, SeasonConfig, show_id
from server.core.season.events import Placed, SeasonState
from server.core.season.rules import Proposal, Row, propose, show_title, table


def season_view(season: SeasonConfig, state: SeasonState, live: str | None = None) -> dict[str, Any]:
    """``live``: the id of the show on air now, if it is one of the season's."""
    proposals = {s.id: propose(season, state, s.id) for s in season.stages if s.id not in state.lineups}
    through = _through(season, state, proposals)
    return {
        "id": season.id,
        "title": season.title,
        "standings": _standings(season, state, through),
        "bracket": [_online(season, state, spec, through) for spec in season.online]
        + [_stage(season, state, s.id, proposals.get(s.id), through, live) for s in season.stages],
        "next": [_proposal(season, p) for p in proposals.values()],
        "conflicts": _conflicts(season, state),
    }


def _conflicts(season: SeasonConfig, state: SeasonState) -> list[dict[str, Any]]:
    """Confirmed line-ups the rules no longer give (a correction after they were confirmed changed
    who goes through): the organizers decide what to do, the season says so."""
    out = []
    for stage in season.stages:
        confirmed = state.lineups.get(stage.id)
        if confirmed is None or confirmed.by_hand or stage.drawn:
            continue
        now = propose(season, state, stage.id, confirmed.seed).lineups
        if now is not None and now != confirmed.lineups:
            rules = [list(teams) for teams in now]
            out.append(
                {
                    "stage": stage.id,
                    "title": stage.title,
                    "confirmed": [list(t) for t in confirmed.lineups],
                    "rules": rules,
                }
            )
    return out


def _through(season: SeasonConfig, state: SeasonState, proposals: dict[str, Proposal]) -> dict[str, int]:
    """Team -> the index of the furthest stage on air it is in (confirmed, or proposed by the rules)."""
    out: dict[str, int] = {}
    for index, stage in enumerate(season.stages):
        confirmed = state.lineups.get(stage.id)
        lineups = confirmed.lineups if confirmed else proposals[stage.id].lineups
        if stage.drawn and lineups is None:
            lineups = (tuple(t.id for t in season.teams),)
        for teams in lineups or ():
            for team in teams:
                out[team] = index
    return out


def _standings(season: SeasonConfig, state: SeasonState, through: dict[str, int]) -> list[dict[str, Any]]:
    played: dict[str, int] = {}
    points: dict[str, Decimal] = {}
    last: dict[str, tuple[int, int, Decimal]] = {}  # team -> (stage index, place, points) of its last show
    for s_index, stage in enumerate(season.stages):
        for index in range(stage.shows):
            for row in table(season, state, stage.id, index) or []:
                played[row.team] = played.get(row.team, 0) + 1
                points[row.team] = points.get(row.team, Decimal(0)) + row.points
                last[row.team] = (s_index, row.place, row.points)
    final = len(season.stages) - 1
    out = []
    before = 0 if season.stages[0].drawn else -1  # where a team no line-up names is: the draw, or online
    for team in season.teams:
        reached = through.get(team.id, before)
        stage_index, place, last_points = last.get(team.id, (-1, 99, Decimal(0)))
        if stage_index == final and place == 1 and season.stages[final].shows == 1:
            status = "champion"
        elif reached > stage_index:
            status = "qualified" if stage_index >= 0 or before < 0 else ""  # through online, too
        elif stage_index == reached and _decided(season, state, reached):
            status = "out" if reached < final else ""
        else:
            status = ""
        out.append((team, reached, stage_index, place, last_points, status))
    # Furthest first; among teams out at the same stage, the most points there (places only in the final).
    out.sort(
        key=lambda r: (
            -r[1],
            r[2] != r[1],
            r[3] if r[2] == final else 0,
            -r[4],
            -points.get(r[0].id, Decimal(0)),
            r[0].name,
        )
    )
    return [
        {
            "team": team.id,
            "name": team.name,
            "short_name": team.short_name or team.name,
            "rank": rank,
            "played": played.get(team.id, 0),
            "points": _number(points.get(team.id, Decimal(0))),
            "status": status,
        }
        for rank, (team, _, _, _, _, status) in enumerate(out, 1)
    ]


def _decided(season: SeasonConfig, state: SeasonState, stage_index: int) -> bool:
    """Whether who goes on from this stage is known: the next stage's line-ups are settled."""
    if stage_index + 1 >= len(season.stages):
        return True
    following = season.stages[stage_index + 1]
    return following.id in state.lineups or propose(season, state, following.id).lineups is not None


def _stage(
    season: SeasonConfig,
    state: SeasonState,
    stage_id: str,
    proposal: Proposal | None,
    through: dict[str, int],
    live: str | None,
) -> dict[str, Any]:
    stage = season.stage(stage_id)
    assert stage is not None
    s_index = season.stage_index(stage_id)
    confirmed = state.lineups.get(stage_id)
    lineups = confirmed.lineups if confirmed else (proposal.lineups if proposal else None)
    names = {t.id: t.name for t in season.teams}
    shorts = {t.id: t.short_name or t.name for t in season.teams}
    decided = _decided(season, state, s_index)
    shows = []
    for index in range(stage.shows):
        sid = show_id(season, stage_id, index)
        rows: list[Row] | None = table(season, state, stage_id, index)
        if rows is not None:
            status = "done"
            teams = [
                {
                    "team": r.team,
                    "name": r.name,
                    "short_name": shorts.get(r.team, r.name),
                    "points": _number(r.points),
                    "result": "winner"
                    if r.place == 1
                    else "advances"
                    if through.get(r.team, 0) > s_index
                    else ("out" if decided else None),
                }
                for r in rows
            ]
        else:
            status = "live" if sid == live else "upcoming"
            teams = [
                {"team": t, "name": names[t], "short_name": shorts[t], "points": None, "result": None}
                for t in (lineups[index] if lineups else ())
            ]
        shows.append(
            {
                "id": sid,
                "title": show_title(season, stage_id, index),
                "status": status,
                "confirmed": bool(confirmed),
                "teams": teams,
            }
        )
    return {"id": stage.id, "title": stage.title, "shows": shows}


def _online(season: SeasonConfig, state: SeasonState, spec: OnlineSpec, through: dict[str, int]) -> dict[str, Any]:
    """An online stage as one card of the bracket: the top of its ranking once it is taken ("ranked"), each
    unit once at its best place, as many as a later stage takes from it (5 if none does), those that go
    on marked. A unit no team stands for is named by its unit."""
    ranking = state.rankings.get(spec.id)
    shown = max((s.top or 0 for stage in season.stages for s in stage.entrants if s.stage == spec.id), default=0)
    best: dict[str, Placed] = {}  # unit -> its first row
    for row in ranking.rows if ranking else ():
        best.setdefault(row.unit, row)
    teams = []
    for row in list(best.values())[: shown or 5]:
        team = season.team_of_unit(row.unit)
        teams.append(
            {
                "team": team.id if team else row.unit,
                "name": team.name if team else row.unit,
                "short_name": (team.short_name or team.name) if team else row.unit,
                "title": row.title,
                "points": _number(row.points),
                "result": "advances" if team and team.id in through else None,
            }
        )
    card = {"id": spec.id, "title": spec.title, "status": "ranked" if ranking else "open", "teams": teams}
    # Its points are the stage's, not a show's: counts of entrants (none), or scores to the hundredth.
    card["decimals"] = max((_decimals(row.points) for row in ranking.rows), default=0) if ranking else 0
    return {"id": spec.id, "title": spec.title, "online": True, "shows": [card]}


def _proposal(season: SeasonConfig, proposal: Proposal) -> dict[str, Any]:
    names = {t.id: t.name for t in season.teams}
    return {
        "stage": proposal.stage,
        "lineups": [list(teams) for teams in proposal.lineups] if proposal.lineups is not None else None,
        "waiting": [show_id(season, *where) for where in proposal.waiting],
        "rankings": list(proposal.rankings),
        "draw": [[names[t] for t in group] for group in proposal.draw],
        "problem": proposal.problem,
        "problem_words": proposal.problem_words and proposal.problem_words.wire(),
    }


def _number(points: Decimal) -> int | float:
    return int(points) if points == points.to_integral_value() else float(points)


def _decimals(points: Decimal) -> int:
    """How many decimals ``points`` is written with (93.70: 2; a count: 0)."""
    exponent = points.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0
