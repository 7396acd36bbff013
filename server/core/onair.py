"""What is on air: overlays shown or hidden, and the name strap (lower third) they show."""

from __future__ import annotations

from server.core import commands as c
from server.core import events as ev
from server.core.config import OVERLAY_NAMES_VI, OVERLAYS
from server.core.context import Ctx
from server.core.errors import InvalidCommand, NotFound, RuleError, quote
from server.core.state import Strap
from server.core.text import clean

NAME_MAX = 80
TITLE_MAX = 160


def set_overlay(x: Ctx, cmd: c.SetOverlay) -> list[ev.Event]:
    if cmd.overlay not in OVERLAYS:
        raise InvalidCommand(
            f"overlay: expected one of {', '.join(OVERLAYS)}, got '{quote(cmd.overlay)}'",
            vi=f"overlay: cần một trong {', '.join(OVERLAYS)}, nhận được '{quote(cmd.overlay)}'",
        )
    if (cmd.overlay in x.board.on_air) == cmd.visible:
        name_vi = OVERLAY_NAMES_VI[cmd.overlay]
        raise RuleError(
            f"the {cmd.overlay} overlay is already {'on' if cmd.visible else 'off'} air",
            vi=f"overlay {name_vi} {'đang ở trên sóng' if cmd.visible else 'đã tắt'} rồi",
        )
    return [ev.OverlaySet(cmd.overlay, cmd.visible)]


def show_lower_third(x: Ctx, cmd: c.ShowLowerThird) -> list[ev.Event]:
    """The strap for exactly one subject, put on air (an undo takes it back off)."""
    given = [key for key in ("team", "member", "judge") if getattr(cmd, key) is not None]
    guest = bool(clean(cmd.name))
    if len(given) + guest != 1:
        raise InvalidCommand(
            "say who the lower third is for: one of team, member, judge, or a guest's name",
            vi="hãy chọn đúng một đội, thành viên, giám khảo hoặc tên khách mời để giới thiệu",
        )
    strap = _strap(x, cmd, given[0] if given else "guest")
    if x.board.lower_third == strap and "lower_third" in x.board.on_air:
        raise RuleError("that lower third is already on air", vi="dòng giới thiệu này đang ở trên sóng rồi")
    out: list[ev.Event] = [ev.LowerThirdSet(strap)]
    if "lower_third" not in x.board.on_air:
        out.append(ev.OverlaySet("lower_third", True))
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
        raise NotFound(
            f"there is no team member '{quote(cmd.member)}'", vi=f"không có thành viên '{quote(cmd.member)}'"
        )
    if kind == "judge":
        judge = next((j for j in x.config.judges if j.id == cmd.judge), None)
        if judge is None:
            raise NotFound(f"there is no judge '{quote(cmd.judge)}'", vi=f"không có giám khảo '{quote(cmd.judge)}'")
        return Strap("judge", judge.name, judge.title, judge.id)
    return Strap("guest", _text(cmd.name, "name", NAME_MAX), _text(cmd.title, "title", TITLE_MAX))


def _text(raw: str, field: str, limit: int) -> str:
    text = clean(raw)
    if len(text) > limit:
        raise InvalidCommand(
            f"{field}: at most {limit} characters, got {len(text)}",
            vi=f"{field}: tối đa {limit} ký tự, nhận được {len(text)}",
        )
    return text
