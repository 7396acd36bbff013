"""Build a validated ``InitiativesConfig`` from a YAML file (``show_configs/*.initiatives.yaml``); problems
are reported like a show file's, all at once, each with its line and key path."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from server.configs.parse import _Builder, parse_file, read_text
from server.configs.quiz import MAX_UNITS, criterion, moment
from server.configs.reader import Node
from server.core.config import Theme
from server.core.initiatives.config import InitiativesConfig, Window


def load_initiatives(path: str | Path) -> InitiativesConfig:
    """Read, parse and validate an initiatives file, or raise ``ConfigError`` listing every problem."""
    path = Path(path)
    return parse_file(read_text(path), path, _InitiativesReader, _InitiativesReader.stage)


class _InitiativesReader(_Builder):
    def stage(self, root: Node) -> InitiativesConfig | None:
        root.mapping(
            ("initiatives", "units", "weights", "criteria", "judges"),
            required=("initiatives", "units", "criteria", "judges"),
        )
        meta = self.attempt(
            lambda: root["initiatives"].mapping(
                ("id", "title", "organizer", "language", "theme", "submissions", "voting", "finalists"),
                required=("id", "title", "submissions", "voting"),
            )
        )
        units = self.attempt(lambda: [n.str(max_len=120) for n in root["units"].list(min_len=1, max_len=MAX_UNITS)])
        criteria = self.items(root, "criteria", criterion, "criterion", min_len=1, max_len=10)
        judges = self.items(root, "judges", self.judge, "judge", min_len=1, max_len=20)
        weights = self.opt(root, "weights", self.weights, (Decimal("0.7"), Decimal("0.3")))
        if meta is None:
            return None
        stage_id = self.attempt(lambda: meta["id"].ident())
        title = self.attempt(lambda: meta["title"].str(max_len=200))
        submissions = self.attempt(lambda: self.window(meta["submissions"]))
        voting = self.attempt(lambda: self.window(meta["voting"]))
        if None in (stage_id, title, submissions, voting, units) or not criteria or self.problems.items:
            return None
        return InitiativesConfig(
            id=stage_id,
            title=title,
            submissions=submissions,
            voting=voting,
            units=tuple(units),
            criteria=tuple(criteria),
            judges=tuple(judges),
            judges_weight=weights[0],
            community_weight=weights[1],
            finalists=self.opt(meta, "finalists", lambda n: n.int(1, 50), 5),
            organizer=self.opt(meta, "organizer", lambda n: n.str(max_len=200), ""),
            language=self.opt(meta, "language", lambda n: n.choice(("vi", "en")), "vi"),
            theme=self.opt(meta, "theme", self.theme, Theme()),
        )

    def window(self, node: Node) -> Window:
        node.mapping(("opens", "closes"), required=("opens", "closes"))
        opens, closes = moment(node["opens"]), moment(node["closes"])
        if closes <= opens:
            raise node["closes"].fail("expected a moment after 'opens'")
        return Window(opens, closes)

    def weights(self, node: Node) -> tuple[Decimal, Decimal]:
        node.mapping(("judges", "community"), required=("judges", "community"))
        judges = node["judges"].decimal(Decimal(0), Decimal(1))
        community = node["community"].decimal(Decimal(0), Decimal(1))
        if judges + community != 1:
            raise node.fail(
                f"expected the judges' and the community's weights to add up to 1, got {judges} + {community}"
            )
        return judges, community
