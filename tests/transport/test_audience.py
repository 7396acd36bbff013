"""The audience at scale: one vote per phone per question, exact tallies after a burst, votes after the
close refused, a phone that reconnects keeps its vote, and limits against scripted stuffing."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from server.app import Settings
from server.show import ballot_box
from server.transport.namespaces import AudienceNamespace
from tests.transport.conftest import LiveShow, ViewClient, serve
from tests.transport.phones import RawPhone, crowd, phone_session
from tests.wording import vi

AUDIENCE_ROUND = 4  # "Khán giả cùng tham gia" in the demo show


async def open_question(live: LiveShow):
    producer = await live.producer()
    for event, payload in (("start_show", {}), ("goto_segment", {"index": AUDIENCE_ROUND}), ("show_question", {})):
        assert (await producer.call(event, payload))["ok"]
    assert (await producer.call("open_answers"))["ok"]
    return producer


async def tallied(live: LiveShow, total: int) -> None:
    """Wait for the tally the views show (votes alone reach them a few times a second)."""
    async with asyncio.timeout(2):
        while live.service.snapshot("public")["view"]["question"]["tally"]["total"] != total:
            await asyncio.sleep(0.05)


async def server_clock_passes(live: LiveShow, stamp: int) -> None:
    """Wait until the server's clock (ms) reads later than ``stamp``."""
    async with asyncio.timeout(10):
        while live.service.clock() <= stamp:
            await asyncio.sleep(0.001)


@pytest.fixture
async def hall(aiohttp_server, show_files) -> AsyncIterator[LiveShow]:
    """A live show whose phones all come from one address (a hall behind one NAT): the allowance raised."""
    config, db = show_files
    async with serve(aiohttp_server, Settings(config_path=config, db_path=db, phones_per_address=3000)) as show:
        yield show


def identity(client: ViewClient) -> str:
    """The identity the server issued a phone on connect (the page keeps it and presents it again)."""
    return next(data["device"] for name, data in client.events if name == "identity")


async def test_a_burst_of_thousands_of_votes_is_counted_exactly(hall: LiveShow) -> None:
    live = hall
    producer = await open_question(live)
    overlay = await live.overlay()
    patches_before = len(overlay.events)
    async with phone_session() as http:
        phones = await crowd(http, live.url, 2000)
        library = [await live.client("/audience", device=f"sio-phone-{n:03d}") for n in range(20)]
        options = {p.device: "ABCD"[n % 4] for n, p in enumerate(phones)}
        options |= {identity(c): "abcd"[n % 4] for n, c in enumerate(library)}  # letters are case-blind
        started = asyncio.get_running_loop().time()
        acks = await asyncio.gather(
            *(p.call("vote", {"option": options[p.device]}) for p in phones),
            *(c.call("vote", {"option": options[identity(c)]}) for c in library),
        )
        took = asyncio.get_running_loop().time() - started
        assert all(a["ok"] for a in acks), [a for a in acks if not a["ok"]][:3]
        expected = Counter(o.upper() for o in options.values())
        await overlay.wait_for(lambda: overlay.view["question"]["tally"]["total"] == 2020)
        assert overlay.view["question"]["tally"] == {"counts": dict(expected), "total": 2020}
        # Throttled: the overlay got a handful of tally patches, not one per vote.
        patches = sum(1 for name, _ in overlay.events[patches_before:] if name == "patch")
        assert patches <= 4 * took + 3, (patches, took)
        # The same counts survive closing, and a second vote from any phone is refused.
        assert (await producer.call("close_answers"))["ok"]
        again = await phones[0].call("vote", {"option": "B"})
        assert again["ok"] is False and again["error"]["code"] == "rule"
        for phone in phones:
            await phone.close()


async def test_one_vote_per_phone_per_question(live: LiveShow) -> None:
    await open_question(live)
    first = await live.client("/audience", device="phone-same-0001")
    second = await live.client("/audience", device=identity(first))  # the same phone, two tabs
    assert (await first.call("vote", {"option": "A", "nickname": "<b>Lan</b>"}))["ok"]
    refused = await second.call("vote", {"option": "B"})
    assert refused["error"] == {
        "code": "rule",
        "message": "this phone has already voted on this question",
        "key": "vote.already_voted",
        "params": {},
    }
    assert vi(refused["error"]) == "điện thoại này đã bình chọn câu hỏi này rồi"
    mine = await second.call("mine")
    assert mine["vote"]["option"] == "A" and mine["vote"]["nickname"] == "Lan"


async def test_votes_after_the_close_are_refused_and_votes_before_it_count(live: LiveShow, monkeypatch) -> None:
    producer = await open_question(live)
    early = await live.client("/audience", device="phone-early-001")
    late = await live.client("/audience", device="phone-late-0001")
    # The early vote reaches the server and waits for its batch (held back long enough) when the close comes.
    monkeypatch.setattr(ballot_box, "BATCH_EVERY", 30)
    queue = live.service.votes
    received = asyncio.Event()

    def cast(vote, cast=queue.cast):
        received.set()
        return cast(vote)

    monkeypatch.setattr(queue, "cast", cast)
    vote = asyncio.create_task(early.call("vote", {"option": "C"}))
    async with asyncio.timeout(10):
        await received.wait()
    assert not vote.done()  # received, still waiting for its batch
    assert (await producer.call("close_answers"))["ok"]
    assert (await vote)["ok"], "a vote received before the close counts"
    monkeypatch.undo()  # batches as usual again
    refused = await late.call("vote", {"option": "C"})
    assert refused["error"]["code"] == "rule" and refused["error"]["message"] == "voting is closed for this question"
    assert vi(refused["error"]) == "câu hỏi này đã đóng bình chọn"
    await tallied(live, 1)


async def test_a_phone_that_reconnects_keeps_its_vote(live: LiveShow) -> None:
    await open_question(live)
    phone = await live.client("/audience", device="phone-sleepy-01")
    assert (await phone.call("mine")) == {"ok": True, "poll": "kg-01#0", "vote": None}
    assert (await phone.call("vote", {"option": "D", "nickname": "Minh"}))["ok"]
    await phone.close()  # the phone sleeps, loses signal…
    back = await live.client("/audience", device=identity(phone))  # as the page keeps it
    assert not any(name == "identity" for name, _ in back.events)  # its own, verified: no new one
    mine = await back.call("mine")
    assert mine["poll"] == "kg-01#0" and mine["vote"]["option"] == "D"
    assert (await back.call("vote", {"option": "A"}))["ok"] is False


async def test_scripted_stuffing_from_one_address_is_limited(live: LiveShow, monkeypatch) -> None:
    monkeypatch.setattr(AudienceNamespace, "address_votes", (1.0, 5))
    await open_question(live)
    async with phone_session() as http:
        bots = await crowd(http, live.url, 10, prefix="bot")
        acks = [await bot.call("vote", {"option": "A"}) for bot in bots]
        assert [a["ok"] for a in acks].count(True) == 5
        assert {a["error"]["code"] for a in acks if not a["ok"]} == {"rate_limited"}
        await tallied(live, 5)
        for bot in bots:
            await bot.close()


async def test_too_many_joins_from_one_address_are_refused(live: LiveShow, monkeypatch) -> None:
    monkeypatch.setattr(AudienceNamespace, "address_joins", (0.1, 3))
    async with phone_session() as http:
        phones = [await RawPhone(http, live.url, f"joiner-{n:04d}").connect() for n in range(4)]
        assert all(name != "connect_error" for p in phones[:3] for name, _ in p.events)
        refusal = next(data for name, data in phones[3].events if name == "connect_error")
        assert refusal["data"]["code"] == "rate_limited"
        for phone in phones:
            await phone.close()


@pytest.mark.parametrize("winners", [3])
async def test_quickest_correct_answers_win_in_server_time_order(live: LiveShow, winners: int) -> None:
    producer = await open_question(live)
    phones = [await live.client("/audience", device=f"quiz-phone-{n:03d}") for n in range(5)]
    answer = live.service.config.questions["kg-01"].answer
    wrong = next(o for o in "ABCD" if o != answer)
    for n, phone in enumerate(phones):
        option = wrong if n == 1 else answer
        assert (await phone.call("vote", {"option": option, "nickname": f"Khán giả {n}"}))["ok"]
        await server_clock_passes(live, live.service.clock())  # the next vote: a later server time
    assert (await producer.call("close_answers"))["ok"]
    assert (await producer.call("reveal_answer"))["ok"]
    view = live.service.snapshot("audience")["view"]
    assert view["poll"]["winners"] == ["Khán giả 0", "Khán giả 2", "Khán giả 3"][:winners]
    assert view["poll"]["answer"] == answer
