"""``/control``: the producer's desk. Commands to the show, plus OBS's studio-mode take and the
season's confirmations, which are not the show's commands."""

from __future__ import annotations

from typing import Any

from server.season.live import SeasonConfirm, SeasonCorrect
from server.transport import protocol as p
from server.transport.hub import Session
from server.transport.namespaces.role import RoleNamespace


class ControlNamespace(RoleNamespace):
    """The producer's namespace: every command, the OBS take and the season desk."""

    role = "control"
    rate, burst = 50.0, 100  # a producer, a Stream Deck macro or a script; not a flood

    token_role = "producer"
    wrong_token = "wire.wrong_token.producer"
    audience = "producer"

    async def handle(self, sid: str, session: Session, event: Any, payload: Any) -> dict[str, Any]:
        if event in (p.SEASON_CONFIRM, p.SEASON_CORRECT):
            return await self.season(event, payload)
        if event != p.OBS_TAKE:
            return await super().handle(sid, session, event, payload)
        obs = self.hub.obs
        if obs is None:
            return p.error("no_obs", "wire.no_obs")
        if not obs.settings.studio_mode:
            return p.error("no_studio_mode", "wire.no_studio_mode")
        obs.take()
        return p.ok()

    async def season(self, event: str, payload: Any) -> dict[str, Any]:
        """Confirm or correct a result in the season's book (a season's show only)."""
        desk = self.hub.season
        if desk is None:
            return p.error("no_season", "wire.no_season")
        if event == p.SEASON_CONFIRM:
            desk.confirm(p.parse_payload(event, payload, SeasonConfirm))
        else:
            desk.correct(p.parse_payload(event, payload, SeasonCorrect))
        await self.hub.publish()
        return p.ok()
