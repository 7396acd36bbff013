"""Build a validated ``SeasonConfig`` from a YAML season file (``show_configs/*.season.yaml``).

Problems are reported like a show file's: ``FILE:LINE: key.path: what was expected, got what``,
all of them at once; a stage's show file is checked too and its problems named with its own path.
"""

from __future__ import annotations

from pathlib import Path

from server.configs.initiatives import load_initiatives
from server.configs.parse import ConfigError, _Builder, load_show, parse_file, read_text
from server.configs.quiz import load_quiz
from server.configs.reader import Node, Problems
from server.core.config import ShowConfig, Stage, Team
from server.core.season.config import COMPARE_RULES, OnlineSpec, SeasonConfig, Source, StageSpec

MAX_TEAMS = 200
MAX_SHOWS = 64


def load_season(path: str | Path) -> SeasonConfig:
    """Read, parse and validate a season file, or raise ``ConfigError`` listing every problem."""
    path = Path(path)
    return parse_file(read_text(path), path, _SeasonReader, _SeasonReader.season)


class _SeasonReader(_Builder):
    def __init__(self, problems: Problems, base: Path) -> None:
        super().__init__(problems, base)
        self.templates: dict[Path, ShowConfig | None] = {}

    def season(self, root: Node) -> SeasonConfig | None:
        root.mapping(("season", "teams", "ranking", "compare", "stages"), required=("season", "teams", "stages"))
        meta = self.attempt(
            lambda: root["season"].mapping(("id", "title", "organizer", "season"), required=("id", "title"))
        )
        season_id = self.attempt(lambda: meta["id"].ident()) if meta else None
        title = self.attempt(lambda: meta["title"].str(max_len=200)) if meta else None
        teams = self.items(root, "teams", self.team, "team", min_len=2, max_len=MAX_TEAMS)
        ranking = self.opt(root, "ranking", self.ranking, ("points", "sudden_death"))
        compare = self.opt(root, "compare", self.compare, ("points", "draw"))
        stages_node = self.attempt(lambda: root["stages"].list(min_len=1, max_len=8))
        stages: list[StageSpec] = []
        online: list[OnlineSpec] = []
        if stages_node:
            self.unique(stages_node, "stage")
            named: list[str] = []  # every stage's id so far, read or not
            for node in stages_node:
                if isinstance(node.value, dict) and ({"quiz", "initiatives"} & node.value.keys()):
                    spec = self.attempt(lambda node=node: self.online_stage(node, stages))
                    if spec is not None:
                        online.append(spec)
                else:
                    stage = self.attempt(lambda node=node: self.stage(node, stages, online, named, teams, ranking))
                    if stage is not None:
                        stages.append(stage)
                if isinstance(node.value, dict) and node.value.get("id") is not None:
                    named.append(str(node.value["id"]))
        if not stages and not self.problems.items and stages_node:
            self.problems.add(stages_node.fail("a season needs a stage played on air after its online ones"))
        if season_id is None or title is None or self.problems.items or self.elsewhere:
            return None
        return SeasonConfig(
            id=season_id,
            title=title,
            teams=tuple(teams),
            stages=tuple(stages),
            organizer=self.opt(meta, "organizer", Node.str, ""),
            season=self.opt(meta, "season", Node.str, ""),
            ranking=ranking,
            compare=compare,
            online=tuple(online),
        )

    def compare(self, node: Node) -> tuple[str, ...]:
        rules = tuple(child.choice(COMPARE_RULES) for child in node.list(min_len=1, max_len=4))
        if rules[0] != "points" or len(set(rules)) != len(rules) or ("draw" in rules and rules[-1] != "draw"):
            raise node.expected("'points' first, then speed_points and/or answer_time, each once, and 'draw' last")
        return rules

    def online_stage(self, node: Node, before: list[StageSpec]) -> OnlineSpec | None:
        """A stage played online (``quiz:`` or ``initiatives:`` names its file), before every show."""
        node.mapping(("id", "title", "quiz", "initiatives", "db", "rank"), required=("id", "title"))
        stage_id = node["id"].ident()
        if before:
            raise node.fail("an online stage comes before the stages played on air")
        if "quiz" in node.value and "initiatives" in node.value:
            raise node.fail("a stage is an online quiz or an initiatives stage: give 'quiz' or 'initiatives', not both")
        kind = "quiz" if "quiz" in node.value else "initiatives"
        path = (self.base / node[kind].str()).resolve()
        load = load_quiz if kind == "quiz" else load_initiatives
        try:
            units = load(path).units
        except ConfigError as exc:
            self.elsewhere.extend(exc.errors)
            return None
        db = self.opt(node, "db", lambda n: (self.base / n.str()).resolve(), path.with_suffix(".db"))
        ranks = ("participation", "score") if kind == "quiz" else ("ranking",)
        rank = self.opt(node, "rank", lambda n: n.choice(ranks), ranks[0])
        return OnlineSpec(stage_id, node["title"].str(max_len=120), kind, str(path), str(db), units, rank)

    def stage(
        self,
        node: Node,
        before: list[StageSpec],
        online: list[OnlineSpec],
        named: list[str],
        teams: list[Team],
        ranking: tuple[str, ...],
    ) -> StageSpec | None:
        node.mapping(
            ("id", "title", "stage", "show", "shows", "size", "entrants", "fill"),
            required=("id", "title", "show", "shows"),
        )
        stage_id = node["id"].ident()
        shows = node["shows"].int(1, MAX_SHOWS)
        template, show_file = self.template(node["show"], ranking)
        kind = Stage(self.opt(node, "stage", lambda n: n.choice(tuple(s.value for s in Stage)), "other"))
        fill = self.opt(node, "fill", lambda n: n.choice(("order", "draw")), "order")
        entrants_node = node.get("entrants")
        entrants = (
            tuple(self.each(entrants_node.list(min_len=1, max_len=4), lambda n: self.source(n, before, online, named)))
            if (entrants_node)
            else ()
        )
        if entrants_node is not None and len(entrants) != len(entrants_node.value):
            return None  # an entrant's own problem is reported
        size_node = node.get("size")
        if not before and not entrants:  # the first stage on air draws the season's teams
            if size_node is None:
                raise node.fail("missing required key 'size' (teams per show at most)")
            size = size_node.int(2, 12)
            if not 2 * shows <= len(teams) <= size * shows:
                raise node.fail(f"{len(teams)} teams do not fit {shows} shows of 2 to {size} teams")
        else:
            if not entrants:
                raise node.fail("missing required key 'entrants': which teams of earlier stages play this one")
            if any(s.top is not None for s in entrants):
                _stand_for_units(teams, [o for o in online if any(s.stage == o.id for s in entrants)], node)
            counts = _show_sizes(entrants, before, shows, fill, node)
            size = size_node.int(2, 12) if size_node is not None else max(counts)
            if max(counts) > size or min(counts) < 2:
                raise node.fail(f"its shows would have {', '.join(map(str, counts))} teams; each needs 2 to {size}")
        if template is not None and len(template.teams) < size:
            raise node["show"].fail(f"the show file has {len(template.teams)} teams; this stage needs up to {size}")
        if template is None:
            raise node["show"].fail("the show file has problems (listed below)")
        title = node["title"].str(max_len=120)
        return StageSpec(stage_id, title, kind, template, str(show_file), shows, size, entrants, fill)

    def template(self, node: Node, ranking: tuple[str, ...]) -> tuple[ShowConfig | None, Path]:
        path = (self.base / node.str()).resolve()
        if path not in self.templates:
            try:
                self.templates[path] = load_show(path)
            except ConfigError as exc:
                self.templates[path] = None
                self.elsewhere.extend(exc.errors)
        template = self.templates[path]
        if template is not None and "sudden_death" in ranking and not template.tiebreak.questions:
            raise node.fail("the ranking has sudden_death but this show file has no tiebreak questions")
        return template, path

    def source(self, node: Node, before: list[StageSpec], online: list[OnlineSpec], named: list[str]) -> Source | None:
        stage_id = node.mapping(("from", "place", "best", "top"), required=("from",))["from"].ident()
        if any(o.id == stage_id for o in online):
            node.mapping(("from", "top"), required=("from", "top"))
            return Source(stage_id, top=node["top"].int(1, MAX_TEAMS))
        earlier = next((s for s in before if s.id == stage_id), None)
        if earlier is None:
            if stage_id in named:
                return None  # that stage has problems of its own, reported there
            raise node["from"].fail(f"no earlier stage '{stage_id}' (earlier stages: {', '.join(named) or 'none'})")
        if node.get("top") is not None:
            raise node["top"].fail(f"'top' takes the best of an online stage's ranking; '{stage_id}' is played on air")
        place = self.opt(node, "place", lambda n: n.int(1, earlier.size), 1)
        best = self.opt(node, "best", lambda n: n.int(1, earlier.shows), None)
        return Source(stage_id, place, best)


def _show_sizes(entrants: tuple[Source, ...], before: list[StageSpec], shows: int, fill: str, node: Node) -> list[int]:
    """How many teams each show of a stage gets from its sources."""
    by_id = {s.id: s for s in before}
    if fill == "draw":
        total = sum(s.top or s.best or by_id[s.stage].shows for s in entrants)
        base, extra = divmod(total, shows)
        return [base + (1 if k < extra else 0) for k in range(shows)]
    counts = [0] * shows
    for source in entrants:
        if source.top is not None:
            if shows > 1:
                raise node.fail(f"the top {source.top} of '{source.stage}' go to one show; for {shows}, use fill: draw")
            counts[0] += source.top
            continue
        earlier = by_id[source.stage]
        if earlier.shows % shows:
            raise node.fail(f"{earlier.shows} shows of '{earlier.id}' do not split evenly into {shows}; use fill: draw")
        group = earlier.shows // shows
        if source.best is not None and source.best > group:
            raise node.fail(f"best {source.best} of {group} shows of '{earlier.id}' per show")
        for k in range(shows):
            counts[k] += source.best or group
    return counts


def _stand_for_units(teams: list[Team], online: list[OnlineSpec], node: Node) -> None:
    """Each unit an online stage ranks must have one team of the season standing for it (its ``unit``,
    or its name): the ranking's units are the teams that go through."""
    units = [t.unit or t.name for t in teams]
    twice = sorted({u for u in units if units.count(u) > 1})
    if twice:
        twice_text = ", ".join(twice)
        raise node.fail(f"teams that go through by an online ranking stand for one unit each; twice: {twice_text}")
    for spec in online:
        missing = [u for u in spec.units if u not in units]
        if missing:
            listed = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            raise node.fail(f"no team stands for these units of {Path(spec.file).name}: {listed} (a team's 'unit')")
