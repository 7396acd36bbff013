"""Envelopes, ACKs and event payloads: what travels around the views (docs/protocol.md has the prose).

The commands' payloads are the command structs of ``server/core/commands.py`` (``at`` and ``by`` set by
the server) and the season desk's are ``server/season/live.py``'s; ``docs`` takes them from there.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, UnsetType

from server.transport.contract.views import AwardRow, Params, Shape, Words

ServerTime = Annotated[int, Meta(description="The server's clock, ms since the Unix epoch.")]
AnyView = Annotated[
    dict[str, Any],
    Meta(description="The namespace's whole view: public_view, producer_view, judge_view or audience_view."),
]


# -- server -> client -----------------------------------------------------------------------------


class Snapshot(Shape):
    """``snapshot``: the whole view; replace what you have."""

    rev: Annotated[int, Meta(description="The revision at which this view last changed.")]
    view: AnyView
    server_time: ServerTime


class Patch(Shape):
    """``patch``: a JSON merge patch (RFC 7396) of your view; apply it only if your rev is ``base``."""

    rev: int
    base: int
    patch: Annotated[dict[str, Any], Meta(description="null removes a key; arrays come whole.")]


class ObsStatus(Shape):
    """OBS as the server sees it (docs/obs.md); only ``configured`` without OBS."""

    configured: bool
    state: Annotated[str | UnsetType, Meta(description="connecting | connected | offline")] = UNSET
    address: str | UnsetType = UNSET
    studio_mode: bool | UnsetType = UNSET
    program: str | None | UnsetType = UNSET
    preview: str | None | UnsetType = UNSET
    target: str | None | UnsetType = UNSET
    manual: bool | UnsetType = UNSET
    error: str | None | UnsetType = UNSET
    error_words: Words | None | UnsetType = UNSET
    error_at: int | None | UnsetType = UNSET


class Presence(Shape):
    """``presence`` (``/control`` only): who is connected."""

    teams: Annotated[list[str], Meta(description="Teams with a pad connected.")]
    judges: list[str]
    overlays: int
    monitors: Annotated[int, Meta(description="Controllers' program monitors (overlay pages, not on air).")]
    audience: int
    controllers: int
    obs: ObsStatus


class Notice(Shape):
    """``taken_over`` (``/team``): another device took this pad over; you are disconnected next."""

    code: Literal["taken_over"]
    message: str
    key: str
    params: Params


class Goodbye(Shape):
    """``disconnecting`` (every namespace): the server closes this connection next, and says why."""

    code: Literal["rate_limited"]
    message: str
    key: str
    params: Params


class ErrorDetail(Shape):
    code: Annotated[str, Meta(description="Machine-readable: docs/protocol.md, Errors.")]
    message: Annotated[str, Meta(description="A sentence a producer can act on, in English.")]
    key: Annotated[str, Meta(description="The sentence's catalogue key (controller/strings/*.json).")]
    params: Params


# A refused connection: the ``data`` of Socket.IO's connect_error.
ConnectError = ErrorDetail


# -- ACKs -----------------------------------------------------------------------------------------


class ErrorAck(Shape):
    """Every refusal, on every event and HTTP route: nothing in the show changed."""

    ok: Literal[False]
    error: ErrorDetail


class SyncAck(Shape):
    """``sync``: the whole view, as a snapshot (and ``GET /api/v1/state``)."""

    ok: Literal[True]
    rev: int
    view: AnyView
    server_time: ServerTime


class TimeAck(Shape):
    """``time``: the server's clock, for the offset."""

    ok: Literal[True]
    server_time: ServerTime


class CommandAck(Shape):
    """A command committed to the show's log."""

    ok: Literal[True]
    rev: Annotated[int, Meta(description="The revision that holds the change.")]


class EmptyAck(Shape):
    """A desk event done (``obs_take``, ``season_confirm``, ``season_correct``)."""

    ok: Literal[True]


class VotePayload(Shape):
    """``vote`` (``/audience``): an option's letter, or a team's id in a team vote."""

    option: Annotated[str, Meta(min_length=1, max_length=64)]
    nickname: Annotated[str, Meta(max_length=100)] = ""


class VoteAck(Shape):
    ok: Literal[True]
    poll: str
    option: Annotated[str, Meta(description="The option as counted.")]
    rev: Annotated[int, Meta(description="The log's revision that holds the vote (a cluster's too: its owner's).")]


class Ballot(Shape):
    option: str
    nickname: str
    at: int


class MineAck(Shape):
    """``mine`` (``/audience``): this phone's vote in the poll the audience sees now."""

    ok: Literal[True]
    poll: str | None
    vote: Ballot | None


class Identity(Shape):
    """``identity`` (``/audience``): the identity issued to this phone; send it as ``device`` on every connect."""

    device: Annotated[str, Meta(min_length=8, max_length=64)]


# -- HTTP -----------------------------------------------------------------------------------------


class Health(Shape):
    ok: Literal[True]
    show: str
    rev: int
    server_time: ServerTime
    clients: Presence


class CommandDone(Shape):
    """``POST /api/v1/commands/{name}``: committed, with what was done in words."""

    ok: Literal[True]
    rev: int
    label: Annotated[str, Meta(description="What was done, as the undo history and the audit trail say it.")]
    label_words: Words


class CommandList(Shape):
    ok: Literal[True]
    commands: list[str]


class Awards(Shape):
    ok: Literal[True]
    rev: int
    awards: Annotated[list[AwardRow], Meta(description="Every award, oldest first.")]


class Network(Shape):
    base: str
    hall: bool
    why: Annotated[str | None, Meta(description="loopback | offline | null")]


class Pad(Shape):
    role: Annotated[str, Meta(description="judge | team")]
    id: str
    name: str
    url: Annotated[str, Meta(description="Opens the pad signed in (its token in it).")]
    qr: Annotated[str, Meta(description="/pads/{role}/{id}.svg?token=<producer token>")]


class Pads(Shape):
    ok: Literal[True]
    network: Network
    pads: list[Pad]
