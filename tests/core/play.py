"""A small harness to play commands against the engine, with a fake clock."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from server.configs.parse import parse_show
from server.core import commands as c
from server.core.config import ShowConfig
from server.core.errors import RuleError
from server.core.events import Action
from server.core.show import execute, replay
from server.core.state import ShowState

HEADER = """
show: {id: test, title: Hội thi thử}
"""

QUESTIONS = """questions:
  - {id: t1, text: Câu t1, answer: x}
  - {id: t2, text: Câu t2, answer: x}
  - {id: t3, text: Câu t3, answer: x}
  - {id: s1, text: Câu s1, options: {A: a, B: b, C: c, D: d}, answer: B}
  - {id: s2, text: Câu s2, answer: Đề án 06}
  - {id: b1, text: Câu b1, answer: x}
  - {id: b2, text: Câu b2, answer: x}
  - {id: p10a, text: p, points: 10}
  - {id: p10b, text: p, points: 10}
  - {id: p20a, text: p, points: 20}
  - {id: p20b, text: p, points: 20}
  - {id: p30a, text: p, points: 30}
  - {id: p30b, text: p, points: 30}
  - {id: au1, text: Câu khán giả, options: {A: a, B: b}, answer: A}
  - {id: tb1, text: Câu phụ 1, answer: x}
  - {id: tb2, text: Câu phụ 2, answer: x}
tiebreak: {questions: [tb1, tb2], timer: 15}
"""

JUDGE_NAMES = ("Một", "Hai", "Ba", "Bốn", "Năm", "Sáu", "Bảy")


def people(teams: int = 3, judges: int = 3) -> str:
    """The ``teams`` and ``judges`` lists: teams a, b, c, ... and judges j1, j2, j3, ..."""
    lines = ["teams:"]
    lines += [f"  - {{id: {t}, name: Đội {t.upper()}}}" for t in "abcdefgh"[:teams]]
    lines.append("judges:")
    lines += [f"  - {{id: j{n}, name: GK {JUDGE_NAMES[n - 1]}}}" for n in range(1, judges + 1)]
    return "\n".join(lines) + "\n"


BASE = HEADER + people() + QUESTIONS

SEGMENTS = {
    "judged": """
  - id: greet
    title: Chào hỏi
    round: judged
    scoring:
      criteria: [{id: content, name: Nội dung, max: 10}, {id: style, name: Phong cách, max: 5}]
      {extra}
""",
    "turns": """
  - id: skills
    title: Kỹ năng số
    round: turns
    scoring: {points: 10, {extra}}
    questions: [t1, t2, t3]
    timer: 20
""",
    "speed": """
  - id: accel
    title: Tăng tốc
    round: speed
    scoring: {{extra}}
    questions: [s1, s2]
    timer: 30
""",
    "buzzer": """
  - id: warm
    title: Khởi động
    round: buzzer
    scoring: {points: 10, {extra}}
    questions: [b1, b2]
    timer: 5
""",
    "packages": """
  - id: finish
    title: Về đích
    round: packages
    scoring: {values: [10, 20, 30], size: 1, {extra}}
    questions: [p10a, p10b, p20a, p20b, p30a, p30b]
""",
    "audience": """
  - id: aud
    title: Khán giả
    round: audience
    scoring: {{extra}}
    questions: [au1]
    timer: 20
""",
}


def make_config(
    *rounds: str, tmp: Path | None = None, teams: int = 3, judges: int = 3, top: str = "", **extra: str
) -> ShowConfig:
    """A show with the given rounds in order; ``extra[round]`` adds scoring keys.

    A multi-line extra (judged rounds) is indented to the placeholder's column. ``teams`` and
    ``judges`` set how many of each the show has; ``top`` adds top-level YAML (e.g. ``ranking``).
    """
    return parse_show(
        config_text(*rounds, teams=teams, judges=judges, top=top, **extra), (tmp or Path("/tmp")) / "test.yaml"
    )


def config_text(*rounds: str, teams: int = 3, judges: int = 3, top: str = "", **extra: str) -> str:
    """The show file ``make_config`` reads (for a server run on it)."""
    rundown = "".join(_fill(SEGMENTS[r], extra.get(r, "")) for r in rounds)
    return show_text(rundown, teams=teams, judges=judges, top=top)


def show_text(rundown: str, *, teams: int = 3, judges: int = 3, top: str = "") -> str:
    """A show file with a hand-written rundown (YAML list items indented by two spaces)."""
    return HEADER + people(teams, judges) + QUESTIONS + top + "rundown:\n" + rundown


def make_show(rundown: str, *, tmp: Path | None = None, teams: int = 3, judges: int = 3, top: str = "") -> ShowConfig:
    """A show with a hand-written rundown (YAML list items indented by two spaces)."""
    return parse_show(show_text(rundown, teams=teams, judges=judges, top=top), (tmp or Path("/tmp")) / "test.yaml")


def _fill(template: str, extra: str) -> str:
    at = template.index("{extra}")
    indent = " " * (at - template.rfind("\n", 0, at) - 1)
    return template.replace("{extra}", extra.replace("\n", "\n" + indent))


class Play:
    """Runs commands like the service would, each a second after the previous one."""

    def __init__(self, config: ShowConfig, start: bool = True) -> None:
        self.config = config
        self.state = ShowState()
        self.now = 1_000_000
        self.actions: list[Action] = []
        if start:
            self(c.StartShow)

    def __call__(self, kind: type[c.Command], by: c.Actor = c.PRODUCER, dt: int = 1000, **fields) -> Action:
        self.now += dt
        command = kind(at=self.now, by=by, **fields)
        self.state, action = execute(self.config, self.state, command)
        self.actions.append(action)
        return action

    def fails(
        self,
        kind: type[c.Command],
        match: str,
        by: c.Actor = c.PRODUCER,
        dt: int = 1000,
        error: type[RuleError] = RuleError,
        **fields,
    ) -> RuleError:
        """Assert the command is refused with ``error`` matching ``match``, changing nothing."""
        before = self.state
        self.now += dt
        with pytest.raises(error, match=match) as caught:
            execute(self.config, self.state, kind(at=self.now, by=by, **fields))
        assert self.state == before
        return caught.value

    def goto(self, segment_id: str) -> None:
        index = [s.id for s in self.config.rundown].index(segment_id)
        if self.state.board.segment != index:
            self(c.GotoSegment, index=index)

    @property
    def scores(self) -> dict[str, Decimal]:
        return {t: self.state.board.scores.get(t, Decimal(0)) for t in self.config.team_ids}

    def points(self) -> dict[str, float]:
        return {t: float(v) for t, v in self.scores.items()}

    def replayed(self) -> ShowState:
        return replay(self.actions)


def exact(message: str) -> str:
    """A ``match`` pattern for exactly this message."""
    return "^" + re.escape(message) + "$"


def team(team_id: str) -> c.Actor:
    return c.Actor("team", team_id)


def judge(judge_id: str) -> c.Actor:
    return c.Actor("judge", judge_id)
