"""One catalogue: every key the server says exists in both languages with the same placeholders, no
Vietnamese twin is written inline any more (the rounds included), every round has its words, old logs read the same."""

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
from server.core.decide import _ACTORS, NONE
from server.core.errors import NotFound, RuleError
from server.core.events import Action
from server.core.rounds import ROUNDS
from server.core.rounds.base import Round
from server.core.show import replay
from server.core.state import QPhase, ShowPhase
from server.core.words import Words, both, say
from server.show.views import overlays_view
from tests.core.play import Play, make_config

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "server"
# Areas of the catalogue the server speaks from (the pages' own strings are checked by their tests).
SPOKEN = ("rule.", "vote.", "season.", "wire.", "obs.", "audit.", "store.", "common.said")
_KEY = re.compile(r"^[a-z]+(\.[a-z0-9_]+)+$")


def _sources() -> list[Path]:
    """Every module of the server, the rounds package included."""
    return sorted(SERVER.rglob("*.py"))


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
    # A phase refusal's words: the phase on air, the show's phase, who may give the command.
    built += [f"rule.phase.{phase}" for phase in (NONE, *QPhase)] + [f"rule.show_phase.{p}" for p in ShowPhase]
    built += [f"rule.actor.{role}" for roles in _ACTORS.values() for role in (*roles, "producer")]
    # Why an overlay can't show anything in this show (the controller shows it beside the switch).
    built += [f"control.why.{o['why']}" for o in overlays_view(season=False).values() if o["why"]]
    assert [key for key in built if not i18n.known(key)] == []


def test_no_inline_vietnamese_anywhere_in_the_server() -> None:
    """No ``vi=`` argument and no ``*_vi`` field: the whole server speaks through the catalogue."""
    sources = _sources()
    assert any("rounds" in p.parts for p in sources), "the scan must cover server/core/rounds"
    left = []
    for path in sources:
        name = str(path.relative_to(ROOT))
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
    # A key the catalogue lacks (a typo) says itself rather than fail.
    typo = RuleError("rule.no_such_key")
    assert (typo.message, typo.vi, typo.key) == ("rule.no_such_key", "rule.no_such_key", "rule.no_such_key")


@pytest.mark.parametrize("kind", ROUNDS, ids=lambda r: r.name)
def test_every_round_has_its_words(kind: Round) -> None:
    """A sentence names a round with ``rule.round.<name>``: a new round without its words fails here."""
    key = f"rule.round.{kind.name}"
    assert i18n.known(key), f"add {key!r} to controller/strings/rules.json: the round as a sentence names it"
    assert kind.words().key == key
    # The English is the round's name as configs write it ("there is no buzzer in a speed round").
    assert i18n.render(key, {}, "en") == kind.name, f"{key}: English must be {kind.name!r}"
    assert i18n.render(key, {}, "vi") not in ("", kind.name), f"{key}: needs its Vietnamese words"
    error = RuleError("rule.no_buzzer_in_round", round=kind.words())
    assert error.message == f"there is no buzzer in a {kind.name} round"
    assert error.vi == f"phần thi {i18n.render(key, {}, 'vi')} không dùng chuông"


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
