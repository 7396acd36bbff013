"""Sample data for overlays opened with ``?preview=1``: designers work without a show running.

Every layer gets a view of the show's own config (its teams, judges, rounds and theme) taken from
a seeded simulation at the moment that suits it best, plus a sample season of 17 teams.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from server.core import commands as c
from server.core.config import OVERLAYS, ShowConfig
from server.core.events import Action
from server.core.rounds import ROUNDS
from server.core.show import execute
from server.core.state import QPhase, ShowState
from server.show.views import public_view

# The 17 districts of the Quảng Nam 2024 season (the longest names a season overlay must hold).
QUANG_NAM_UNITS = (
    "Thành phố Tam Kỳ",
    "Thành phố Hội An",
    "Thị xã Điện Bàn",
    "Huyện Núi Thành",
    "Huyện Phú Ninh",
    "Huyện Thăng Bình",
    "Huyện Quế Sơn",
    "Huyện Duy Xuyên",
    "Huyện Đại Lộc",
    "Huyện Nông Sơn",
    "Huyện Hiệp Đức",
    "Huyện Tiên Phước",
    "Huyện Bắc Trà My",
    "Huyện Nam Trà My",
    "Huyện Phước Sơn",
    "Huyện Nam Giang",
    "Huyện Đông Giang",
)


class _Recorder:
    """Runs the simulation, keeping for each round type the revealed question with most answers."""

    def __init__(self, config: ShowConfig) -> None:
        self.config = config
        self.state = ShowState()
        self.best: dict[str, tuple[int, ShowState]] = {}

    def run(self, command: c.Command) -> Action:
        self.state, action = execute(self.config, self.state, command)
        board = self.state.board
        q = board.question
        if q is not None and q.phase is QPhase.REVEALED and 0 <= board.segment < len(self.config.rundown):
            kind = self.config.rundown[board.segment].round
            choices = 10 if self.config.questions[q.id].options else 0
            weight = len(q.answers) + len(q.buzzes) + len(q.winners) + choices
            if weight >= self.best.get(kind, (-1, None))[0]:
                self.best[kind] = (weight, self.state)
        return action


def _played(config: ShowConfig) -> _Recorder:
    from server.show.sim import Simulator  # the simulator plays whole shows; only previews need it here

    recorder = _Recorder(config)
    Simulator(recorder, seed=7, audience=240).play()  # type: ignore[arg-type]
    return recorder


class Preview:
    """The sample views of one show: the simulation runs once, on first use."""

    def __init__(self, config: ShowConfig) -> None:
        self.config = config
        self._played: _Recorder | None = None

    def views(self, now_ms: int) -> dict[str, dict[str, Any]]:
        if self._played is None:
            self._played = _played(self.config)
        return preview_views(self.config, self._played, now_ms)


def preview_views(config: ShowConfig, played: _Recorder, now_ms: int) -> dict[str, dict[str, Any]]:
    """A sample public view per overlay layer (``OVERLAYS``), all on air."""
    final = public_view(config, played.state)

    def at(*kinds: str) -> dict[str, Any]:
        for kind in kinds:
            if kind in played.best:
                return public_view(config, played.best[kind][1])
        return final

    extras = {
        "on_air": list(OVERLAYS),
        "lower_third": _sample_strap(config),
        "timer": {"duration_ms": 30000, "remaining_ms": 30000, "started_at": now_ms, "running": True},
        "season": sample_season(config),
    }
    sources = {}
    for name in OVERLAYS:
        # The rounds whose revealed question shows this overlay best, best first (``Round.samples``).
        kinds = sorted((r for r in ROUNDS if name in r.samples), key=lambda r: r.samples[name])
        sources[name] = at(*(r.name for r in kinds)) if kinds else final
    return {name: {**sources[name], **extras} for name in OVERLAYS}


def _sample_strap(config: ShowConfig) -> dict[str, Any]:
    """The first team's strap; a show without teams (a hall quiz) introduces its organizer."""
    if config.teams:
        team = config.teams[0]
        return {"kind": "team", "name": team.name, "title": team.unit, "subject": team.id, "team": team.id}
    contest = config.contest
    return {
        "kind": "guest",
        "name": contest.organizer or contest.title,
        "title": contest.title,
        "subject": None,
        "team": None,
    }


def sample_season(config: ShowConfig, seed: int = 2024) -> dict[str, Any]:
    """A season of 17 teams in the Quảng Nam 2024 format, the show's own teams first."""
    rng = random.Random(seed)
    names = [t.name for t in config.teams]
    names += [f"Đội {unit}" for unit in QUANG_NAM_UNITS if f"Đội {unit}" not in names]
    teams = [{"team": f"t{i + 1:02d}", "name": name} for i, name in enumerate(names[:17])]
    points = {t["team"]: Decimal(rng.randrange(8000, 20000)) / 100 for t in teams}  # judged rounds give decimals

    def show(show_id: str, title: str, members: list[dict], status: str) -> dict[str, Any]:
        ranked = sorted(members, key=lambda t: -points[t["team"]])
        rows = [
            {**t, "points": float(points[t["team"]]) if status != "upcoming" else None, "result": None} for t in members
        ]
        if status == "done":
            for row in rows:
                row["result"] = "winner" if row["team"] == ranked[0]["team"] else "out"
        return {"id": show_id, "title": title, "status": status, "teams": rows}

    sizes = [3, 3, 3, 3, 3, 2]
    qualifiers, start = [], 0
    for n, size in enumerate(sizes, 1):
        qualifiers.append(show(f"vl-{n}", f"Vòng loại {n}", teams[start : start + size], "done"))
        start += size
    winners = [next(r for r in s["teams"] if r["result"] == "winner") for s in qualifiers]
    semis = [show(f"bk-{n}", f"Bán kết {n}", winners[3 * n - 3 : 3 * n], "done") for n in (1, 2)]
    semi_winners = [next(r for r in s["teams"] if r["result"] == "winner") for s in semis]
    runners_up = [r for s in semis for r in s["teams"] if r["result"] != "winner"]
    best_runner_up = max(runners_up, key=lambda r: r["points"])
    best_runner_up["result"] = "advances"
    final_teams = [{"team": r["team"], "name": r["name"]} for r in (*semi_winners, best_runner_up)]
    final = show("ck", "Chung kết", final_teams, "upcoming")
    progress = {t["team"]: 0 for t in teams}
    for stage in (qualifiers, semis):
        for s in stage:
            for row in s["teams"]:
                progress[row["team"]] += 1
    table = sorted(teams, key=lambda t: (-progress[t["team"]], -points[t["team"]], t["name"]))
    status = {r["team"]: "qualified" for r in final_teams}
    standings = [
        {
            **t,
            "rank": rank,
            "played": progress[t["team"]],
            "points": float(points[t["team"]]),
            "status": status.get(t["team"], "out"),
        }
        for rank, t in enumerate(table, 1)
    ]
    return {
        "title": config.contest.title,
        "standings": standings,
        "bracket": [
            {"id": "qualifier", "title": "Vòng loại", "shows": qualifiers},
            {"id": "semifinal", "title": "Bán kết", "shows": semis},
            {"id": "final", "title": "Chung kết", "shows": [final]},
        ],
    }
