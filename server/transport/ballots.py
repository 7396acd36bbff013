"""Where a phone's vote goes, as the /audience namespace sees it: ACKs from the show's answers."""

from __future__ import annotations

from typing import Any, Protocol

from server.core import commands as c
from server.show.ballot_box import Counted
from server.show.service import ShowService
from server.transport import protocol as p


class Ballots(Protocol):
    """This process's vote queue, or Redis shared by several (``server/transport/cluster.py``)."""

    async def cast(self, vote: c.Vote) -> dict[str, Any]: ...

    async def ballot_of(self, device: str) -> dict[str, Any]: ...


class LocalBallots:
    """One process: votes through the service's queue, a phone's ballot from the show state."""

    def __init__(self, service: ShowService) -> None:
        self.service = service

    async def cast(self, vote: c.Vote) -> dict[str, Any]:
        answer = await self.service.votes.cast(vote)
        if isinstance(answer, Counted):
            return p.ok(poll=answer.poll, option=answer.option, rev=answer.rev)
        return p.error_of(answer)

    async def ballot_of(self, device: str) -> dict[str, Any]:
        return self.service.ballot_of(device)
