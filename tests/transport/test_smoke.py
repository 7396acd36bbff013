from __future__ import annotations


async def test_connect_and_command(live) -> None:
    producer = await live.producer()
    overlay = await live.overlay()
    assert producer.view["phase"] == "setup"
    reply = await producer.call("start_show", {})
    assert reply == {"ok": True, "rev": 1}
    await overlay.wait_for(lambda: overlay.rev == 1)
    assert overlay.view["phase"] == "live"
