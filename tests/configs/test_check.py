"""`python -m server check`: valid configs summarised, broken ones named precisely."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from server.cli import main
from server.configs import ConfigError, load_show
from tests.conftest import SHIPPED_SHOWS

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = SHIPPED_SHOWS

VALID = """\
show:
  id: mini
  title: Hội thi nhỏ
  logo: logo.svg
teams:
  - {id: tam-ky, name: Đội Tam Kỳ}
  - {id: hoi-an, name: Đội Hội An}
judges:
  - {id: j1, name: Giám khảo Một}
questions:
  - {id: q1, text: "Đề án 06 là đề án về gì?", options: {A: Dân cư, B: Đất đai}, answer: A}
  - {id: q2, text: "VNeID là gì?", answer: Ứng dụng định danh điện tử}
rundown:
  - id: accel
    title: Tăng tốc
    round: speed
    scoring: {points: [40, 30, 20, 10]}
    questions: [q1, q2]
    timer: 30
  - id: greet
    title: Chào hỏi
    round: judged
    scoring:
      criteria: [{id: content, name: Nội dung, max: 10}]
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    path = tmp_path / "show.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_show(write(tmp_path, text))
    return caught.value.errors


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_configs_are_valid(path: Path, capsys) -> None:
    assert main(["check", str(path)]) == 0
    summary = capsys.readouterr().out
    config = load_show(path)
    assert config.contest.title in summary
    assert all(t.name in summary for t in config.teams)
    assert "time on the clock" in summary
    assert len(summary.splitlines()) <= 25


def test_shipped_configs_cover_the_three_formats() -> None:
    names = {p.name for p in SHIPPED}
    assert {"quang-nam-2024-qualifier.yaml", "olympia-style.yaml", "online-quiz.yaml"} <= names
    qualifier = load_show(ROOT / "show_configs" / "quang-nam-2024-qualifier.yaml")
    assert [s.round.value for s in qualifier.rundown] == ["judged", "judged", "turns", "speed", "audience"]
    assert qualifier.rundown[1].scoring.audience_share > 0
    olympia = load_show(ROOT / "show_configs" / "olympia-style.yaml")
    rounds = [s.round.value for s in olympia.rundown]
    assert {"turns", "buzzer", "speed", "packages"} <= set(rounds)
    quiz = load_show(ROOT / "show_configs" / "online-quiz.yaml")
    mc = [q for s in quiz.rundown for q in s.questions if quiz.questions[q].multiple_choice]
    assert len(mc) == 20 and sum(q.essay for q in quiz.questions.values()) == 1


def test_valid_minimal_config(tmp_path: Path) -> None:
    config = load_show(write(tmp_path, VALID))
    assert config.team("tam-ky").name == "Đội Tam Kỳ"
    assert config.rundown[0].timer_ms == 30000


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "scoring: {points: [40, 30, 20, 10]}",
            "scoring: {points: abc}",
            "show.yaml:17: rundown[0].scoring.points: expected a list of 1-8 positive integers, got 'abc'",
        ),
        ("timer: 30", "timer: ba mươi", "show.yaml:19: rundown[0].timer: expected a duration in seconds"),
        (
            "    timer: 30\n",
            "    timer: 30\n    colour: red\n",
            "show.yaml:20: rundown[0].colour: unknown key; allowed here: id, title, round, scoring,",
        ),
        (
            "round: speed",
            "round: sped",
            "show.yaml:16: rundown[0].round: expected one of judged, turns, speed, buzzer, packages, audience, "
            "obstacle, got 'sped'",
        ),
        (
            "  - {id: hoi-an, name: Đội Hội An}",
            "  - {id: tam-ky, name: Đội Hội An}",
            "show.yaml:7: teams[1].id: duplicate team id 'tam-ky'",
        ),
        ("questions: [q1, q2]", "questions: [q1, q7]", "show.yaml:18: rundown[0].questions[1]: unknown question 'q7'"),
        (
            "  logo: logo.svg",
            "  logo: media/missing.png",
            "show.yaml:4: show.logo: media file not found: media/missing.png",
        ),
        (
            "answer: A}",
            "answer: E}",
            "show.yaml:11: questions[0].answer: expected one of the option letters A, B, got 'E'",
        ),
        (
            "max: 10}]",
            "max: -3}]",
            "show.yaml:24: rundown[1].scoring.criteria[0].max: expected a number from 0.5 to 1000",
        ),
        ("  title: Hội thi nhỏ\n", "", "show.yaml:1: show: missing required key 'title'"),
        ("    name: Đội Tam Kỳ", "    nme: Đội Tam Kỳ", "unknown key (did you mean 'name'?)"),
        ("  id: mini", "  id: mini show", "show.yaml:2: show.id: expected an id of ASCII letters, digits"),
        (
            "show:\n",
            "show:\n  stage: quarterfinal\n",
            "show.stage: expected one of qualifier, semi-final, final, other",
        ),
        (
            "show:\n",
            "show:\n  theme: {font: Comic Sans}\n",
            "show.theme.font: expected one of Be Vietnam Pro, got 'Comic Sans'",
        ),
    ],
)
def test_broken_config_gives_precise_message(tmp_path: Path, old: str, new: str, expected: str) -> None:
    text = (
        VALID.replace("{id: tam-ky, name: Đội Tam Kỳ}", "{id: tam-ky,\n    name: Đội Tam Kỳ}")
        if "nme" in new
        else VALID
    )
    assert old in text
    errors = errors_of(tmp_path, text.replace(old, new, 1))
    assert any(expected in e for e in errors), errors
    assert all(e.startswith(str(tmp_path / "show.yaml") + ":") for e in errors)


def test_missing_teams_and_judges(tmp_path: Path) -> None:
    text = VALID.replace("teams:\n  - {id: tam-ky, name: Đội Tam Kỳ}\n  - {id: hoi-an, name: Đội Hội An}\n", "")
    text = text.replace("judges:\n  - {id: j1, name: Giám khảo Một}\n", "")
    errors = errors_of(tmp_path, text)
    assert any("(top): missing required key 'teams'" in e for e in errors), errors
    assert any("rundown[1].scoring: a judged round needs judges" in e for e in errors), errors


def test_every_problem_reported_once(tmp_path: Path) -> None:
    text = VALID.replace("answer: A}", "answer: E}").replace("timer: 30", "timer: -1").replace("id: j1", "id: j 1")
    errors = errors_of(tmp_path, text)
    assert len(errors) == len(set(errors)) == 3, errors
    assert [int(e.split(":")[1]) for e in errors] == sorted(int(e.split(":")[1]) for e in errors)


def test_turn_team_must_exist(tmp_path: Path) -> None:
    text = VALID.replace("round: speed", "round: turns").replace("scoring: {points: [40, 30, 20, 10]}", "scoring: {}")
    text = text.replace(
        "questions: [q1, q2]", "questions: [{question: q1, team: da-nang}, {question: q2, team: hoi-an}]"
    )
    errors = errors_of(tmp_path, text)
    assert len(errors) == 1 and "rundown[0].questions[0].team: unknown team 'da-nang'" in errors[0], errors


def test_packages_pool_must_hold_each_value(tmp_path: Path) -> None:
    text = VALID.replace("round: speed", "round: packages").replace(
        "scoring: {points: [40, 30, 20, 10]}", "scoring: {values: [10, 20], size: 1}"
    )
    errors = errors_of(tmp_path, text)
    assert any("expected at least 1 questions worth 10 points, got 0" in e for e in errors), errors


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, VALID.replace("  - {id: hoi-an, name: Đội Hội An}", "  - {id: hoi-an, name: [Đội"))
    assert errors[0].startswith(f"{tmp_path / 'show.yaml'}:") and "invalid YAML" in errors[0]


def test_cli_exit_codes(tmp_path: Path) -> None:
    good = subprocess.run(
        [sys.executable, "-m", "server", "check", str(write(tmp_path, VALID))], capture_output=True, text=True, cwd=ROOT
    )
    assert good.returncode == 0 and "Hội thi nhỏ" in good.stdout
    bad_path = tmp_path / "bad.yaml"
    bad_path.write_text(VALID.replace("timer: 30", "timer: abc"), encoding="utf-8")
    bad = subprocess.run(
        [sys.executable, "-m", "server", "check", str(bad_path)], capture_output=True, text=True, cwd=ROOT
    )
    assert bad.returncode == 1
    assert "bad.yaml:19: rundown[0].timer: expected a duration in seconds from 0.1 to 3600, got 'abc'" in bad.stderr
    assert "Traceback" not in bad.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "server", "check", str(tmp_path / "nope.yaml")], capture_output=True, text=True, cwd=ROOT
    )
    assert missing.returncode == 1 and "cannot read the file" in missing.stderr
