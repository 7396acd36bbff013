"""One connection to OBS (obs-websocket v5 through obs-websocket-py), with short timeouts.

obs-websocket-py is synchronous and threaded: use this from a worker thread, never from the event
loop. Its handshake has no timeout (a frozen OBS would hang it) and a failed request does not
raise; here both become exceptions: ``ObsLost`` (the connection is gone or OBS does not answer)
and ``ObsRefused`` (OBS answered no). The handshake is ours (``_identify``): the library's takes an
event that OBS sends ahead of its Identified for a refusal.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import websocket
from obswebsocket import obsws, requests
from obswebsocket.core import RecvThread
from obswebsocket.exceptions import ConnectionFailure, MessageTimeout

from server.core.words import Words, both, say

log = logging.getLogger(__name__)

TIMEOUT = 2.0  # seconds; a frozen OBS must not hold the show's OBS worker for long
_LOST = (OSError, websocket.WebSocketException, MessageTimeout, ConnectionFailure, ValueError, KeyError)


class _Receiver(RecvThread):
    """obs-websocket-py's receive thread, without its traceback when OBS goes away mid-read: a reset
    connection is OBS gone, which the next request notices (ObsLost) and the link reconnects."""

    def run(self) -> None:
        try:
            super().run()
        except OSError as exc:
            log.info("OBS: the connection closed (%s)", exc)


class ObsError(Exception):
    """Something about OBS, in words for the producer: a catalogue key and its parameters."""

    def __init__(self, key: str, /, **params: Any) -> None:
        self.words = Words(key, params)
        self.message = self.words.text("en")
        super().__init__(self.message)


class ObsLost(ObsError):
    """No connection, or OBS did not answer in time."""


class ObsRefused(ObsError):
    """OBS answered a request with a failure."""


class ObsClient:
    def __init__(
        self,
        host: str,
        port: int,
        password: str | None,
        timeout: float = TIMEOUT,
        on_event: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.address = f"{host}:{port}"
        self.timeout = timeout
        self.ws = obsws(host, port, password or "", legacy=False, timeout=timeout)
        if on_event is not None:
            self.ws.register(lambda event: on_event(event.name, dict(event.datain)))

    def connect(self) -> None:
        ws = self.ws
        try:
            ws.ws = websocket.WebSocket()
            ws.ws.connect(f"ws://{self.address}", timeout=self.timeout)
            _identify(ws, self.timeout)
            ws.ws.settimeout(None)  # the receive thread blocks; requests have their own timeout
        except _LOST as exc:
            self._drop()
            raise ObsLost("obs.unreachable", address=self.address, why=_words(exc)) from None
        ws.thread_recv = _Receiver(ws)
        ws.thread_recv.daemon = True
        ws.thread_recv.start()

    def call(self, request: str, **fields: Any) -> dict[str, Any]:
        """Send one request; its response data, or ObsLost / ObsRefused."""
        if self.ws.ws is None or not self.ws.ws.connected:
            raise ObsLost("obs.not_connected")
        try:
            response = self.ws.call(getattr(requests, request)(**fields))
        except _LOST as exc:
            raise ObsLost("obs.no_answer", request=request, why=_words(exc)) from None
        if not response.status:
            shown = ", ".join(f"{k}={v!r}" for k, v in fields.items())
            raise ObsRefused("obs.refused", request=request, fields=shown)
        return dict(response.datain)

    def close(self) -> None:
        self._drop()

    def _drop(self) -> None:
        ws = self.ws
        if ws.thread_recv is not None:
            ws.thread_recv.running = False
        if ws.ws is not None:
            try:
                ws.ws.close(timeout=0.2)
            except Exception:  # closing a dead socket may fail in many ways; it is gone either way
                log.debug("closing the OBS socket", exc_info=True)
        ws.thread_recv = None


HELLO, IDENTIFY, IDENTIFIED, EVENT = 0, 1, 2, 5  # obs-websocket 5's opcodes
ALL_EVENTS = 1023  # EventSubscription::All (the high-volume ones excepted)


def _identify(ws: obsws, timeout: float) -> None:
    """obs-websocket's handshake: Hello, Identify, Identified. OBS may send an event before the
    Identified it owes (its session counts as identified before that message leaves, and an event
    raised meanwhile goes out first: seen while the show switched OBS's scene); such an event is let
    pass. The link reads OBS's state once connected, so nothing it said is missed."""
    hello = json.loads(ws.ws.recv())
    if hello.get("op") != HELLO:
        raise ConnectionFailure(hello.get("error", "Invalid Hello message."))
    ws.server_version = hello["d"].get("obsWebSocketVersion")
    challenge = hello["d"].get("authentication")
    auth = ws._build_auth_string(challenge["salt"], challenge["challenge"]) if challenge else ""
    identify = {"rpcVersion": 1, "authentication": auth, "eventSubscriptions": ALL_EVENTS}
    ws.ws.send(json.dumps({"op": IDENTIFY, "d": identify}))
    deadline = time.monotonic() + timeout
    while True:
        message = ws.ws.recv()
        if not message:
            raise ConnectionFailure("Empty response to Identify, password may be incorrect.")
        reply = json.loads(message)
        if reply.get("op") == IDENTIFIED:
            if reply["d"].get("negotiatedRpcVersion") != 1:
                raise ConnectionFailure("Invalid RPC version negotiated.")
            return
        if reply.get("op") != EVENT or time.monotonic() > deadline:
            raise ConnectionFailure(reply.get("error", f"Invalid Identified message (op {reply.get('op')})."))


def _words(exc: BaseException) -> Words:
    if isinstance(exc, MessageTimeout | TimeoutError | websocket.WebSocketTimeoutException):
        return say("obs.frozen")
    if isinstance(exc, ConnectionRefusedError):
        return say("obs.connection_refused")
    text = str(exc).strip()
    return both(text or type(exc).__name__)  # the library's own words, as it said them
