"""What is on air: overlays shown or hidden, the segment's looks, and the name strap (lower third).

Two overlays whose zones intersect (``server/core/zones.py``) are never on air together: putting
one on takes off what it would draw over, in the same action, so one undo brings it all back.
"""

from __future__ import annotations

from collections.abc import Iterable

from server.core import commands as c
from server.core import events as ev
from server.core.audit import overlay_name
from server.core.config import OVERLAYS, Segment
from server.core.context import Ctx
from server.core.errors import InvalidCommand, NotFound, RuleError, quote
from server.core.state import Strap
from server.core.text import clean
from server.core.words import say
from server.core.zones import clashes, look_picture

NAME_MAX = 80
TITLE_MAX = 160


def set_overlay(x: Ctx, cmd: c.SetOverlay) -> list[ev.Event]:
    if cmd.overlay not in OVERLAYS:
        raise InvalidCommand("rule.bad_overlay", overlays=", ".join(OVERLAYS), overlay=quote(cmd.overlay))
    if (cmd.overlay in x.board.on_air) == cmd.visible:
        name = overlay_name(cmd.overlay)
        raise RuleError("rule.overlay_already_on" if cmd.visible else "rule.overlay_already_off", overlay=name)
    if not cmd.visible:
        return [ev.OverlaySet(cmd.overlay, False)]
    return [*_take_off(clashes(cmd.overlay, x.board.on_air)), ev.OverlaySet(cmd.overlay, True)]


def take_look(x: Ctx, cmd: c.TakeLook) -> list[ev.Event]:
    """Exactly the look's overlays on air; a strap that fits beside them stays (``zones.KEPT_BY_LOOKS``)."""
    segment = x.segment()
    look = next((lk for lk in segment.looks if lk.id == cmd.look), None)
    if look is None:
        known = ", ".join(lk.id for lk in segment.looks)
        raise NotFound("rule.no_look", segment=segment.title, look=quote(cmd.look), looks=known or say("rule.none"))
    events = _picture(x.board.on_air, look_picture(look, x.board.on_air))
    if not events:
        raise RuleError("rule.look_already_on", title=look.title)
    return events


def enter_segment(on_air: frozenset[str], segment: Segment) -> list[ev.Event]:
    """Entering ``segment``: its default look on air, and off what it does not offer.

    A segment that names no overlays at all leaves the picture as it is.
    """
    if segment.looks:
        wanted = look_picture(segment.looks[0], on_air)
    elif segment.overlays:
        wanted = on_air
    else:
        return []
    return _picture(on_air, frozenset(o for o in wanted if o in segment.overlays))


def _picture(on_air: frozenset[str], wanted: frozenset[str]) -> list[ev.Event]:
    """From ``on_air`` to ``wanted``: what goes off first, then what comes on, in ``OVERLAYS`` order."""
    coming = [ev.OverlaySet(o, True) for o in OVERLAYS if o in wanted - on_air]
    return [*_take_off(o for o in on_air if o not in wanted), *coming]


def _take_off(overlays: Iterable[str]) -> list[ev.Event]:
    gone = set(overlays)
    return [ev.OverlaySet(o, False) for o in OVERLAYS if o in gone]


def show_lower_third(x: Ctx, cmd: c.ShowLowerThird) -> list[ev.Event]:
    """The strap for exactly one subject, put on air (an undo takes it back off)."""
    given = [key for key in ("team", "member", "judge") if getattr(cmd, key) is not None]
    guest = bool(clean(cmd.name))
    if len(given) + guest != 1:
        raise InvalidCommand("rule.lower_third_for_whom")
    strap = _strap(x, cmd, given[0] if given else "guest")
    if x.board.lower_third == strap and "lower_third" in x.board.on_air:
        raise RuleError("rule.lower_third_already_on")
    out: list[ev.Event] = [ev.LowerThirdSet(strap)]
    if "lower_third" not in x.board.on_air:
        out += [*_take_off(clashes("lower_third", x.board.on_air)), ev.OverlaySet("lower_third", True)]
    return out


def _strap(x: Ctx, cmd: c.ShowLowerThird, kind: str) -> Strap:
    if kind == "team":
        team = x.team(cmd.team or "")
        return Strap("team", team.name, team.unit, team.id, team.id)
    if kind == "member":
        for team in x.config.teams:
            for member in team.members:
                if member.id == cmd.member:
                    title = f"{member.role} — {team.name}" if member.role else team.name
                    return Strap("member", member.name, title, member.id, team.id)
        raise NotFound("rule.no_member", member=quote(cmd.member))
    if kind == "judge":
        judge = x.config.judge(cmd.judge or "")
        if judge is None:
            raise NotFound("rule.no_judge", judge=quote(cmd.judge))
        return Strap("judge", judge.name, judge.title, judge.id)
    return Strap("guest", _text(cmd.name, "name", NAME_MAX), _text(cmd.title, "title", TITLE_MAX))


def _text(raw: str, field: str, limit: int) -> str:
    text = clean(raw)
    if len(text) > limit:
        raise InvalidCommand("rule.too_long", field=field, limit=limit, count=len(text))
    return text
