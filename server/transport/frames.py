"""Every frame a client sends gets an answer or a reasoned disconnect, and a flood of bad ones one log line.

python-socketio decodes a frame and then trusts its shape: ``42/overlay,{}`` (an event that is not a
list), ``42/control,5[]`` (no event name), nesting too deep for the JSON parser, or a binary placeholder
whose attachment never comes each raise inside the library, which logs a traceback and answers
nothing, so the client waits for an ACK forever. ``GuardedServer`` decodes the frame itself, answers a
malformed event ``bad_request`` on its ACK id, charges it to the connection's allowance of bad frames
(past it the connection is told why and closed), and logs a connection's bad frames as one counted line
at most every ``SUMMARY_EVERY`` seconds.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

import msgspec
import socketio
from socketio import packet

from server.core.words import Words
from server.transport import protocol as p
from server.transport.limits import TokenBucket, network_address
from server.transport.sockets import end

log = logging.getLogger(__name__)

# type, [attachments "-"], ["/namespace" ","], [ack id]: how much of a frame's head is readable
_HEAD = re.compile(r"(\d)(?:\d+-)?(?:(/[^,]*),)?(\d{1,15})?")
MALFORMED_RATE, MALFORMED_BURST = 2.0, 20  # bad frames a connection may send: a buggy client, not a flood
SUMMARY_EVERY = 10.0  # seconds between log lines about one connection's bad frames


class _Bad(Exception):
    """A frame that is not an event we can hear, and why (catalogue key and parameters)."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.words = Words(key, params)


MAX_DIGITS = 100  # python-engineio's own limit on a JSON integer's digits


def _integer(digits: str) -> int:
    if len(digits) > MAX_DIGITS:
        raise _Bad("wire.frame_number_too_large", digits=MAX_DIGITS)
    return int(digits)


_encode = msgspec.json.Encoder().encode


class _FrameJson:
    """The JSON frames are read with (the library's limits, saying which one a frame broke) and written
    with: compact, text as UTF-8 rather than ``\\u`` escapes (a score's patch to the overlays, full of
    Vietnamese names, 1,286 bytes instead of 1,584), by msgspec; a string no UTF-8 can carry (a lone
    surrogate) is escaped as before."""

    @staticmethod
    def dumps(data: Any, **_: Any) -> str:
        try:
            return _encode(data).decode()
        except UnicodeEncodeError:
            return json.dumps(data, separators=(",", ":"))

    @staticmethod
    def loads(text: str | bytes, **kwargs: Any) -> Any:
        return json.loads(text, parse_int=_integer, **kwargs)


class _Packet(packet.Packet):
    json = _FrameJson


class _Refused(_Bad):
    """A well-formed frame the protocol does not take: answered, not charged as malformed."""


class _Ignored(Exception):
    """A frame to drop without a word (the binary parts of a refused event)."""


class _Strikes:
    """One connection's malformed frames: its allowance and what is still to be logged."""

    __slots__ = ("bucket", "logged_at", "unlogged")

    def __init__(self) -> None:
        self.bucket = TokenBucket(MALFORMED_RATE, MALFORMED_BURST)
        self.logged_at = -SUMMARY_EVERY
        self.unlogged = 0


class GuardedServer(socketio.AsyncServer):
    """python-socketio's server, hearing only well-formed events and answering every other frame."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.packet_class = _Packet
        self.strikes: dict[str, _Strikes] = {}
        self.attachments: dict[str, int] = {}  # binary parts still to come of refused binary events

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        try:
            pkt = self._decode(eio_sid, data)
        except _Ignored:
            return
        except _Refused as refused:
            await self._answer(eio_sid, data, "bad_request", refused.words)
            return
        except _Bad as bad:
            await self._malformed(eio_sid, data, bad.words)
            return
        kind, namespace = pkt.packet_type, pkt.namespace
        if kind == packet.EVENT:
            sid = self.manager.sid_from_eio_sid(eio_sid, namespace or "/")
            if not sid:  # the library would drop it unanswered
                await self._malformed(eio_sid, data, Words("wire.not_connected", {}), "unauthorized")
                return
            await self._event(eio_sid, sid, namespace or "/", pkt)
        elif kind == packet.CONNECT:
            await self._handle_connect(eio_sid, namespace, pkt.data)
        elif kind == packet.DISCONNECT:
            await self._handle_disconnect(eio_sid, namespace, self.reason.CLIENT_DISCONNECT)
        else:
            await self._handle_ack(eio_sid, namespace, pkt.id, pkt.data)

    async def _event(self, eio_sid: str, sid: str, namespace: str, pkt: packet.Packet) -> None:
        """An event to a namespace of ours, handed to it and answered on its ACK id, as python-socketio's
        ``_handle_event`` does with handlers not run as tasks, without its layers (a log line, two lookups
        and three coroutines an event): a producer's command reaches the rules sooner. An event with a
        handler of the server's own (``sio.on``) goes the library's way."""
        handler = self.namespace_handlers.get(namespace)
        if handler is None or namespace in self.handlers or self.async_handlers:
            await self._handle_event(eio_sid, namespace, pkt.id, pkt.data)
            return
        if not self.manager.is_connected(sid, namespace):  # leaving: the library drops it too
            return
        answer = await handler.trigger_event(pkt.data[0], sid, *pkt.data[1:])
        if answer != self.not_handled and pkt.id is not None:
            data = [] if answer is None else list(answer) if isinstance(answer, tuple) else [answer]
            await self._send_packet(eio_sid, self.packet_class(packet.ACK, namespace=namespace, id=pkt.id, data=data))

    def _decode(self, eio_sid: str, data: Any) -> packet.Packet:
        if not isinstance(data, str):
            if self.attachments.get(eio_sid):  # the parts of a binary event already refused
                self.attachments[eio_sid] -= 1
                raise _Ignored
            raise _Bad("wire.frame_binary")
        try:
            pkt = self.packet_class(encoded_packet=data)
        except _Bad:
            raise
        except RecursionError:
            raise _Bad("wire.frame_too_deep") from None
        except Exception:  # the library's parser raises what it meets: say what was wrong with the frame
            raise _Bad("wire.frame_not_json") from None
        if pkt.packet_type in (packet.BINARY_EVENT, packet.BINARY_ACK):
            # Our protocol is JSON: refused at once (a client that never sends the parts is answered
            # too); the parts that follow are dropped as they come.
            self.attachments[eio_sid] = self.attachments.get(eio_sid, 0) + pkt.attachment_count
            raise _Refused("wire.payload_binary")
        if pkt.packet_type == packet.EVENT and not (isinstance(pkt.data, list) and pkt.data):
            raise _Bad("wire.frame_not_event")
        if pkt.packet_type not in (packet.EVENT, packet.CONNECT, packet.DISCONNECT, packet.ACK):
            raise _Bad("wire.frame_unknown")
        return pkt

    async def _malformed(self, eio_sid: str, data: Any, words: Words, code: str = "bad_request") -> None:
        """Answer a bad frame on its ACK id if it has one, charge it, and log it at most once a while."""
        if eio_sid not in self.eio.sockets:  # frames still arriving from a connection already cut off
            return
        strikes = self.strikes.get(eio_sid)
        if strikes is None:
            strikes = self.strikes[eio_sid] = _Strikes()
        head = _HEAD.match(data) if isinstance(data, str) else None
        namespace = (head.group(2) if head else None) or "/"
        within = strikes.bucket.take()
        strikes.unlogged += 1
        now = time.monotonic()
        if not within or now - strikes.logged_at >= SUMMARY_EVERY:
            why = "cut off" if not within else f"answered {code}"
            log.warning(
                "%d malformed frame(s) from %s on %s (%s), %s",
                strikes.unlogged,
                network_address(self.environ.get(eio_sid, {})) or "?",
                namespace,
                words.key,
                why,
            )
            strikes.logged_at, strikes.unlogged = now, 0
        if not within:
            await self._cut_off(eio_sid)
            return
        if head is not None and (code == "unauthorized" or self.manager.sid_from_eio_sid(eio_sid, namespace)):
            await self._answer(eio_sid, data, code, words)

    async def _answer(self, eio_sid: str, data: str, code: str, words: Words) -> None:
        """The error ACK of an event frame, if it asked for one (it has an ACK id)."""
        head = _HEAD.match(data)
        if head is None or head.group(1) not in ("2", "5") or head.group(3) is None:
            return
        answer = p.error(code, words.key, **words.params)
        reply = self.packet_class(packet.ACK, namespace=head.group(2) or "/", id=int(head.group(3)), data=[answer])
        await self._send_packet(eio_sid, reply)

    async def _cut_off(self, eio_sid: str) -> None:
        """Close a connection past its allowance of bad frames, telling it why first."""
        refusal = p.refusal("rate_limited", Words("wire.frames_limited", {}))
        for namespace in list(self.manager.get_namespaces()):
            sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
            if sid is not None and self.manager.is_connected(sid, namespace):
                await self._send_packet(
                    eio_sid, self.packet_class(packet.EVENT, namespace=namespace, data=[p.DISCONNECTING, refusal])
                )
        socket = self.eio.sockets[eio_sid]
        await self.eio.disconnect(eio_sid)  # socket.io's and engine.io's goodbyes
        await end(socket)  # and the websocket closes even if the client ignores them

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any) -> None:
        self.strikes.pop(eio_sid, None)
        self.attachments.pop(eio_sid, None)
        await super()._handle_eio_disconnect(eio_sid, reason)
