"""Audience votes: one per device per question, only while a vote is open."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from server.core import commands as c
from server.core import events as ev
from server.core.config import ShowConfig
from server.core.context import Ctx
from server.core.errors import RuleError
from server.core.rounds import round_of
from server.core.state import ShowState
from server.core.text import clean
from server.core.words import Words, say

NICKNAME_MAX = 24
DEVICE_MAX = 64


def clean_nickname(raw: str) -> str:
    """Strip markup and control characters, fold spaces, cut to the length limit."""
    return clean(raw)[:NICKNAME_MAX].rstrip()


Reason = Words  # why a vote was refused
ALREADY_VOTED: Reason = say("vote.already_voted")
NOT_OPEN: Reason = say("vote.not_open")


def open_poll(x: Ctx) -> tuple[str, tuple[str, ...], int | None, int | None]:
    """The ballot box taking votes now, its options, opening and closing time; or a RuleError."""
    question = x.board.question
    if x.board.segment < 0:
        raise RuleError(NOT_OPEN.key)
    segment = x.segment()
    poll = round_of(segment).open_poll(x, segment, question)
    if poll is not None:
        return poll
    raise RuleError(NOT_OPEN.key)


def taking_votes(config: ShowConfig, state: ShowState) -> bool:
    """Whether a ballot box is open: phones may be sending hundreds of votes a second."""
    try:
        open_poll(Ctx(config, state, c.CastVotes(at=0, by=c.AUDIENCE, votes=())))
    except RuleError:
        return False
    return True


def choice(option: str, options: Collection[str]) -> str:
    """The option a vote names: letters are case-blind ("a" is A); team ids are taken as written."""
    return option.upper() if option.upper() in options else option


def unknown_option(option: str, options: Iterable[str]) -> Reason:
    choices = ", ".join(options)
    return say("vote.unknown_option", option=option[:10], choices=choices)


def screen_votes(x: Ctx, votes: tuple[c.Vote, ...]) -> tuple[str, list[c.Vote], list[tuple[c.Vote, Reason]]]:
    """Split a batch into accepted votes (cleaned) and refused ones with the reason."""
    key, options, opened_at, deadline = open_poll(x)
    box = x.state.ballots.get(key, {})
    accepted: list[c.Vote] = []
    refused: list[tuple[c.Vote, Reason]] = []
    seen: set[str] = set()
    for vote in votes:
        reason: Reason | None = None
        option = choice(vote.option, options)
        if not vote.device or len(vote.device) > DEVICE_MAX:
            reason = say("vote.bad_device")
        elif option not in options:
            reason = unknown_option(vote.option, options)
        elif vote.device in box or vote.device in seen:
            reason = ALREADY_VOTED
        elif deadline is not None and vote.at >= deadline:
            reason = say("vote.too_late")
        elif opened_at is not None and vote.at < opened_at:
            reason = say("vote.too_early")
        if reason:
            refused.append((vote, reason))
        else:
            seen.add(vote.device)
            accepted.append(c.Vote(vote.device, option, vote.at, clean_nickname(vote.nickname)))
    return key, accepted, refused


def cast_votes(x: Ctx, cmd: c.CastVotes) -> list[ev.Event]:
    if cmd.by.role not in ("audience", "producer", "system"):
        raise RuleError("vote.audience_only")
    key, accepted, refused = screen_votes(x, cmd.votes)
    if not accepted:
        if refused:
            reason = refused[0][1]
            raise RuleError(reason.key, **reason.params)
        raise RuleError("vote.none_given")
    return [ev.VotesCast(key, tuple(accepted))]
