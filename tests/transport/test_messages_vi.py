"""Refusals and the producer's audit and undo labels reach clients as catalogue keys and parameters, which
read in Vietnamese as well as English (``message`` stays the English sentence)."""

from __future__ import annotations

from typing import Any

import aiohttp

from server import i18n
from tests.transport.conftest import LiveShow
from tests.transport.test_permissions import refusal


def vi(words: dict[str, Any] | None) -> str | None:
    """Words from the wire ({key, params}, or an error with both) as the Vietnamese page says them."""
    return None if words is None else i18n.render(words["key"], words["params"], "vi")


def en(words: dict[str, Any]) -> str:
    return i18n.render(words["key"], words["params"], "en")


async def test_an_error_ack_carries_the_vietnamese_message(live: LiveShow) -> None:
    producer = await live.producer()
    assert (await producer.call("start_show"))["ok"]
    reply = await producer.call("open_answers")
    assert reply["ok"] is False and set(reply["error"]) == {"code", "message", "key", "params"}
    assert reply["error"]["code"] == "phase"
    assert reply["error"]["message"] == en(reply["error"]) == "can't open answers while no question is on screen"
    assert vi(reply["error"]) == "không thể mở trả lời khi chưa có câu hỏi trên sóng"
    judge = await live.judge("gk-1")
    sheet = {"noi-dung": 8, "hinh-thuc": 4, "an-tuong": 4}
    reply = await judge.call("submit_scores", {"judge": "gk-2", "team": "tam-ky", "scores": sheet})
    assert reply["error"]["code"] == "forbidden"
    assert vi(reply["error"]) == "giám khảo chỉ được nhập điểm của chính mình"
    reply = await judge.call("submit_scores", {"team": "tam-ky", "scores": {**sheet, "noi-dung": 11}})
    assert vi(reply["error"]) == "scores.noi-dung: cần từ 0 đến 10, nhận được 11"
    # The transport's own refusals and the protocol's too.
    reply = await producer.call("no_such_command")
    assert reply["error"]["code"] == "unknown_event" and vi(reply["error"]).startswith("không có sự kiện")
    reply = await producer.call("goto_segment", {"index": "x"})
    assert vi(reply["error"]) == "goto_segment: index: cần `int | null`, nhận được `str`"
    reply = await producer.call("adjust_score", [1, 2])
    assert vi(reply["error"]) == "adjust_score: cần một đối tượng JSON, nhận được list"


async def test_http_errors_and_labels_carry_vietnamese(live: LiveShow) -> None:
    headers = {"Authorization": f"Bearer {live.token('producer')}"}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{live.url}/api/v1/commands/undo", headers=headers) as r:
            body = await r.json()
            assert r.status == 409 and vi(body["error"]) == "không có gì để hoàn tác"
        async with http.post(f"{live.url}/api/v1/commands/start_show") as r:
            body = await r.json()
            assert r.status == 401 and vi(body["error"]).startswith("hãy gửi mã truy cập")
        async with http.post(f"{live.url}/api/v1/commands/start_show", headers=headers) as r:
            body = await r.json()
            assert body == {**body, "ok": True, "label": "start the show"}
            assert vi(body["label_words"]) == "bắt đầu chương trình"


async def test_a_refused_connection_says_why_in_vietnamese(live: LiveShow) -> None:
    data = await refusal(live, "/control", {"token": "wrong"})
    assert data["data"]["code"] == "unauthorized"
    assert data["data"]["message"] == "the producer's token is missing or wrong"
    assert vi(data["data"]) == "mã truy cập của bàn điều khiển bị thiếu hoặc không đúng"


async def test_the_producer_view_has_audit_and_undo_labels_in_vietnamese(live: LiveShow) -> None:
    producer = await live.producer()
    assert producer.view["undo"] is None and producer.view["redo"] is None
    assert (await producer.call("start_show"))["ok"]
    body = {"team": "nam-tra-my", "points": -2.5, "reason": "vi phạm thời gian"}
    assert (await producer.call("adjust_score", body))["ok"]
    await producer.wait_for(lambda: len(producer.view["audit"]) == 2)
    entries = sorted(producer.view["audit"].items(), key=lambda item: int(item[0]))
    assert [(en(e["what"]), vi(e["what"])) for _, e in entries] == [
        ("start the show", "bắt đầu chương trình"),
        ("-2.5 to Đội Huyện Nam Trà My: vi phạm thời gian", "-2.5 điểm cho Đội Huyện Nam Trà My: vi phạm thời gian"),
    ]
    assert en(producer.view["undo"]) == "-2.5 to Đội Huyện Nam Trà My: vi phạm thời gian"
    assert vi(producer.view["undo"]) == "-2.5 điểm cho Đội Huyện Nam Trà My: vi phạm thời gian"

    assert (await producer.call("undo"))["ok"]
    await producer.wait_for(lambda: producer.view["redo"] is not None)
    assert vi(producer.view["redo"]) == "-2.5 điểm cho Đội Huyện Nam Trà My: vi phạm thời gian"
    assert vi(producer.view["undo"]) == "bắt đầu chương trình"
    latest = producer.view["audit"][str(live.service.revision)]
    assert vi(latest["what"]) == "hoàn tác: -2.5 điểm cho Đội Huyện Nam Trà My: vi phạm thời gian"
    assert producer.view["audit"]["2"]["undone"] is True


async def test_a_restarted_service_keeps_the_vietnamese_audit(live: LiveShow) -> None:
    from server.show.service import ShowService

    producer = await live.producer()
    assert (await producer.call("start_show"))["ok"]
    service = live.service
    again = ShowService(service.config, service.engine.log)
    audit = again.snapshot("producer")["view"]["audit"]
    assert vi(audit["1"]["what"]) == "bắt đầu chương trình"


async def test_the_audit_names_the_judge_not_the_id(live: LiveShow) -> None:
    producer = await live.producer()
    judge = await live.judge("gk-2")
    criteria = live.service.config.rundown[0].scoring.criteria
    assert (await producer.call("start_show"))["ok"]
    body = {"team": "tam-ky", "scores": {c.id: 4 for c in criteria}}
    assert (await judge.call("submit_scores", body))["ok"]
    await producer.wait_for(lambda: any(e["by"] == "judge:gk-2" for e in producer.view["audit"].values()))
    entry = next(e for e in producer.view["audit"].values() if e["by"] == "judge:gk-2")
    assert vi(entry["who"]) == "giám khảo Trần Thị Minh Thư" and en(entry["who"]) == "judge Trần Thị Minh Thư"
    assert vi(entry["what"]) == "giám khảo Trần Thị Minh Thư chấm Đội Thành phố Tam Kỳ: 12"
    assert "gk-2" not in en(entry["what"])
