"""Build a validated ``ShowConfig`` from a YAML show file.

Every problem is reported as ``FILE:LINE: key.path: what was expected, got what``; all of a
file's problems are collected before anything is returned, and nothing half-valid escapes.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from server.configs.reader import Node, Problem, Problems
from server.configs.source import YamlSyntaxError, load_yaml
from server.core.config import (
    FONTS,
    OVERLAYS,
    Contest,
    Judge,
    Look,
    Member,
    ObsCue,
    ObsSettings,
    Question,
    Segment,
    ShowConfig,
    Slot,
    Stage,
    Team,
    Theme,
    Tiebreak,
)
from server.core.rounds import BY_NAME, NAMES, RoundType, Scoring
from server.core.rounds.base import Read, Round
from server.core.zones import OVERLAY_ZONES, SEASON_OVERLAYS, collisions, fitting

T = TypeVar("T")
ZERO = Decimal(0)
ONE = Decimal(1)
MAX_POINTS = Decimal(10000)
RANKING_RULES = ("points", "speed_points", "answer_time", "sudden_death")


class ConfigError(Exception):
    """A show file that cannot be used; ``errors`` holds one line per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def load_show(path: str | Path, warnings: list[str] | None = None) -> ShowConfig:
    """Read, parse and validate a show file, or raise ``ConfigError`` listing every problem.

    ``warnings``, if given, receives the file's warnings (usable, but probably not what was meant).
    """
    path = Path(path)
    return parse_show(read_text(path), path, warnings)


def parse_show(text: str, path: Path, warnings: list[str] | None = None) -> ShowConfig:
    """Parse show-file text; ``path`` names the file in errors and anchors media paths."""
    return parse_file(text, path, _Builder, _Builder.show, warnings)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read the file: {exc}"]) from None


B = TypeVar("B", bound="_Builder")


def parse_file(
    text: str, path: Path, builder: type[B], read: Callable[[B, Node], T | None], warnings: list[str] | None = None
) -> T:
    """YAML text read by ``read`` with a ``builder``; every problem (and those of the files it
    read in turn) raised at once as ``ConfigError``; warnings, as lines, added to ``warnings``."""
    try:
        data = load_yaml(text)
    except YamlSyntaxError as exc:
        raise ConfigError([f"{path}:{exc.line}: {exc.message}"]) from None
    problems = Problems()
    reader = builder(problems, path.parent)
    value = reader.attempt(lambda: read(reader, Node(data, "", 1, problems)))
    if problems.items or reader.elsewhere or value is None:
        ordered = sorted(problems.items, key=lambda p: p.line)
        raise ConfigError([f"{path}:{p.line}: {p.path}: {p.message}" for p in ordered] + reader.elsewhere)
    if warnings is not None:
        ordered = sorted(reader.warnings, key=lambda w: w.line)
        warnings.extend(f"{path}:{w.line}: {w.path}: {w.message}" for w in ordered)
    return value


class _Builder:
    def __init__(self, problems: Problems, base: Path) -> None:
        self.problems = problems
        self.base = base
        self.elsewhere: list[str] = []  # problems of the files this one names (a season's show files)
        self.warnings: list[Problem] = []  # usable, but probably not what was meant (``check`` prints them)

    def attempt(self, read: Callable[[], T]) -> T | None:
        try:
            return read()
        except Problem as problem:
            self.problems.add(problem)
            return None

    def each(self, nodes: list[Node], read: Callable[[Node], T | None]) -> list[T]:
        out = []
        for node in nodes:
            value = self.attempt(lambda node=node: read(node))
            if value is not None:
                out.append(value)
        return out

    def opt(self, node: Node, key: str, read: Callable[[Node], T], default: T) -> T:
        child = node.get(key)
        if child is None:
            return default
        value = self.attempt(lambda: read(child))
        return default if value is None else value

    # -- the file -------------------------------------------------------------------------

    def show(self, root: Node) -> ShowConfig | None:
        root.mapping(
            ("show", "teams", "judges", "rundown", "questions", "tiebreak", "ranking", "obs", "tokens"),
            required=("show", "rundown"),
        )
        # A hall quiz (audience rounds only: the phones answer) has no teams; every other show does.
        audience_only = _audience_only(root)
        if root.get("teams") is None and not audience_only:
            self.problems.add(root.fail("missing required key 'teams' (only a show of audience rounds alone has none)"))
        meta = self.attempt(
            lambda: root["show"].mapping(
                ("id", "title", "organizer", "season", "stage", "logo", "language", "theme", "decimals"),
                required=("id", "title"),
            )
        )
        show_id = self.attempt(lambda: meta["id"].ident()) if meta else None
        contest = self.attempt(lambda: self.contest(meta)) if meta else None
        teams = self.items(root, "teams", self.team, "team", min_len=0 if audience_only else 1, max_len=12)
        judges = self.items(root, "judges", self.judge, "judge")
        questions = {q.id: q for q in self.items(root, "questions", self.question, "question")}
        # Count judge entries even if one is invalid: its own error is enough.
        judge_nodes = root.get("judges")
        judge_count = len(judge_nodes.value) if judge_nodes and isinstance(judge_nodes.value, list) else 0
        ctx = _Refs({t.id for t in teams}, judge_count, questions)
        segments = self.items(root, "rundown", lambda n: self.segment(n, ctx), "segment", min_len=1)
        tiebreak = self.opt(root, "tiebreak", lambda n: self.tiebreak(n, ctx), Tiebreak())
        ranking = self.opt(root, "ranking", self.ranking, ("points", "sudden_death"))
        obs = self.opt(root, "obs", self.obs, None)
        tokens = self.opt(root, "tokens", lambda n: self.tokens(n, ctx, [j.id for j in judges]), {})
        if show_id is None or contest is None or self.problems.items:
            return None
        return ShowConfig(
            id=show_id,
            contest=contest,
            teams=tuple(teams),
            judges=tuple(judges),
            rundown=tuple(segments),
            questions=questions,
            tiebreak=tiebreak,
            ranking=ranking,
            obs=obs,
            tokens=tokens,
        )

    def tokens(self, node: Node, ctx: _Refs, judges: list[str]) -> dict[str, str]:
        """Fixed access tokens: ``producer``, ``host``, ``judges: {id: token}``, ``teams: {id: token}``."""
        node.mapping(("producer", "host", "judges", "teams"))
        out: dict[str, str] = {}
        for role in ("producer", "host"):
            token = self.attempt(lambda role=role: _token(node[role])) if node.get(role) is not None else None
            if token:
                out[role] = token
        for role, known in (("judges", set(judges)), ("teams", ctx.teams)):
            section = node.get(role)
            if section is None:
                continue
            for key, child in section.items():
                if key not in known:
                    self.problems.add(child.fail(f"no {role[:-1]} '{key}' in this show"))
                    continue
                token = self.attempt(lambda child=child: _token(child))
                if token:
                    out[f"{role[:-1]}:{key}"] = token
        if len(set(out.values())) != len(out):
            raise node.fail("every token must be different")
        return out

    def items(self, parent: Node, key: str, read: Callable[[Node], T], what: str, **sizes: int) -> list[T]:
        """A list of things with ids: each read on its own, duplicate ids reported."""
        node = parent.get(key)
        if node is None:
            return []
        nodes = self.attempt(lambda: node.list(**sizes))
        if nodes is None:
            return []
        self.unique(nodes, what)
        return self.each(nodes, read)

    def unique(self, nodes: list[Node], what: str) -> None:
        seen: set[str] = set()
        for node in nodes:
            if not isinstance(node.value, dict) or not isinstance(node.value.get("id"), str | int):
                continue
            item_id = str(node.value["id"])
            if item_id in seen:
                line = node.value.key_lines.get("id", node.line)
                self.problems.add(Problem(line, f"{node.path}.id", f"duplicate {what} id '{item_id}'"))
            seen.add(item_id)

    def contest(self, meta: Node) -> Contest:
        theme = self.opt(meta, "theme", self.theme, Theme())
        logo = self.opt(meta, "logo", self.media, None)
        return Contest(
            title=meta["title"].str(),
            organizer=self.opt(meta, "organizer", Node.str, ""),
            season=self.opt(meta, "season", Node.str, ""),
            stage=Stage(self.opt(meta, "stage", lambda n: n.choice(tuple(s.value for s in Stage)), "other")),
            logo=logo,
            language=self.opt(meta, "language", lambda n: n.choice(("vi", "en")), "vi"),
            theme=theme,
            decimals=self.opt(meta, "decimals", lambda n: n.int(0, 3), None),
        )

    def theme(self, node: Node) -> Theme:
        node.mapping(("primary", "secondary", "background", "text", "font"))
        values = {}
        for key in ("primary", "secondary", "background", "text"):
            child = node.get(key)
            if child is not None:
                values[key] = self.attempt(lambda child=child: _color(child)) or getattr(Theme(), key)
        return Theme(**values, font=self.opt(node, "font", lambda n: n.choice(FONTS), Theme().font))

    def media(self, node: Node) -> str:
        rel = node.str()
        if not (self.base / rel).is_file():
            raise node.fail(f"media file not found: {rel} (looked in {self.base})")
        return rel

    def team(self, node: Node) -> Team:
        node.mapping(("id", "name", "short_name", "unit", "members"), required=("id", "name"))
        members = self.items(node, "members", self.member, "member", max_len=10)
        return Team(
            id=node["id"].ident(),
            name=node["name"].str(max_len=80),
            short_name=self.opt(node, "short_name", lambda n: n.str(max_len=40), ""),
            unit=self.opt(node, "unit", Node.str, ""),
            members=tuple(members),
        )

    def member(self, node: Node) -> Member:
        node.mapping(("id", "name", "role"), required=("id", "name"))
        return Member(node["id"].ident(), node["name"].str(max_len=80), self.opt(node, "role", Node.str, ""))

    def judge(self, node: Node) -> Judge:
        node.mapping(("id", "name", "title"), required=("id", "name"))
        return Judge(node["id"].ident(), node["name"].str(max_len=80), self.opt(node, "title", Node.str, ""))

    def question(self, node: Node) -> Question:
        node.mapping(
            ("id", "text", "options", "answer", "points", "media", "time", "essay", "notes"), required=("id", "text")
        )
        options = self.opt(node, "options", self.options, None)
        answer_node = node.get("answer")
        answer = None
        if answer_node is not None:
            answer = self.attempt(answer_node.str)
            if options is not None and answer is not None and answer not in options:
                self.problems.add(answer_node.expected("one of the option letters " + ", ".join(options)))
        return Question(
            id=node["id"].ident(),
            text=node["text"].str(max_len=2000),
            options=options,
            answer=answer,
            points=self.opt(node, "points", lambda n: n.decimal(ZERO, MAX_POINTS), None),
            media=self.opt(node, "media", self.media, None),
            time_ms=self.opt(node, "time", Node.seconds, None),
            essay=self.opt(node, "essay", Node.bool, False),
            notes=self.opt(node, "notes", _notes, ""),
        )

    def options(self, node: Node) -> dict[str, str]:
        node.mapping(("A", "B", "C", "D"))
        found = {str(k): v.str() for k, v in node.items() if k in ("A", "B", "C", "D")}
        letters = "ABCD"[: len(found)]
        if len(found) < 2 or "".join(found) != letters:
            raise node.expected("options A, B (and optionally C, D) in order")
        return found

    # -- the rundown ----------------------------------------------------------------------

    def segment(self, node: Node, ctx: _Refs) -> Segment:
        node.mapping(
            ("id", "title", "round", "scoring", "questions", "timer", "obs", "overlays", "looks", "notes"),
            required=("id", "title", "round"),
        )
        kind = BY_NAME[node["round"].choice(NAMES)]
        scoring_node = node.get("scoring") or Node(
            _empty_mapping(node), f"{node.path}.scoring", node.line, node.problems
        )
        scoring = self.scoring(kind, scoring_node, ctx)
        slots_node = node.get("questions")
        slots = tuple(self.each(slots_node.list(max_len=200), lambda n: self.slot(n, ctx))) if slots_node else ()
        if kind.needs_questions and not slots:
            self.problems.add(node.fail(f"a {kind.name} round needs questions"))
        for message in kind.check_questions(scoring, slots, ctx.questions):
            self.problems.add(node.fail(message))
        return Segment(
            id=node["id"].ident(),
            title=node["title"].str(max_len=120),
            round=RoundType(kind.name),
            scoring=scoring,
            slots=slots,
            timer_ms=self.opt(node, "timer", Node.seconds, None),
            obs=self.opt(node, "obs", self.cue, ObsCue()),
            **self.composition(node),
            notes=self.opt(node, "notes", _notes, ""),
        )

    def slot(self, node: Node, ctx: _Refs) -> Slot:
        if isinstance(node.value, dict):
            node.mapping(("question", "team"), required=("question",))
            qid = node["question"].ident()
            team = ctx.team(node["team"]) if node.get("team") is not None else None
        else:
            qid, team = node.ident(), None
        if qid not in ctx.questions:
            raise node.fail(f"unknown question '{qid}'; define it under 'questions'")
        return Slot(qid, team)

    # -- a round's settings: read as its settings struct declares them (``server.core.rounds.base.Read``) ---

    def scoring(self, kind: Round, node: Node, ctx: _Refs) -> Scoring:
        scoring = self.settings(node, kind.settings)
        for key, message in kind.check_settings(scoring, ctx.judge_count):
            self.problems.add((node[key] if key else node).fail(message))
        return scoring

    def settings(self, node: Node, struct: type[T]) -> T:
        """A settings struct from a mapping: its keys, defaults and checks are the struct's fields'."""
        fields = [(f, _how(f)) for f in msgspec.structs.fields(struct)]
        keys = [how.key or f.name for f, how in fields]
        node.mapping(tuple(keys), required=tuple(k for (f, _), k in zip(fields, keys, strict=True) if f.required))
        values: dict[str, Any] = {}
        for (f, how), key in zip(fields, keys, strict=True):
            if how.when is not None:
                setting, others = how.when
                how = others.get(values.get(setting), how)
            values[f.name] = self.setting(node, key, how, f, values)
        return struct(**values)

    def setting(self, node: Node, key: str, how: Read, f: msgspec.structs.FieldInfo, values: dict[str, Any]) -> Any:
        if how.kind == "items":
            sizes = {"min_len": how.lo, "max_len": how.hi}
            read = self.items(
                node, key, lambda n: self.settings(n, how.item), how.noun, **{k: v for k, v in sizes.items() if v}
            )
            return tuple(read)
        if f.required:
            return self.value(node[key], how, values)
        default = _default(f) if how.default is None else _converted(how, how.default)
        child = node.get(key)
        if child is None:
            return default
        if how.kind == "settings_or_bool" and isinstance(child.value, bool):
            return how.item() if child.value else None  # true: the defaults; false: none at all
        if how.kind == "settings_or_bool":
            return self.attempt(lambda: self.value(child, how, values))
        value = self.attempt(lambda: self.value(child, how, values))
        return default if value is None else value

    def value(self, node: Node, how: Read, values: dict[str, Any]) -> Any:
        """One setting's value as ``how`` says it is written."""
        if how.kind in ("settings", "settings_or_bool"):
            return self.settings(node, how.item)
        if how.kind == "seconds_by":
            return _converted(how, self.seconds_by(node, how, values[how.within]))
        return _converted(how, _READERS[how.kind](node, how))

    def seconds_by(self, node: Node, how: Read, allowed: tuple[Any, ...]) -> dict[Decimal, int]:
        out = {}
        for key, child in node.items():
            value = Node(key, child.path, child.line, child.problems).decimal(what=how.what or "a number")
            if value not in allowed:
                raise child.fail(f"no {how.noun} {key}; {how.within} are {', '.join(map(str, allowed))}")
            out[value] = child.seconds()
        return out

    def cue(self, node: Node) -> ObsCue:
        node.mapping(("scene", "show", "hide", "transition", "transition_duration"))
        return ObsCue(
            scene=self.opt(node, "scene", Node.str, None),
            show=tuple(self.opt(node, "show", _names, [])),
            hide=tuple(self.opt(node, "hide", _names, [])),
            transition=self.opt(node, "transition", Node.str, None),
            transition_ms=self.opt(node, "transition_duration", lambda n: n.int(0, 10000), None),
        )

    def overlays(self, node: Node) -> list[str]:
        names = _names(node)
        for child, name in zip(node.list(), names, strict=True):
            if name not in OVERLAYS:
                self.problems.add(child.expected("an overlay: " + ", ".join(OVERLAYS)))
        return names

    def composition(self, node: Node) -> dict[str, tuple]:
        """A segment's ``overlays`` (what it offers) and ``looks`` (what goes on air together)."""
        listed = self.opt(node, "overlays", self.overlays, [])
        looks = self.items(node, "looks", self.look, "look", min_len=1, max_len=12)
        offered = tuple(o for o in dict.fromkeys([*listed, *(o for look in looks for o in look.overlays)]))
        known = tuple(o for o in offered if o in OVERLAYS)
        if not node.has("looks") and known:
            # No looks named: the listed overlays are the one look, less those that would draw over others.
            clashing = collisions(known)
            if clashing:
                pairs = "; ".join(f"{a} and {b}" for a, b in clashing)
                left_out = [o for o in known if o not in fitting(known)]
                self.warnings.append(
                    node["overlays"].fail(
                        f"{pairs} draw over each other (their zones intersect), so they never go on air together; "
                        f"the segment's one look leaves out {', '.join(left_out)}: name its looks under 'looks'"
                    )
                )
            looks = [Look("default", node["title"].str(max_len=120), fitting(known))]
        for name in known:
            if name in SEASON_OVERLAYS:
                where = node["overlays"] if name in listed else node["looks"]
                self.warnings.append(
                    where.fail(
                        f"{name} shows a season's table and a show file runs without a season, so it would put "
                        "nothing on air; leave it out (a season's shows offer it by themselves)"
                    )
                )
        return {"overlays": offered, "looks": tuple(looks)}

    def look(self, node: Node) -> Look:
        node.mapping(("id", "title", "overlays"), required=("id", "title", "overlays"))
        overlays_node = node["overlays"]
        names = self.overlays(overlays_node)
        if not names:
            raise overlays_node.expected("at least one overlay")
        known = [o for o in dict.fromkeys(names) if o in OVERLAYS]
        for a, b in collisions(known):
            self.problems.add(
                overlays_node.fail(
                    f"expected overlays that fit on screen together, got {a} (zone {OVERLAY_ZONES[a]}) and "
                    f"{b} (zone {OVERLAY_ZONES[b]}), which draw over each other; put them in different looks"
                )
            )
        return Look(node["id"].ident(), node["title"].str(max_len=120), tuple(known))

    def tiebreak(self, node: Node, ctx: _Refs) -> Tiebreak:
        node.mapping(("questions", "timer"))
        questions = []
        for child in node["questions"].list(min_len=1):
            qid = self.attempt(child.ident)
            if qid is not None and qid not in ctx.questions:
                self.problems.add(child.fail(f"unknown question '{qid}'; define it under 'questions'"))
            questions.append(qid)
        return Tiebreak(tuple(q for q in questions if q), self.opt(node, "timer", Node.seconds, 15000))

    def ranking(self, node: Node) -> tuple[str, ...]:
        rules = tuple(child.choice(RANKING_RULES) for child in node.list(min_len=1, max_len=4))
        if rules[0] != "points" or len(set(rules)) != len(rules):
            raise node.expected("'points' first, then speed_points, answer_time and/or sudden_death, each once")
        return rules

    def obs(self, node: Node) -> ObsSettings:
        node.mapping(("host", "port", "password", "studio_mode"))
        return ObsSettings(
            host=self.opt(node, "host", Node.str, "127.0.0.1"),
            port=self.opt(node, "port", lambda n: n.int(1, 65535), 4455),
            password=self.opt(node, "password", Node.str, None),
            studio_mode=self.opt(node, "studio_mode", Node.bool, False),
        )


class _Refs:
    """What other parts of the file may refer to."""

    def __init__(self, teams: set[str], judge_count: int, questions: dict[str, Question]) -> None:
        self.teams = teams
        self.judge_count = judge_count
        self.questions = questions

    def team(self, node: Node) -> str:
        team_id = node.ident()
        if team_id not in self.teams:
            raise node.fail(f"unknown team '{team_id}'; teams are {', '.join(sorted(self.teams))}")
        return team_id


def _audience_only(root: Node) -> bool:
    """Whether every segment of the file's rundown is an audience round (read before the rundown is)."""
    rundown = root.value.get("rundown") if isinstance(root.value, dict) else None
    return (
        bool(rundown)
        and isinstance(rundown, list)
        and all(
            isinstance(s, dict) and s.get("round") in NAMES and not BY_NAME[s["round"]].needs_teams for s in rundown
        )
    )


def _how(f: msgspec.structs.FieldInfo) -> Read:
    """How the show file writes a settings field (its ``Annotated`` metadata)."""
    for meta in getattr(f.type, "__metadata__", ()):
        how = (meta.extra or {}).get("read") if isinstance(meta, msgspec.Meta) else None
        if isinstance(how, Read):
            return how
    raise TypeError(f"setting '{f.name}' does not say how the show file writes it (Annotated[..., read(...)])")


def _default(f: msgspec.structs.FieldInfo) -> Any:
    return f.default_factory() if f.default is msgspec.NODEFAULT else f.default


def _converted(how: Read, value: Any) -> Any:
    return how.convert(value) if how.convert is not None else value


def _empty_mapping(node: Node):
    from server.configs.source import LocatedDict

    empty = LocatedDict()
    empty.line, empty.key_lines, empty.duplicates = node.line, {}, []
    return empty


def _token(node: Node) -> str:
    text = node.str(max_len=128)
    if len(text) < 12 or not all(c.isascii() and (c.isalnum() or c in "-_.~") for c in text):
        raise node.expected("a token of at least 12 letters, digits or -_.~")
    return text


def _notes(node: Node) -> str:
    """The host's notes: text only (a number or a list here is a slip in the file, not a note)."""
    if not isinstance(node.value, str):
        raise node.expected("text (the host's notes)")
    return node.str(max_len=2000) if node.value.strip() else ""


def _color(node: Node) -> str:
    text = node.str(max_len=9)
    hexdigits = text[1:]
    if not (
        text.startswith("#") and len(hexdigits) in (3, 6, 8) and all(c in "0123456789abcdefABCDEF" for c in hexdigits)
    ):
        raise node.expected("a color like '#0b5fa5'")
    return text


def _points(node: Node) -> Decimal:
    return node.decimal(Decimal("0.01"), MAX_POINTS, "a positive number of points")


def _points_or_zero(node: Node) -> Decimal:
    return node.decimal(ZERO, MAX_POINTS, "a number of points")


def _share(node: Node) -> Decimal:
    return node.decimal(ZERO, ONE, "a share from 0 to 1")


def _rank_points(node: Node) -> tuple[Decimal, ...]:
    wanted = "a list of 1-8 positive integers"
    if not isinstance(node.value, list) or not 1 <= len(node.value) <= 8:
        raise node.expected(wanted)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in node.value):
        raise node.expected(wanted)
    return tuple(Decimal(v) for v in node.value)


def _names(node: Node) -> list[str]:
    return [child.str(max_len=200) for child in node.list(max_len=50)]


# How each kind of setting is read (``server.core.rounds.base.Read.kind``).
_READERS: dict[str, Callable[[Node, Read], Any]] = {
    "points": lambda n, how: _points(n),
    "points_or_zero": lambda n, how: _points_or_zero(n),
    "share": lambda n, how: _share(n),
    "seconds": lambda n, how: n.seconds(),
    "bool": lambda n, how: n.bool(),
    "int": lambda n, how: n.int(how.lo, how.hi),
    "decimal": lambda n, how: n.decimal(how.lo, how.hi, how.what or "a number"),
    "choice": lambda n, how: n.choice(how.choices),
    "rank_points": lambda n, how: _rank_points(n),
    "ident": lambda n, how: n.ident(),
    "str": lambda n, how: n.str(),
}
