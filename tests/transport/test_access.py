"""Where tokens come from: environment, then config, then the database, else generated."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.configs import ConfigError
from server.configs.parse import parse_show
from server.log.store import EventLog
from server.transport.access import load_access

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "show_configs" / "quang-nam-2024-qualifier.yaml"
TOKENS = """
tokens:
  producer: producer-token-123
  teams: {tam-ky: tam-ky-token-123}
"""


def config(extra: str = ""):
    return parse_show(DEMO.read_text(encoding="utf-8") + extra, DEMO)


def test_priority_and_persistence(tmp_path: Path) -> None:
    show = config(TOKENS)
    log = EventLog(tmp_path / "show.db")
    env = {"SHOWCALLER_TOKEN_TEAM_DIEN_BAN": "dien-ban-from-env"}
    access = load_access(show, log, env)
    assert access.token("producer") == "producer-token-123"
    assert access.token("team", "tam-ky") == "tam-ky-token-123"
    assert access.token("team", "dien-ban") == "dien-ban-from-env"
    generated = access.token("team", "nam-tra-my")
    assert len(generated) >= 16
    assert access.actor(generated).id == "nam-tra-my" and access.actor("nope") is None
    # A restart keeps the generated token, so the pads keep working.
    assert load_access(show, log, {}).token("team", "nam-tra-my") == generated


def test_bad_token_sections_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        config("\ntokens:\n  producer: short\n  teams: {hoi-an: hoi-an-token-1234}\n")
    text = str(caught.value)
    assert "tokens.producer: expected a token of at least 12 letters" in text
    assert "tokens.teams.hoi-an: no team 'hoi-an' in this show" in text
