"""Where a phone's vote goes, as the /audience namespace sees it: ACKs from the show's answers, and who
the phone is (``server/transport/identity.py``)."""

from __future__ import annotations

from typing import Any, Protocol

from server.core import commands as c
from server.show.ballot_box import Counted, VoteAnswer
from server.show.service import ShowService
from server.transport import protocol as p
from server.transport.identity import Phones


class Ballots(Protocol):
    """This process's vote queue, or the owner's through Redis (``server/transport/cluster.py``)."""

    phones: Phones

    async def cast(self, vote: c.Vote) -> dict[str, Any]: ...

    async def ballot_of(self, device: str) -> dict[str, Any]: ...


def ack_of(answer: VoteAnswer) -> dict[str, Any]:
    """A vote's ACK from the log's answer: counted (poll, option, rev) or refused with the reason."""
    if isinstance(answer, Counted):
        return p.ok(poll=answer.poll, option=answer.option, rev=answer.rev)
    return p.error_of(answer)


class LocalBallots:
    """One process: votes through the service's queue, a phone's ballot from the show state."""

    def __init__(self, service: ShowService, phones: Phones) -> None:
        self.service, self.phones = service, phones

    async def cast(self, vote: c.Vote) -> dict[str, Any]:
        return ack_of(await self.service.votes.cast(vote))

    async def ballot_of(self, device: str) -> dict[str, Any]:
        return self.service.ballot_of(device)
