"""The protocol documents can't drift: the schemas and the OpenAPI file are what ``python -m server docs``
writes from the structs, and the prose names every command and links every view's schema."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from server.cli import main
from server.transport.contract.docs import OPENAPI, SCHEMA_DIR, render
from server.transport.protocol import COMMANDS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_committed_schemas_and_openapi_are_what_the_command_writes(tmp_path: Path, capsys) -> None:
    assert main(["docs", "--out", str(tmp_path)]) == 0
    assert "openapi.yaml" in capsys.readouterr().out
    fresh = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    committed = {p.relative_to(DOCS).as_posix() for p in (DOCS / SCHEMA_DIR).rglob("*") if p.is_file()} | {OPENAPI}
    hint = "run `python -m server docs` and commit docs/schema/ and docs/openapi.yaml"
    assert sorted(fresh - committed) == [], f"not committed: {hint}"
    assert sorted(committed - fresh) == [], f"no longer generated: {hint}"
    differ = [
        name
        for name in sorted(fresh)
        if (tmp_path / name).read_text(encoding="utf-8") != (DOCS / name).read_text(encoding="utf-8")
    ]
    assert differ == [], f"docs/{differ[0] if differ else ''} differs from the structs: {hint}"


def test_generation_is_deterministic() -> None:
    assert render() == render()


def test_openapi_posts_every_producer_command_with_its_schema() -> None:
    spec = yaml.safe_load((DOCS / OPENAPI).read_text(encoding="utf-8"))
    commands = set(COMMANDS["control"])
    paths = {p.removeprefix("/api/v1/commands/") for p in spec["paths"] if p.startswith("/api/v1/commands/")}
    assert paths - {"{name}"} == commands
    schemas = spec["components"]["schemas"]
    for name, kind in COMMANDS["control"].items():
        body = spec["paths"][f"/api/v1/commands/{name}"]["post"]["requestBody"]["content"]["application/json"]
        assert body["schema"] == {"$ref": f"#/components/schemas/{kind.__name__}"}
        assert not {"at", "by", "type"} & set(schemas[kind.__name__]["properties"])
    sio = spec["x-socketio"]["namespaces"]
    for namespace, events in COMMANDS.items():
        assert set(events) <= set(sio[f"/{namespace}"]["sends"])


def test_protocol_document_describes_every_command_and_links_every_view() -> None:
    text = (DOCS / "protocol.md").read_text(encoding="utf-8")
    described = set(re.findall(r"`(\w+)[ `]", text))
    every = {name for names in COMMANDS.values() for name in names}
    assert every - described == set()
    for view in ("public_view", "producer_view", "judge_view", "team_view", "audience_view"):
        assert f"shape: [docs/schema/{view}.json](schema/{view}.json)" in text
