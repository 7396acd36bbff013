"""One catalogue: every key the server says exists in both languages with the same placeholders, no
Vietnamese twin is written inline any more (outside the modules still to be moved), old logs read the same."""

from __future__ import annotations

import ast
import json
import re
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from server import i18n
from server.core import commands as c
from server.core.audit import _ROLES, command_key, label_in, words_of
from server.core.config import OVERLAYS
from server.core.errors import NotFound, RuleError
from server.core.events import Action
from server.core.show import replay
from server.core.words import Words, both, say
from tests.core.play import Play, make_config

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "server"
# Areas of the catalogue the server speaks from (the pages' own strings are checked by their tests).
SPOKEN = ("rule.", "vote.", "season.", "wire.", "obs.", "audit.", "store.", "common.said")
# Still in the old form, (message, vi=...), until the rounds move lands (issue 15): only these.
NOT_YET = {
    "server/core/questions.py",
    "server/core/judged.py",
    "server/core/scoring.py",
    "server/core/config.py",
    "server/core/decide.py",
    "server/configs/parse.py",
    "server/show/sim.py",
    "server/show/preview.py",
    "server/show/reports.py",
    "server/core/panel.py",  # new with the rounds move (from judged.py)
}
_KEY = re.compile(r"^[a-z]+(\.[a-z0-9_]+)+$")


def _sources() -> list[Path]:
    return [p for p in sorted(SERVER.rglob("*.py")) if "rounds" not in p.relative_to(SERVER).parts]


def _spoken_keys(path: Path) -> list[tuple[str, int]]:
    """String constants in ``path`` that look like catalogue keys of the areas the server speaks."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # Prefixes that pick a page's strings (pages.py: ("audience.", "vote.", "wire.vote", …)) are not keys.
    prefixes = {id(e) for t in ast.walk(tree) if isinstance(t, ast.Tuple) and len(t.elts) > 2 for e in t.elts}
    for node in ast.walk(tree):
        if id(node) in prefixes:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _KEY.match(node.value):
            if node.value.startswith(SPOKEN):
                found.append((node.value, node.lineno))
    return found


def test_the_catalogue_loads_and_each_key_has_both_languages_with_the_same_placeholders() -> None:
    assert i18n.missing() == []
    catalogue = i18n._catalogue()
    for key, texts in catalogue.items():
        assert set(texts) == {"vi", "en"}, key
        assert i18n.placeholders(texts["vi"]) == i18n.placeholders(texts["en"]), key


def test_every_key_the_server_says_is_in_the_catalogue() -> None:
    used = {(key, f"{path.relative_to(ROOT)}:{line}") for path in _sources() for key, line in _spoken_keys(path)}
    assert len(used) > 100, "the key scan found too little: did the source move?"
    unknown = sorted(where + " " + key for key, where in used if not i18n.known(key))
    assert unknown == []
    # Keys built from a name: an overlay, a role, a kind of command.
    built = [f"audit.overlay.{o}" for o in OVERLAYS]
    built += [f"audit.{kind}.{role}" for role in _ROLES for kind in ("who", "role")]
    built += [command_key(kind) for kind in c.Command.__subclasses__()]
    built += [f"wire.wrong_token.{role}" for role in ("producer", "host", "judge", "team")]
    assert [key for key in built if not i18n.known(key)] == []


def test_no_inline_vietnamese_outside_the_modules_still_to_move() -> None:
    """No ``vi=`` argument and no ``*_vi`` field in the files that speak through the catalogue."""
    left = []
    for path in _sources():
        name = str(path.relative_to(ROOT))
        if name in NOT_YET:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and any(k.arg == "vi" for k in node.keywords):
                left.append(f"{name}:{node.lineno}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.endswith("_vi"):
                left.append(f"{name}:{node.lineno} {node.value}")
    assert left == []
    # The wire's words are keys: no page reads a Vietnamese twin.
    for page in [*ROOT.glob("controller/static/*.js"), *ROOT.glob("audience/static/*.js")]:
        assert not re.search(r"\w_vi\b", page.read_text(encoding="utf-8")), page


def test_the_pages_read_the_same_files() -> None:
    """The pages get the catalogue from the server (window.T): the same JSON files the server reads."""
    files = sorted(i18n.CATALOGUE.glob("*.json"))
    keys = [key for path in files for key in json.loads(path.read_text(encoding="utf-8"))]
    assert len(keys) == len(set(keys)) == len(i18n._catalogue())
    assert set(i18n.strings("en")) == set(keys)


def test_an_error_is_a_key_and_parameters_with_the_english_sentence_as_before() -> None:
    error = NotFound("rule.no_team", team="zz")
    assert (error.message, error.vi) == ("there is no team 'zz'", "không có đội 'zz'")
    assert (error.key, error.params) == ("rule.no_team", {"team": "zz"})
    # Nested words travel as {key, params} and render in each language.
    nested = RuleError("rule.overlay_already_on", overlay=say("audit.overlay.lower_third"))
    assert nested.message == "the lower_third overlay is already on air"
    assert nested.vi == "overlay giới thiệu (lower third) đang ở trên sóng rồi"
    assert nested.params == {"overlay": {"key": "audit.overlay.lower_third", "params": {}}}
    # The old form still works for the modules not moved yet, and says both languages.
    old = RuleError("a sentence", vi="một câu")
    assert (old.message, old.vi, old.key) == ("a sentence", "một câu", i18n.TEXT)
    assert (RuleError("only English").vi, RuleError("only English").key) == ("only English", i18n.TEXT)


def test_words_are_plain_json_and_survive_the_log() -> None:
    words = say("audit.submit_scores", judge="GK", team="Đội A", total=Decimal("12.5"))
    assert words.params == {"judge": "GK", "team": "Đội A", "total": "12.5"}
    assert msgspec.json.decode(msgspec.json.encode(words), type=Words) == words
    assert words.text("vi") == "giám khảo GK chấm Đội A: 12.5"
    assert i18n.render("no.such.key") == "no.such.key"  # a key from a newer server says itself, never fails


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_log_written_before_the_catalogue_replays_and_reads_the_same(lang: str) -> None:
    play = Play(make_config("buzzer"))
    play(c.ShowQuestion)
    adjust = play(c.AdjustScore, team="a", points=Decimal(-5), reason="phạm quy")
    undo = play(c.Undo)
    # As an older server wrote them: English and Vietnamese labels, no words.
    old_vi = {adjust.seq: "-5 điểm cho Đội A: phạm quy", undo.seq: "hoàn tác: -5 điểm cho Đội A: phạm quy"}
    logged = []
    for action in play.actions:
        raw = msgspec.to_builtins(action)
        del raw["words"]
        raw["label_vi"] = old_vi.get(action.seq, label_in(action, "vi"))
        logged.append(msgspec.json.decode(msgspec.json.encode(raw), type=Action))
    state = replay(logged)
    assert state.board == play.state.board
    assert [label_in(a, lang) for a in logged] == [label_in(a, lang) for a in play.actions]
    assert label_in(state.redo[-1], lang) == label_in(play.state.redo[-1], lang)
    # A label made now about an old one (redo of an action logged before) reads the same too.
    assert words_of(logged[-1]) == both(undo.label, old_vi[undo.seq])
    play2 = Play(make_config("buzzer"))
    play2.state, play2.now = state, play.now
    assert label_in(play2(c.Redo), lang) == label_in(play(c.Redo), lang)
