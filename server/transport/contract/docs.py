"""``python -m server docs``: the JSON Schemas in ``docs/schema/`` and ``docs/openapi.yaml``, from the structs.

Shapes come from the contract's structs, the command structs and the season desk's payloads; words and
examples a schema can't hold come from ``openapi_prose.yaml`` beside this module. The output is
deterministic (sorted keys, no timestamps), so ``tests/transport/test_docs.py`` can hold the committed
files to it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import yaml

from server.core import commands as c
from server.core.config import OVERLAYS
from server.season.live import SeasonConfirm, SeasonCorrect
from server.transport import protocol as p
from server.transport.contract import views as v
from server.transport.contract import wire as w

PROSE = Path(__file__).with_name("openapi_prose.yaml")
SCHEMA_DIR = "schema"
OPENAPI = "openapi.yaml"
JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
NUMBER = 'A number of points: a JSON number or a numeric string such as "2.5"; at most 2 decimals.'
NO_FIELDS = "Takes no fields: send `{}` or an empty body."

# One file per view, envelope and ACK: docs/schema/<name>.json.
SHAPES: dict[str, type[Any]] = {
    "public_view": v.PublicView,
    "producer_view": v.ProducerView,
    "judge_view": v.JudgeView,
    "team_view": v.TeamView,
    "audience_view": v.AudienceView,
    "snapshot": w.Snapshot,
    "patch": w.Patch,
    "presence": w.Presence,
    "taken_over": w.Notice,
    "disconnecting": w.Goodbye,
    "connect_error": w.ErrorDetail,
    "error_ack": w.ErrorAck,
    "sync_ack": w.SyncAck,
    "time_ack": w.TimeAck,
    "command_ack": w.CommandAck,
    "empty_ack": w.EmptyAck,
    "vote": w.VotePayload,
    "vote_ack": w.VoteAck,
    "mine_ack": w.MineAck,
    "identity": w.Identity,
    "health": w.Health,
    "command_done": w.CommandDone,
    "command_list": w.CommandList,
    "awards": w.Awards,
    "pads": w.Pads,
}

# The desk's events that are not commands of the show, with their payloads (docs/schema/commands/<event>.json).
DESK_EVENTS: dict[str, type[Any]] = {p.SEASON_CONFIRM: SeasonConfirm, p.SEASON_CORRECT: SeasonCorrect}
SERVER_FILLS = ("at", "by")  # command fields the server sets, never in a payload

# Each namespace: its view, what it receives besides snapshots and patches, the events it takes beyond its commands.
_EVERYONE: dict[str, type[Any]] = {p.DISCONNECTING: w.Goodbye}  # what any connection may receive
NAMESPACES: dict[str, dict[str, Any]] = {
    "control": {
        "view": v.ProducerView,
        "receives": {p.PRESENCE: w.Presence, **_EVERYONE},
        "extra": (p.OBS_TAKE, *DESK_EVENTS),
    },
    "host": {"view": v.ProducerView, "receives": _EVERYONE, "extra": ()},
    "judge": {"view": v.JudgeView, "receives": _EVERYONE, "extra": ()},
    "team": {"view": v.TeamView, "receives": {p.TAKEN_OVER: w.Notice, **_EVERYONE}, "extra": ()},
    "overlay": {"view": v.PublicView, "receives": _EVERYONE, "extra": ()},
    "audience": {"view": v.AudienceView, "receives": {p.IDENTITY: w.Identity, **_EVERYONE}, "extra": (p.VOTE, p.MINE)},
}
_EVENT_SHAPES: dict[str, tuple[type[Any] | None, type[Any]]] = {  # event -> (payload, ACK)
    p.SYNC: (None, w.SyncAck),
    p.TIME: (None, w.TimeAck),
    p.VOTE: (w.VotePayload, w.VoteAck),
    p.MINE: (None, w.MineAck),
    p.OBS_TAKE: (None, w.EmptyAck),
    **{event: (kind, w.EmptyAck) for event, kind in DESK_EVENTS.items()},
}
_ERRORS = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "NotFound",
    "409": "Conflict",
    "413": "TooLarge",
    "429": "RateLimited",
    "500": "Internal",
    "503": "Storage",
}


def commands() -> dict[str, type[c.Command]]:
    """Every command event any namespace takes, by event name, in the producer's order."""
    out: dict[str, type[c.Command]] = {}
    for by_event in p.COMMANDS.values():
        out.update(by_event)
    return out


def render() -> dict[str, str]:
    """Every generated file's text by its path under ``docs/``."""
    prose = yaml.safe_load(PROSE.read_text(encoding="utf-8"))
    payloads: dict[str, type[Any]] = {**commands(), **DESK_EVENTS}
    files = {f"{SCHEMA_DIR}/{name}.json": _json(_standalone(kind, prose)) for name, kind in sorted(SHAPES.items())}
    for event, kind in sorted(payloads.items()):
        files[f"{SCHEMA_DIR}/commands/{event}.json"] = _json(_standalone(kind, prose))
    files[OPENAPI] = _openapi(prose, payloads)
    return files


def write(docs: Path) -> list[Path]:
    """Write every generated file under ``docs`` (stale schema files removed); the paths written."""
    files = render()
    for old in sorted((docs / SCHEMA_DIR).rglob("*.json")):
        if old.relative_to(docs).as_posix() not in files:
            old.unlink()
    written = []
    for name, text in files.items():
        path = docs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# -- schemas --------------------------------------------------------------------------------------


def _components(
    kinds: list[type[Any]], prose: dict[str, Any], ref: str
) -> tuple[tuple[dict[str, Any], ...], dict[str, Any]]:
    refs, defs = msgspec.json.schema_components(kinds, ref_template=ref)
    names = {kind.__name__: event for event, kind in {**commands(), **DESK_EVENTS}.items()}
    for name, schema in defs.items():
        if name in names:
            _payload(schema, prose["commands"].get(names[name], {}))
    defs.pop("Actor", None)  # only ``by`` refers to it, and no payload has ``by``
    _decimals(defs)
    return refs, defs


def _payload(schema: dict[str, Any], words: dict[str, Any]) -> None:
    """A command struct's schema as the payload of its event: no tag, no server-set fields, nothing unknown."""
    props = schema.setdefault("properties", {})
    for name in ("type", *SERVER_FILLS):
        props.pop(name, None)
    schema["required"] = [f for f in schema.get("required", []) if f in props]
    if not schema["required"]:
        del schema["required"]
    schema["additionalProperties"] = False
    text = words.get("schema_description") or words.get("description") or schema.get("description", "")
    text = " ".join(str(text).split())
    schema["description"] = f"{text} {NO_FIELDS}".strip() if not props else text
    for field, extra in (words.get("fields") or {}).items():
        if field not in props:
            continue
        extra = dict(extra)
        for key, into in (("items", "items"), ("values", "additionalProperties")):
            if key in extra and isinstance(props[field].get(into), dict):
                props[field][into].update(extra.pop(key))
        props[field].update(extra)
    if schema.get("title") == "SetOverlay":
        props["overlay"]["enum"] = list(OVERLAYS)


def _decimals(node: Any) -> None:
    """Decimals are read from JSON numbers as well as numeric strings (``2.5`` or ``"2.5"``)."""
    if isinstance(node, dict):
        if node.get("format") == "decimal" and node.get("type") == "string":
            del node["format"]
            node["type"] = ["number", "string"]
            node.setdefault("description", NUMBER)
        for value in node.values():
            _decimals(value)
    elif isinstance(node, list):
        for value in node:
            _decimals(value)


def _standalone(kind: type[Any], prose: dict[str, Any]) -> dict[str, Any]:
    """One struct's JSON Schema with the definitions it refers to."""
    (root,), defs = _components([kind], prose, "#/$defs/{name}")
    name = root["$ref"].rsplit("/", 1)[1]
    schema = {"$schema": JSON_SCHEMA, **defs.pop(name)}
    if defs:
        schema["$defs"] = defs
    return schema


def _json(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# -- OpenAPI --------------------------------------------------------------------------------------


def _openapi(prose: dict[str, Any], payloads: dict[str, type[Any]]) -> str:
    kinds = [*SHAPES.values(), *payloads.values()]
    _, defs = _components(kinds, prose, "#/components/schemas/{name}")
    producer = p.COMMANDS["control"]
    paths = dict(prose["paths"])
    generic = paths["/api/v1/commands/{name}"]["post"]
    generic["parameters"][0]["schema"] = {"type": "string", "enum": sorted(producer)}
    generic["requestBody"]["content"]["application/json"]["schema"] = {
        "oneOf": [_ref(kind) for kind in producer.values()]
    }
    state = paths["/api/v1/state"]["get"]["responses"]["200"]["content"]["application/json"]
    state["schema"] = {
        "allOf": [
            _ref(w.SyncAck),
            {"properties": {"view": {"oneOf": [_ref(v.PublicView), _ref(v.ProducerView)]}}},
        ]
    }
    for event, kind in producer.items():
        paths[f"/api/v1/commands/{event}"] = _command_path(event, kind, prose["commands"].get(event, {}))
    spec = {
        "openapi": "3.1.0",
        "info": prose["info"],
        "servers": prose["servers"],
        "tags": prose["tags"],
        "paths": paths,
        "components": {
            "schemas": defs,
            "responses": prose["responses"],
            "securitySchemes": prose["securitySchemes"],
        },
        "x-socketio": _socketio(),
    }
    head = (
        "# showcaller's HTTP API and Socket.IO events. Generated by `python -m server docs` from the structs in\n"
        "# server/transport/contract/ and server/core/commands.py: do not edit; prose in docs/protocol.md.\n"
    )
    return head + yaml.dump(spec, Dumper=_Dumper, allow_unicode=True, sort_keys=True, width=110)


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # plain YAML, no anchors: the same example twice is written twice


def _ref(kind: type[Any]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{kind.__name__}"}


def _command_path(event: str, kind: type[c.Command], words: dict[str, Any]) -> dict[str, Any]:
    fields = [f for f in msgspec.structs.fields(kind) if f.name not in SERVER_FILLS]
    required = any(f.required for f in fields)
    body: dict[str, Any] = {"schema": _ref(kind)}
    if "example" in words:
        body["example"] = words["example"]
    elif not fields:
        body["example"] = {}
    ok: dict[str, Any] = {"schema": _ref(w.CommandDone)}
    if "ack" in words:
        ok["example"] = words["ack"]
    responses: dict[str, Any] = {"200": {"description": "Done.", "content": {"application/json": ok}}}
    responses.update({code: {"$ref": f"#/components/responses/{name}"} for code, name in _ERRORS.items()})
    operation: dict[str, Any] = {
        "operationId": event,
        "summary": words.get("summary") or _sentence(event),
        "tags": [words.get("tag", "commands")],
        "security": [{"producerToken": []}],
        "requestBody": {"required": required, "content": {"application/json": body}},
        "responses": responses,
    }
    text = words.get("description") or kind.__doc__
    if text:
        operation["description"] = " ".join(str(text).split())
    return {"post": operation}


def _sentence(event: str) -> str:
    return event.replace("_", " ").capitalize()


def _socketio() -> dict[str, Any]:
    """The namespaces: the view each one keeps, what it receives, and every event it takes with its ACK."""
    out: dict[str, Any] = {}
    for namespace, spec in NAMESPACES.items():
        receives = {p.SNAPSHOT: _ref(w.Snapshot), p.PATCH: _ref(w.Patch)}
        receives.update({event: _ref(kind) for event, kind in spec["receives"].items()})
        sends: dict[str, Any] = {}
        for event in (p.SYNC, p.TIME, *spec["extra"]):
            payload, ack = _EVENT_SHAPES[event]
            sends[event] = {"payload": _ref(payload) if payload else None, "ack": _ref(ack)}
        fills = p.IDENTITY_FIELD.get(namespace)
        for event, kind in p.COMMANDS.get(namespace, {}).items():
            entry: dict[str, Any] = {"payload": _ref(kind), "ack": _ref(w.CommandAck)}
            if fills and fills in kind.__struct_fields__:
                entry["filled_in"] = fills
            sends[event] = entry
        out[f"/{namespace}"] = {"view": _ref(spec["view"]), "receives": receives, "sends": sends}
    return {
        "path": "/socket.io",
        "refusal": _ref(w.ErrorAck),
        "connect_error": _ref(w.ErrorDetail),
        "namespaces": out,
    }
