"""The typed season configuration: the teams of a tournament and how they go from show to show.

Parsed and validated from YAML by ``server.season.parse``; everything here is plain data.
"""

from __future__ import annotations

from msgspec import Struct

from server.core.config import ShowConfig, Stage, Team

# Rules that order teams of different shows (e.g. the best runner-up), applied in turn.
COMPARE_RULES = ("points", "speed_points", "answer_time", "draw")


class Source(Struct, frozen=True):
    """Where some of a stage's teams come from: the team at ``place`` in each show of ``stage``;
    with ``best``, only the ``best`` of those (compared by the season's ``compare`` rules). From an
    online stage: the teams of its ranking's ``top`` units."""

    stage: str
    place: int = 1
    best: int | None = None
    top: int | None = None


class OnlineSpec(Struct, frozen=True):
    """A stage played online before the shows (``docs/online-quiz.md``): an online quiz or an
    initiatives stage, run by its own server. Its ranking of units, recorded in the season when the
    organizers take it, feeds later stages' line-ups."""

    id: str
    title: str
    kind: str  # "quiz" or "initiatives"
    file: str  # the stage's file
    db: str  # its server's database, where its ranking is read
    units: tuple[str, ...]  # the units its file names
    rank: str = "ranking"  # initiatives: "ranking"; a quiz: "participation" or "score"


class StageSpec(Struct, frozen=True):
    id: str
    title: str
    stage: Stage
    show: ShowConfig  # the template: rundown, judges, questions, theme; its teams are replaced
    show_file: str  # where the template was read (its media paths are relative to its folder)
    shows: int
    size: int  # teams per show at most
    entrants: tuple[Source, ...] = ()  # none: the season's teams, drawn into the shows
    fill: str = "order"  # "order": show k takes the k-th group of the sources' shows; "draw": drawn

    @property
    def drawn(self) -> bool:
        return not self.entrants


class SeasonConfig(Struct, frozen=True):
    id: str
    title: str
    teams: tuple[Team, ...]
    stages: tuple[StageSpec, ...]
    organizer: str = ""
    season: str = ""
    ranking: tuple[str, ...] = ("points", "sudden_death")  # places inside a show
    compare: tuple[str, ...] = ("points", "draw")  # teams of different shows
    online: tuple[OnlineSpec, ...] = ()  # stages played online, before the shows

    def stage(self, stage_id: str) -> StageSpec | None:
        return next((s for s in self.stages if s.id == stage_id), None)

    def online_stage(self, stage_id: str) -> OnlineSpec | None:
        return next((s for s in self.online if s.id == stage_id), None)

    def team(self, team_id: str) -> Team | None:
        return next((t for t in self.teams if t.id == team_id), None)

    def team_of_unit(self, unit: str) -> Team | None:
        """The team that stands for ``unit`` (its ``unit``, or its name when it has none)."""
        return next((t for t in self.teams if (t.unit or t.name) == unit), None)

    def stage_index(self, stage_id: str) -> int:
        return next(i for i, s in enumerate(self.stages) if s.id == stage_id)


def show_id(season: SeasonConfig, stage: str, index: int) -> str:
    """The id of a season's show: ``<season>-<stage>-<n>``, n from 1."""
    return f"{season.id}-{stage}-{index + 1}"
