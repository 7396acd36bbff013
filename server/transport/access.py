"""Who may connect as what: tokens for the producer, the host's screen, each judge and each team.

A token comes from the environment (``SHOWCALLER_TOKEN_PRODUCER``, ``SHOWCALLER_TOKEN_HOST``,
``SHOWCALLER_TOKEN_JUDGE_<ID>``, ``SHOWCALLER_TOKEN_TEAM_<ID>``; ids upper-cased with
``-`` as ``_``), else from the config's ``tokens`` section, else from the show database,
else it is generated on first start and kept there, so pads keep working across restarts.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping

from server.core.commands import Actor
from server.core.config import ShowConfig
from server.log.store import EventLog


def env_name(role: str, subject: str) -> str:
    suffix = f"_{subject.upper().replace('-', '_')}" if subject else ""
    return f"SHOWCALLER_TOKEN_{role.upper()}{suffix}"


class Access:
    def __init__(self, tokens: Mapping[tuple[str, str], str]) -> None:
        self.tokens = dict(tokens)
        self._by_token = {token: Actor(role, subject) for (role, subject), token in tokens.items()}

    def actor(self, token: object) -> Actor | None:
        """The actor a token stands for; None for a missing or unknown token."""
        if not isinstance(token, str) or not token:
            return None
        return self._by_token.get(token)

    def token(self, role: str, subject: str = "") -> str:
        return self.tokens[(role, subject)]


def load_access(config: ShowConfig, log: EventLog, env: Mapping[str, str] | None = None) -> Access:
    env = os.environ if env is None else env
    stored = log.tokens(config.id)
    wanted = [
        ("producer", ""),
        ("host", ""),
        *(("judge", j) for j in config.judge_ids),
        *(("team", t) for t in config.team_ids),
    ]
    tokens: dict[tuple[str, str], str] = {}
    for role, subject in wanted:
        key = f"{role}:{subject}" if subject else role
        token = env.get(env_name(role, subject)) or config.tokens.get(key) or stored.get((role, subject))
        if not token:
            token = secrets.token_urlsafe(12)
        if stored.get((role, subject)) != token:
            log.save_token(config.id, role, subject, token)
        tokens[(role, subject)] = token
    if len(set(tokens.values())) != len(tokens):
        raise ValueError("two roles were given the same token; every producer, host, judge and team token must differ")
    return Access(tokens)
