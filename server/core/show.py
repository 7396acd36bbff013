"""Running a show in memory: decide, label, apply. The service adds the log around it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from server.core.apply import apply_action
from server.core.audit import words_for
from server.core.commands import AnyCommand, Command
from server.core.config import ShowConfig
from server.core.decide import decide
from server.core.events import Action, AnyEvent
from server.core.state import ShowState


def execute(config: ShowConfig, state: ShowState, command: Command) -> tuple[ShowState, Action]:
    """Decide a command and apply it: the new state and the action to log."""
    events = decide(config, state, command)
    words = words_for(config, state, command)
    # ``decide`` answers the command's own events: the log's unions are what they decode to.
    action = Action(
        state.seq + 1,
        cast(AnyCommand, command),
        cast(tuple[AnyEvent, ...], tuple(events)),
        words.text("en"),
        words=words,
    )
    return apply_action(state, action), action


def replay(actions: Iterable[Action], state: ShowState | None = None) -> ShowState:
    """Fold logged actions into a state (from scratch, or on top of a snapshot)."""
    state = state or ShowState()
    for action in actions:
        state = apply_action(state, action)
    return state
