"""Every refusal and every audit/undo label also speaks Vietnamese, the interface's first language."""

from __future__ import annotations

import ast
import random
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from server import i18n
from server.core import commands as c
from server.core.audit import command_key, describe, describe_vi, label_in
from server.core.config import OVERLAYS, ShowConfig
from server.core.decide import _ACTORS, NONE, PHASES
from server.core.errors import Forbidden, PhaseError, RuleError
from server.core.events import Action
from server.core.show import execute
from server.core.state import QPhase, ShowPhase, ShowState
from server.show.sim import MemoryRunner, Simulator
from tests.core.play import Play, exact, make_config, team
from tests.core.test_properties import CONFIG, PROFILE, commands, plausible

D = Decimal
# English words that have no business in a Vietnamese sentence (case-sensitive: option "A" is fine).
_ENGLISH = re.compile(
    r"\b(the|can't|don't|is|are|was|not|has|have|no|already|only|expected|got|to|of|in|and|or|yet|there|this|"
    r"that|first|give|open|closed|team|judge|question|answer|score|scores|vote|time)\b"
)
_QUOTED = re.compile(r"'[^']*'|`[^`]*`")
_FIELD = re.compile(r"^[\w.\[\]-]+: ")  # "scores.content: ", "answer: ": the payload's own field names


def check_vietnamese(error: RuleError, config: ShowConfig = CONFIG) -> None:
    """A refusal with a Vietnamese sentence of its own: not empty, not the English one, no English words."""
    assert isinstance(error.vi, str) and error.vi.strip(), error.message
    assert error.vi != error.message, error.message
    words = _QUOTED.sub("", _FIELD.sub("", error.vi)).replace(", ".join(OVERLAYS), "")  # ids, as sent
    for name in [t.name for t in config.teams] + [j.name for j in config.judges] + [s.title for s in config.rundown]:
        words = words.replace(name, "")
    assert not _ENGLISH.search(words), (error.message, error.vi)


# -- random play: whatever is refused is refused in Vietnamese too ---------------------------


@settings(PROFILE, max_examples=60)
@given(data=st.data())
def test_every_refusal_of_a_random_show_has_vietnamese(data: st.DataObject) -> None:
    state, now = ShowState(), 1_000_000
    for _ in range(data.draw(st.integers(20, 120))):
        now += data.draw(st.integers(0, 6000))
        if state.board.phase is ShowPhase.SETUP or data.draw(st.integers(0, 9)) < 4:
            kind, fields = data.draw(commands())
        else:
            kind, fields = plausible(data.draw, state)
        if kind is c.CastVotes:
            fields = {**fields, "votes": tuple(msgspec.structs.replace(v, at=now) for v in fields["votes"])}
        try:
            state, action = execute(CONFIG, state, kind(at=now, **fields))
        except RuleError as error:
            check_vietnamese(error)
            continue
        assert label_in(action, "vi") and label_in(action, "vi") != action.label, action.label


class Prober:
    """A simulator's runner that, before each command of a whole show, tries wrong ones too."""

    def __init__(self, config: ShowConfig, seed: int) -> None:
        self.inner = MemoryRunner(config)
        self.config = config
        self.rng = random.Random(seed)
        self.refused: Counter[str] = Counter()
        self.labels: list[Action] = []

    @property
    def state(self) -> ShowState:
        return self.inner.state

    def run(self, command: c.Command) -> Action:
        for kind in self.rng.sample(list(PHASES), 12):
            self.probe(kind, command.at)
        action = self.inner.run(command)
        self.labels.append(action)
        return action

    def probe(self, kind: type[c.Command], at: int) -> None:
        rng = self.rng
        teams = [*self.config.team_ids, "nobody"]
        rng_team = rng.choice(teams)
        by = rng.choice([c.SYSTEM, c.Actor("audience"), c.Actor("judge", "j1"), c.Actor("team", rng.choice(teams))])
        by = c.PRODUCER if rng.random() < 0.6 else by
        fields: dict = {
            c.GotoSegment: {"index": rng.choice([None, -1, 0, 1, 2, 9]), "step": rng.choice([0, 1, -1])},
            c.StartTiebreak: {"teams": tuple(rng.sample(teams, rng.randint(0, 3)))},
            c.ShowQuestion: {"question": rng.choice([None, "t1", "zz", "p10a", "au1", "tb1"])},
            c.Buzz: {"team": rng_team},
            c.SubmitAnswer: {"team": rng_team, "answer": rng.choice(["A", "", "x" * 400, "Z", "Đề án 06"])},
            c.JudgeAnswer: {"team": rng_team, "correct": rng.random() < 0.5},
            c.ChoosePackage: {"team": rng_team, "values": tuple(D(rng.choice([10, 20, 30, 40])) for _ in "xy")},
            c.PlaceStar: {"team": rng_team},
            c.StartTimer: {"duration_ms": rng.choice([None, 0, 5000])},
            c.AddTime: {"ms": rng.choice([0, 5000, -5000, 10**9])},
            c.SubmitScores: {
                "judge": rng.choice(["j1", "j2", "j9"]),
                "team": rng_team,
                "scores": rng.choice([{"content": D(5), "style": D(3)}, {"content": D(99), "style": D(1)}, {}]),
            },
            c.LockScores: {"team": rng.choice([None, rng_team])},
            c.UnlockScores: {"team": rng.choice([None, rng_team])},
            c.RevealScores: {"team": rng.choice([None, rng_team])},
            c.CastVotes: {"votes": tuple(c.Vote(rng.choice(["p1", ""]), rng.choice(["A", "q"]), at) for _ in "x")},
            c.AdjustScore: {"team": rng_team, "points": rng.choice([D(0), D("2.555"), D(5)]), "reason": ""},
            c.SetOverlay: {"overlay": rng.choice(["scoreboard", "nope", "timer"]), "visible": rng.random() < 0.5},
            c.RevealAnswer: {"seed": rng.choice([None, 3])},
            c.TakeLook: {"look": rng.choice(["nope", *(lk.id for s in self.config.rundown for lk in s.looks)])},
        }.get(kind, {})
        try:
            execute(self.config, self.inner.state, kind(at=at + rng.randint(0, 40_000), by=by, **fields))
        except RuleError as error:
            check_vietnamese(error, self.config)
            self.refused[error.message] += 1


def test_a_whole_show_probed_with_wrong_commands_refuses_in_vietnamese() -> None:
    runner = Prober(CONFIG, seed=11)
    Simulator(runner, seed=5, audience=5).play()
    # Broad: many different refusals were met, of every kind.
    assert len(runner.refused) >= 60, sorted(runner.refused)
    for action in runner.labels:
        assert label_in(action, "vi") and label_in(action, "vi") != action.label, action.label


def test_every_command_has_a_vietnamese_name_and_every_phase_vietnamese_words() -> None:
    """The words a phase refusal is made of are in the catalogue, Vietnamese differing from English."""
    keys = [command_key(kind) for kind in PHASES]
    keys += [f"rule.phase.{phase}" for phase in (NONE, *QPhase)] + [f"rule.show_phase.{p}" for p in ShowPhase]
    keys += [f"rule.actor.{role}" for roles in _ACTORS.values() for role in roles]
    assert [key for key in keys if not i18n.known(key)] == []
    assert all(i18n.render(key, {}, "vi") != i18n.render(key, {}, "en") for key in keys)
    assert len({i18n.render(command_key(kind), {}, "vi") for kind in PHASES}) == len(PHASES)


# -- exact sentences -----------------------------------------------------------------------


def test_phase_refusals_read_as_a_producer_would_say_them() -> None:
    p = Play(make_config("buzzer"))
    error = p.fails(c.OpenAnswers, exact("can't open answers while no question is on screen"), error=PhaseError)
    assert error.vi == "không thể mở trả lời khi chưa có câu hỏi trên sóng"
    error = p.fails(c.StartShow, "can't start the show while the show is live", error=PhaseError)
    assert error.vi == "không thể bắt đầu chương trình khi chương trình đang phát sóng"
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    p(c.Buzz, by=team("a"), team="a")
    error = p.fails(c.Buzz, "can't buzz while a team is answering", by=team("b"), team="b", error=PhaseError)
    assert error.vi == "không thể bấm chuông khi một đội đang trả lời"


def test_exact_vietnamese_refusals() -> None:
    fresh = Play(make_config("buzzer"), start=False)
    assert fresh.fails(c.Undo, exact("nothing to undo")).vi == "không có gì để hoàn tác"
    p = Play(make_config("buzzer"))
    p(c.ShowQuestion)
    error = p.fails(c.OpenAnswers, exact("only the producer can open answers"), by=team("a"), error=Forbidden)
    assert error.vi == "chỉ bàn điều khiển mới được mở trả lời"
    p(c.OpenAnswers)
    error = p.fails(c.Buzz, "this pad belongs to", by=team("a"), team="b", error=Forbidden)
    assert error.vi == "máy tính bảng này là của Đội A, không phải của Đội B"
    error = p.fails(c.Buzz, exact("too late: time is up"), by=team("a"), team="a", dt=60_000)
    assert error.vi == "quá muộn: đã hết giờ"
    error = p.fails(c.AdjustScore, "there is no team 'zz'", team="zz", points=D(1), reason="x")
    assert error.vi == "không có đội 'zz'"


def test_a_failed_vote_says_why_in_vietnamese() -> None:
    p = Play(make_config("audience"))
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    vote = c.Vote("phone-1", "Q", p.now + 1000)
    error = p.fails(c.CastVotes, exact("no option 'Q'; choose one of A, B"), by=c.Actor("audience"), votes=(vote,))
    assert error.vi == "không có phương án 'Q'; hãy chọn một trong A, B"


# -- labels --------------------------------------------------------------------------------


def test_labels_and_undo_history_in_vietnamese() -> None:
    p = Play(make_config("buzzer"))
    p(c.ShowQuestion)
    p(c.OpenAnswers)
    buzz = p(c.Buzz, by=team("b"), team="b")
    judged = p(c.JudgeAnswer, team="b", correct=True)
    adjust = p(c.AdjustScore, team="a", points=D(-5), reason="phạm quy")
    assert (buzz.label, label_in(buzz, "vi")) == ("Đội B buzzes", "Đội B bấm chuông")
    assert label_in(judged, "vi") == "chấm Đội B đúng"
    assert label_in(adjust, "vi") == "-5 điểm cho Đội A: phạm quy"
    assert label_in(p.state.undo[-1], "vi") == "-5 điểm cho Đội A: phạm quy"
    undo = p(c.Undo)
    assert label_in(undo, "vi") == "hoàn tác: -5 điểm cho Đội A: phạm quy"
    assert label_in(p.state.redo[-1], "vi") == "-5 điểm cho Đội A: phạm quy"
    assert label_in(p(c.Redo), "vi") == "làm lại: -5 điểm cho Đội A: phạm quy"
    assert label_in(p.actions[0], "vi") == "bắt đầu chương trình"


def test_describe_vi_covers_what_describe_covers() -> None:
    state = ShowState()
    for kind in PHASES:
        if kind in (c.Undo, c.Redo):
            continue
        fields = {
            "teams": ("a", "b"),
            "team": "a",
            "answer": "B",
            "correct": False,
            "values": (D(10),),
            "judge": "j1",
            "scores": {"content": D(5)},
            "points": D(2),
            "reason": "thưởng",
            "overlay": "scoreboard",
            "visible": True,
            "ms": -5000,
            "votes": (),
            "look": "question",
        }
        command = kind(**{k: v for k, v in fields.items() if k in kind.__struct_fields__})
        english, vietnamese = describe(CONFIG, state, command), describe_vi(CONFIG, state, command)
        assert vietnamese and vietnamese != english, kind
    assert describe_vi(CONFIG, state, c.AddTime(ms=-5000)) == "bớt 5 giây của đồng hồ"
    assert describe_vi(CONFIG, state, c.SetOverlay(overlay="scoreboard", visible=True)) == "bật overlay bảng điểm"


def test_an_action_logged_before_vietnamese_labels_still_decodes() -> None:
    p = Play(make_config("buzzer"))
    action = p(c.ShowQuestion)
    old = msgspec.json.decode(msgspec.json.encode(action))
    del old["label_vi"]
    decoded = msgspec.json.decode(msgspec.json.encode(old), type=Action)
    assert decoded.label == action.label and decoded.label_vi == ""


def _names_a_key(node: ast.expr | None) -> bool:
    """A catalogue key as written, chosen between two, or held by words (``reason.key``)."""
    if isinstance(node, ast.Constant):
        return i18n.known(str(node.value))
    if isinstance(node, ast.IfExp):
        return _names_a_key(node.body) and _names_a_key(node.orelse)
    return isinstance(node, ast.Attribute) and node.attr == "key"


def test_every_raise_in_the_core_gives_a_vietnamese_text() -> None:
    """A guard for new rules: each ``raise SomeRuleError(...)`` in server/core names a catalogue key."""
    core = Path(__file__).resolve().parents[2] / "server" / "core"
    kinds = {"ShowError", "RuleError", "PhaseError", "NotFound", "Forbidden", "InvalidCommand"}
    sites, missing = 0, []
    for path in sorted(core.rglob("*.py")):  # the rounds too
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                if isinstance(func, ast.Name) and func.id in kinds:
                    sites += 1
                    first = node.exc.args[0] if node.exc.args else None
                    if not _names_a_key(first):
                        missing.append(f"{path.name}:{node.lineno}")
    assert sites > 80 and not missing, missing
