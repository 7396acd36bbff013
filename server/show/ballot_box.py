"""Audience votes in batches: they arrive one by one from thousands of phones and go into the log a
batch at a time (one command, one commit), so a burst costs a few commits a second, not one per vote.

Each vote is stamped with the time the server received it (the audience quiz ranks by it) and is
answered when its batch is committed: accepted, or refused with the reason. The show's other
commands first flush the votes waiting, so a vote received before the producer closed the poll
still counts. Tallies reach the views at most every ``TALLY_EVERY`` seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from msgspec import Struct

from server.core import commands as c
from server.core.config import ShowConfig
from server.core.context import Ctx
from server.core.errors import RuleError, ShowError
from server.core.events import Action
from server.core.state import ShowState
from server.core.votes import screen_votes

BATCH_EVERY = 0.002  # seconds a vote waits at most for its batch (small batches: no bursts of ACKs)
BATCH_MOST = 5000  # votes in one batch at most


class Counted(Struct, frozen=True):
    """A vote in the log: the poll it counts in, the option as counted, the log's revision."""

    poll: str | None
    option: str
    rev: int


VoteAnswer = Counted | ShowError  # a refusal says why


class VoteOwner(Protocol):
    """What the queue needs of the show's owner (``ShowService``)."""

    config: ShowConfig
    state: ShowState

    def clock(self) -> int: ...

    def run_votes(self, command: c.CastVotes) -> Action: ...


class VoteQueue:
    def __init__(self, service: VoteOwner) -> None:
        self.service = service
        self._waiting: list[tuple[c.Vote, asyncio.Future[VoteAnswer]]] = []
        self._due: asyncio.TimerHandle | None = None

    def cast(self, vote: c.Vote) -> asyncio.Future[VoteAnswer]:
        """Queue one vote; the future resolves once its batch is committed (or refused)."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[VoteAnswer] = loop.create_future()
        self._waiting.append((vote, answer))
        if len(self._waiting) >= BATCH_MOST:
            self.flush()
        elif self._due is None:
            self._due = loop.call_later(BATCH_EVERY, self.flush)
        return answer

    def flush(self) -> None:
        """Commit the waiting votes now, as one command, and answer each."""
        if self._due is not None:
            self._due.cancel()
            self._due = None
        batch, self._waiting = self._waiting, []
        if not batch:
            return
        answers = count(self.service, [vote for vote, _ in batch])
        for (_, future), answer in zip(batch, answers, strict=True):
            if not future.done():
                future.set_result(answer)


def count(service: VoteOwner, votes: Sequence[c.Vote]) -> list[VoteAnswer]:
    """Commit ``votes`` as one command; each vote's answer, in order (a cluster's owner counts the
    votes queued in Redis with it too, so every process's phones hear the log's answer)."""
    command = c.CastVotes(at=service.clock(), by=c.AUDIENCE, votes=tuple(votes))
    try:
        _, accepted, refused = screen_votes(Ctx(service.config, service.state, command), command.votes)
        action = service.run_votes(command)
    except ShowError as exc:  # no poll open, the show not live, the log refused: every vote alike
        return [exc] * len(command.votes)
    poll = next((e.poll for e in action.events if hasattr(e, "poll")), None)
    why = {id(vote): reason for vote, reason in refused}
    taken = iter(accepted)  # screen_votes keeps the order; accepted votes come back cleaned
    answers: list[VoteAnswer] = []
    for vote in command.votes:
        reason = why.get(id(vote))
        if reason is not None:
            answers.append(RuleError(reason.key, **reason.params))
        else:
            answers.append(Counted(poll, next(taken).option, action.seq))
    return answers
