"""One show's engine: decide, commit to the log, then apply. The single writer of state."""

from __future__ import annotations

from server.core.commands import Command
from server.core.config import ShowConfig
from server.core.events import Action
from server.core.show import execute
from server.core.state import ShowState
from server.core.votes import taking_votes
from server.log.store import EventLog

SNAPSHOT_EVERY = 500


class Engine:
    """Runs commands for one show; the log has every action before the state shows it."""

    def __init__(self, config: ShowConfig, log: EventLog, snapshot_every: int = SNAPSHOT_EVERY) -> None:
        self.config = config
        self.log = log
        self.snapshot_every = snapshot_every
        self.state: ShowState = log.load(config.id)
        self.snapshot_seq = self.state.seq  # the newest snapshot this engine saved (or started from)

    def run(self, command: Command, snapshot: bool = True) -> Action:
        """Execute a command; raises ``RuleError`` (nothing changes) or returns the committed action.
        With ``snapshot=False`` the caller calls ``snapshot_if_due`` when it suits it."""
        state, action = execute(self.config, self.state, command)
        self.log.append(self.config.id, action)
        self.state = state
        if snapshot:
            self.snapshot_if_due()
        return action

    def snapshot_if_due(self) -> bool:
        """Save a snapshot once ``snapshot_every`` actions have passed since the last one, but not while
        the audience votes: a snapshot's cost grows with the ballots, and the vote batches, hundreds a
        second, would each wait behind it. The one after the vote closes catches up."""
        if self.state.seq - self.snapshot_seq < self.snapshot_every or taking_votes(self.config, self.state):
            return False
        self.log.save_snapshot(self.config.id, self.state)
        self.snapshot_seq = self.state.seq
        return True
