"""A season's show: the stage's show file with the confirmed teams in place of the file's own."""

from __future__ import annotations

import msgspec

from server.core.config import Contest, Segment, ShowConfig, Team
from server.core.season.config import SeasonConfig, StageSpec, show_id


def season_show(season: SeasonConfig, stage: StageSpec, index: int, teams: tuple[str, ...]) -> ShowConfig:
    """The template's i-th team is replaced by the line-up's i-th (a turns round's questions follow
    their team; those of a team the show does not have are dropped), the id and stage are the
    season's, and the season's ranking rules decide places. Tokens fixed for the template's teams
    do not carry over; the producer's and judges' do."""
    template = stage.show
    lineup: tuple[Team, ...] = tuple(t for t in (season.team(team) for team in teams) if t is not None)
    mapping = {old.id: new.id for old, new in zip(template.teams, lineup, strict=False)}
    rundown = tuple(_segment(segment, mapping) for segment in template.rundown)
    contest: Contest = msgspec.structs.replace(
        template.contest, stage=stage.stage, season=season.season or template.contest.season
    )
    tokens = {k: v for k, v in template.tokens.items() if not k.startswith("team:")}
    return msgspec.structs.replace(
        template,
        id=show_id(season, stage.id, index),
        contest=contest,
        teams=lineup,
        rundown=rundown,
        ranking=season.ranking,
        tokens=tokens,
    )


def _segment(segment: Segment, mapping: dict[str, str]) -> Segment:
    if not any(slot.team for slot in segment.slots):
        return segment
    slots = tuple(
        msgspec.structs.replace(slot, team=mapping[slot.team]) for slot in segment.slots if slot.team in mapping
    )
    return msgspec.structs.replace(segment, slots=slots)
