"""The protocol documents name every command the server takes (a command added to one and not the other is a bug)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from server.transport.protocol import COMMANDS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_openapi_lists_every_producer_command() -> None:
    spec = yaml.safe_load((DOCS / "openapi.yaml").read_text(encoding="utf-8"))
    commands = set(COMMANDS["control"])
    paths = {p.removeprefix("/api/v1/commands/") for p in spec["paths"] if p.startswith("/api/v1/commands/")}
    assert paths - {"{name}"} == commands
    name = next(p for p in spec["paths"]["/api/v1/commands/{name}"]["post"]["parameters"] if p["name"] == "name")
    assert set(name["schema"]["enum"]) == commands


def test_protocol_document_describes_every_command() -> None:
    text = (DOCS / "protocol.md").read_text(encoding="utf-8")
    described = set(re.findall(r"`(\w+)[ `]", text))
    every = {name for names in COMMANDS.values() for name in names}
    assert every - described == set()
