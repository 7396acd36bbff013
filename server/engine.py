"""One show's engine: decide, commit to the log, then apply. The single writer of state."""

from __future__ import annotations

from server.core.commands import Command
from server.core.config import ShowConfig
from server.core.events import Action
from server.core.show import execute
from server.core.state import ShowState
from server.log.store import EventLog

SNAPSHOT_EVERY = 500


class Engine:
    """Runs commands for one show; the log has every action before the state shows it."""

    def __init__(self, config: ShowConfig, log: EventLog, snapshot_every: int = SNAPSHOT_EVERY) -> None:
        self.config = config
        self.log = log
        self.snapshot_every = snapshot_every
        self.state: ShowState = log.load(config.id)

    def run(self, command: Command) -> Action:
        """Execute a command; raises ``RuleError`` (nothing changes) or returns the committed action."""
        state, action = execute(self.config, self.state, command)
        self.log.append(self.config.id, action)
        self.state = state
        if action.seq % self.snapshot_every == 0:
            self.log.save_snapshot(self.config.id, state)
        return action
