"""obs-websocket's handshake as OBS may play it: an event ahead of the Identified it owes (seen from a
real OBS while the show switched its scene, tests/obs/test_obs.py) is let pass, and what is not the
handshake is still refused, saying what came instead. OBS cannot be made to race on cue, so a peer on
loopback plays its side of the protocol here."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from server.obs.client import ObsClient, ObsLost

SCENE_CHANGED = {"op": 5, "d": {"eventType": "CurrentProgramSceneChanged", "eventIntent": 4, "eventData": {}}}


async def obs_peer(aiohttp_server, before_identified: list[dict[str, Any]]):
    """An obs-websocket 5 peer: Hello, then ``before_identified``, then Identified; it answers every
    request with its name."""

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("obswebsocket.json",))
        await ws.prepare(request)
        await ws.send_json({"op": 0, "d": {"obsWebSocketVersion": "5.5.0", "rpcVersion": 1}})
        identify = json.loads((await ws.receive()).data)
        assert identify["op"] == 1 and identify["d"]["rpcVersion"] == 1
        for message in before_identified:
            await ws.send_json(message)
        await ws.send_json({"op": 2, "d": {"negotiatedRpcVersion": 1}})
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                break
            asked = json.loads(message.data)["d"]
            answer = {"requestType": asked["requestType"], "requestId": asked["requestId"]}
            status = {"result": True, "code": 100}
            data = {"currentProgramSceneName": asked["requestType"]}
            await ws.send_json({"op": 7, "d": {**answer, "requestStatus": status, "responseData": data}})
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    return await aiohttp_server(app, host="127.0.0.1")


async def test_an_event_ahead_of_identified_is_let_pass(aiohttp_server) -> None:
    server = await obs_peer(aiohttp_server, [SCENE_CHANGED, SCENE_CHANGED])
    client = ObsClient("127.0.0.1", server.port, None)
    try:
        await asyncio.to_thread(client.connect)
        answer = await asyncio.to_thread(client.call, "GetCurrentProgramScene")
        assert answer["currentProgramSceneName"] == "GetCurrentProgramScene"
    finally:
        await asyncio.to_thread(client.close)


async def test_what_is_not_the_handshake_is_refused_saying_what_came(aiohttp_server) -> None:
    server = await obs_peer(aiohttp_server, [{"op": 7, "d": {}}])
    client = ObsClient("127.0.0.1", server.port, None)
    with pytest.raises(ObsLost, match=r"Invalid Identified message \(op 7\)"):
        await asyncio.to_thread(client.connect)
