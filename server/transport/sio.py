"""Socket.IO adapters: one namespace per role. They check who is talking and what they sent,
hand commands to the service, and answer every event with an ACK. No rules live here."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import engineio
import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet
from socketio.async_pubsub_manager import AsyncPubSubManager

from server.core import commands as c
from server.core.errors import ShowError
from server.obs.link import ObsLink
from server.season.live import SeasonConfirm, SeasonCorrect, SeasonDesk
from server.show.service import ShowService, Update
from server.transport import protocol as p
from server.transport.access import Access
from server.transport.ballots import Ballots

log = logging.getLogger(__name__)

# Which view each namespace's clients get, and so which room they sit in.
PUBLIC_NAMESPACES = ("overlay", "team")
PRESENCE_EVERY = 0.25  # seconds; thousands of phones joining must not flood the controllers
FREEZE_AFTER = 2.0  # seconds of quiet after a wave of joins before the new connections are frozen
FREEZE_WAVE = 200  # connections that make a wave worth freezing
MONITOR = "monitor"  # an /overlay connection that is a controller's program monitor
SEND_CHUNK = 500  # connections a broadcast queues on before it lets the event loop run other work


class TokenBucket:
    """At most ``rate`` events a second on average, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class Session:
    __slots__ = ("actor", "audience", "bucket", "device")

    def __init__(self, actor: c.Actor, audience: str, bucket: TokenBucket, device: str = "") -> None:
        self.actor, self.audience, self.bucket, self.device = actor, audience, bucket, device


class Hub:
    """What the namespaces share: the service, the tokens, who is connected."""

    def __init__(self, sio: socketio.AsyncServer, service: ShowService, access: Access, ballots: Ballots) -> None:
        self.sio = sio
        self.service = service
        self.access = access
        self.ballots = ballots
        self.sessions: dict[tuple[str, str], Session] = {}
        self.team_pads: dict[str, str] = {}  # team -> sid of its pad
        self.pending: deque[list[Update]] = deque()  # view updates not yet sent, oldest first
        self._pending = asyncio.Event()
        self._emitting = asyncio.Lock()
        self._presence_due: asyncio.TimerHandle | None = None
        self._presence_task: asyncio.Task | None = None
        self.obs: ObsLink | None = None
        self.season: SeasonDesk | None = None  # a season's show: its standings, bracket, next line-ups
        # A cluster's owner first writes the snapshots the other processes serve (server/transport/cluster.py).
        self.before_emit: Callable[[list[Update]], Awaitable[None]] | None = None
        self._joins, self._last_join = 0, 0.0
        self._freeze_due: asyncio.TimerHandle | None = None

    def updated(self, updates: list[Update]) -> None:
        """The service's listener: queue a batch of view updates for ``publish_forever``."""
        self.pending.append(updates)
        self._pending.set()

    async def publish_forever(self) -> None:
        """Send the updates that commands did not send themselves (timer expiry, vote tallies)."""
        while True:
            await self._pending.wait()
            self._pending.clear()
            await self.publish()

    async def publish(self) -> None:
        """Send every queued batch of view updates to the rooms that watch them, in order.

        A command's handler calls this before its reply, so its patches leave in the same turn of
        the event loop instead of waiting for ``publish_forever`` behind the audience's traffic."""
        async with self._emitting:
            while self.pending:
                updates = self.pending.popleft()
                if self.before_emit is not None:
                    await self.before_emit(updates)
                for update in updates:
                    message = {"rev": update.rev, "base": update.base, "patch": update.patch}
                    for namespace, room in _rooms(update.audience):
                        await self.send(p.PATCH, message, room, namespace)

    async def send(self, event: str, data: Any, room: str, namespace: str) -> None:
        """Emit ``event`` to a room. A cluster's emits go through Redis to every process (python-socketio's
        emit); the producer's and the judges' rooms are on the owner alone. Otherwise the packet is queued
        on each connection's socket right now: python-socketio's emit gives every recipient a task of its
        own and waits for them all, turns of the event loop behind thousands of phones' votes before an
        overlay's first byte leaves. A big room yields between chunks, so a question pushed to every
        phone does not hold up the desk's own traffic."""
        if isinstance(self.sio.manager, AsyncPubSubManager) and namespace not in ("/control", "/host", "/judge"):
            await self.sio.emit(event, data, to=room, namespace=namespace)
            return
        # Views are JSON: no binary parts to look for (python-socketio walks the whole patch otherwise).
        encoded = self.sio.packet_class(
            sio_packet.EVENT, namespace=namespace, data=[event, data], binary=False
        ).encode()
        frame = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        for n, (_, eio_sid) in enumerate(list(self.sio.manager.get_participants(namespace, room))):
            if n and n % SEND_CHUNK == 0:
                await asyncio.sleep(0)
            with contextlib.suppress(engineio.exceptions.EngineIOError):  # it left meanwhile
                await self.sio.eio.send_packet(eio_sid, frame)

    def joined(self) -> None:
        """A connection joined. After a wave of them (a hall scanning the QR code), once it is quiet,
        move everything alive into the garbage collector's permanent generation: thousands of
        connections' objects are then no longer re-scanned by every collection (pauses of hundreds of
        milliseconds at 5,000 phones otherwise; app.py froze the startup heap the same way)."""
        self._joins += 1
        self._last_join = time.monotonic()
        if self._freeze_due is None:
            self._freeze_due = asyncio.get_running_loop().call_later(FREEZE_AFTER, self._freeze)

    def _freeze(self) -> None:
        self._freeze_due = None
        quiet = time.monotonic() - self._last_join
        if quiet < FREEZE_AFTER / 2:
            self._freeze_due = asyncio.get_running_loop().call_later(FREEZE_AFTER - quiet, self._freeze)
        elif self._joins >= FREEZE_WAVE:
            self._joins = 0
            gc.freeze()

    def presence(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        judges: set[str] = set()
        for (ns, _), session in self.sessions.items():
            ns = "monitor" if session.device == MONITOR and ns == "overlay" else ns
            counts[ns] = counts.get(ns, 0) + 1
            if ns == "judge":
                judges.add(session.actor.id)
        return {
            "teams": sorted(self.team_pads),
            "judges": sorted(judges),
            "overlays": counts.get("overlay", 0),
            "monitors": counts.get("monitor", 0),
            "audience": counts.get("audience", 0),
            "controllers": counts.get("control", 0),
            "obs": self.obs.status() if self.obs is not None else {"configured": False},
        }

    def presence_changed(self) -> None:
        """Tell the controllers who is connected (and how OBS is), at most every PRESENCE_EVERY seconds."""
        if self._presence_due is None:
            self._presence_due = asyncio.get_running_loop().call_later(PRESENCE_EVERY, self._send_presence)

    def _send_presence(self) -> None:
        self._presence_due = None
        self._presence_task = asyncio.get_running_loop().create_task(
            self.sio.emit(p.PRESENCE, self.presence(), to="producer", namespace="/control", ignore_queue=True)
        )


class RoleNamespace(socketio.AsyncNamespace):
    role = ""
    rate, burst = 10.0, 30
    max_payload = p.MAX_PAYLOAD

    def __init__(self, hub: Hub) -> None:
        super().__init__(f"/{self.role}")
        self.hub = hub

    # -- connection -----------------------------------------------------------------------

    # A namespace for the holders of one kind of token: the access role it takes, and its refusal's words.
    token_role = ""
    wrong_token: tuple[str, str] = ("", "")

    def authenticate(self, auth: Any) -> tuple[c.Actor, str]:
        """(actor, audience) for this connection, or raise ConnectionRefusedError."""
        actor = self.hub.access.actor(auth.get("token"))
        if actor is None or actor.role != self.token_role:
            raise self.refuse("unauthorized", *self.wrong_token)
        return actor, self.audience_of(actor)

    def audience_of(self, actor: c.Actor) -> str:
        """Which view a token holder gets (its room)."""
        return "public"

    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        auth = auth if isinstance(auth, dict) else {}
        actor, audience = self.authenticate(auth)
        await self.admit(sid, actor, audience, auth)
        self.hub.sessions[(self.role, sid)] = Session(
            actor, audience, TokenBucket(self.rate, self.burst), self.device(auth)
        )
        await self.enter_room(sid, audience)
        self.hub.joined()
        # To this connection only, so never through a cluster's Redis (``ignore_queue``).
        await self.emit(p.SNAPSHOT, self.hub.service.snapshot(audience), to=sid, ignore_queue=True)
        self.hub.presence_changed()

    async def admit(self, sid: str, actor: c.Actor, audience: str, auth: dict) -> None:
        """A last say on a connection (the team pad's one-device rule)."""

    def device(self, auth: dict) -> str:
        """Which device this is (a phone's id, a tablet's pad id), as the client says."""
        device = auth.get("device", auth.get("pad", ""))
        return device if isinstance(device, str) else ""

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.hub.sessions.pop((self.role, sid), None)
        self.hub.presence_changed()

    def refuse(self, code: str, message: str, vi: str) -> socketio.exceptions.ConnectionRefusedError:
        # The client's connect_error gets
        # {"message": message, "data": {"code": code, "message": message, "message_vi": vi}}.
        return socketio.exceptions.ConnectionRefusedError(message, {"code": code, "message": message, "message_vi": vi})

    # -- events ---------------------------------------------------------------------------

    async def trigger_event(self, event: Any, *args: Any) -> Any:
        sid = args[0] if args else None
        if event in ("connect", "disconnect") and not self.server.manager.is_connected(sid, self.namespace):
            # The server's own call while (dis)connecting; a connected client sending an event
            # of that name gets an error like any other unknown event.
            return await super().trigger_event(event, *args)
        session = self.hub.sessions.get((self.role, sid))
        if session is None:
            return p.error("unauthorized", "not connected", "chưa kết nối")
        try:
            if not session.bucket.take():
                return p.error("rate_limited", "too many events; slow down", "gửi quá nhiều thao tác; hãy chậm lại")
            if len(args) > 2:
                return p.error(
                    "bad_request",
                    f"send one payload object, not {len(args) - 1} arguments",
                    f"hãy gửi một đối tượng dữ liệu, không phải {len(args) - 1} tham số",
                )
            payload = args[1] if len(args) == 2 else None
            if _size(payload) > self.max_payload:
                return p.error(
                    "too_large", f"payload over {self.max_payload} bytes", f"dữ liệu vượt quá {self.max_payload} byte"
                )
            return await self.handle(sid, session, event, payload)
        except ShowError as exc:
            return p.error_of(exc)
        except Exception:  # never a traceback to a user, never a crashed server
            log.exception("event %r on /%s failed", event, self.role)
            return p.error(
                "internal",
                "the server could not handle this event; nothing was changed",
                "máy chủ không xử lý được thao tác này; không có gì thay đổi",
            )

    async def handle(self, sid: str, session: Session, event: Any, payload: Any) -> dict[str, Any]:
        service = self.hub.service
        if event == p.SYNC:
            return p.ok(**service.snapshot(session.audience))
        if event == p.TIME:
            return p.ok(server_time=service.clock())
        if not isinstance(event, str):
            raise p.ProtocolError("unknown_event", "an event name must be text", vi="tên sự kiện phải là văn bản")
        command = p.parse_command(self.role, event, payload, session.actor)
        async with service.gate():
            action = service.submit(command)
        await self.hub.publish()
        return p.ok(rev=action.seq)


class ControlNamespace(RoleNamespace):
    role = "control"
    rate, burst = 50.0, 100  # a producer, a Stream Deck macro or a script; not a flood

    token_role = "producer"
    wrong_token = (
        "the producer's token is missing or wrong",
        "mã truy cập của bàn điều khiển bị thiếu hoặc không đúng",
    )

    def audience_of(self, actor: c.Actor) -> str:
        return "producer"

    async def handle(self, sid: str, session: Session, event: Any, payload: Any) -> dict[str, Any]:
        if event in (p.SEASON_CONFIRM, p.SEASON_CORRECT):
            return await self.season(event, payload)
        if event != p.OBS_TAKE:
            return await super().handle(sid, session, event, payload)
        obs = self.hub.obs
        if obs is None:
            return p.error("no_obs", "OBS is not connected to this show", "chương trình này không kết nối OBS")
        if not obs.settings.studio_mode:
            return p.error(
                "no_studio_mode",
                "OBS is not in studio mode: segments switch the program scene directly",
                "OBS không ở chế độ studio: mỗi phần thi chuyển thẳng cảnh phát sóng",
            )
        obs.take()
        return p.ok()

    async def season(self, event: str, payload: Any) -> dict[str, Any]:
        desk = self.hub.season
        if desk is None:
            return p.error(
                "no_season", "this show is not part of a season", "chương trình này không thuộc mùa giải nào"
            )
        if event == p.SEASON_CONFIRM:
            desk.confirm(p.parse_payload(event, payload, SeasonConfirm))
        else:
            desk.correct(p.parse_payload(event, payload, SeasonCorrect))
        await self.hub.publish()
        return p.ok()


class JudgeNamespace(RoleNamespace):
    role = "judge"

    token_role = "judge"
    wrong_token = ("this judge token is missing or wrong", "mã truy cập giám khảo bị thiếu hoặc không đúng")

    def audience_of(self, actor: c.Actor) -> str:
        return f"judge:{actor.id}"


class TeamNamespace(RoleNamespace):
    role = "team"

    token_role = "team"
    wrong_token = ("this team token is missing or wrong", "mã truy cập của đội bị thiếu hoặc không đúng")

    async def admit(self, sid: str, actor: c.Actor, audience: str, auth: dict) -> None:
        current = self.hub.team_pads.get(actor.id)
        if current is not None and current != sid:
            old = self.hub.sessions.get((self.role, current))
            pad = auth.get("pad")
            # The same tablet coming back (its old connection not yet timed out) simply replaces itself.
            same_pad = isinstance(pad, str) and 8 <= len(pad) <= 64 and old is not None and old.device == pad
            if same_pad:
                await self.disconnect(current)
            elif auth.get("takeover") is not True:
                name = self.hub.service.config.team(actor.id).name
                raise self.refuse(
                    "in_use",
                    f"{name}'s pad is open on another device; take it over explicitly",
                    f"máy tính bảng của {name} đang mở trên thiết bị khác; hãy xác nhận để chuyển sang thiết bị này",
                )
            else:
                message = {
                    "message": "another device took over this team's pad",
                    "message_vi": "một thiết bị khác đã tiếp quản máy tính bảng của đội",
                }
                await self.emit(p.TAKEN_OVER, message, to=current, ignore_queue=True)
                await self.disconnect(current)
        self.hub.team_pads[actor.id] = sid

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        session = self.hub.sessions.get((self.role, sid))
        if session is not None and self.hub.team_pads.get(session.actor.id) == sid:
            del self.hub.team_pads[session.actor.id]
        await super().on_disconnect(sid, reason)


class HostNamespace(RoleNamespace):
    """The host's (MC's) screen: the producer's view (answers, notes, what comes next), read only."""

    role = "host"

    token_role = "host"
    wrong_token = (
        "the host screen's token is missing or wrong",
        "mã truy cập màn hình người dẫn chương trình bị thiếu hoặc không đúng",
    )

    def audience_of(self, actor: c.Actor) -> str:
        return "producer"

    async def handle(self, sid: str, session: Session, event: Any, payload: Any) -> dict[str, Any]:
        if event in (p.SYNC, p.TIME):
            return await super().handle(sid, session, event, payload)
        # The host reads; the producer runs the show (a stray click on the MC's monitor changes nothing).
        return p.error(
            "read_only",
            f"the host screen sends no commands ('{str(event)[:40]}' refused); only 'sync' and 'time'",
            f"màn hình người dẫn chương trình không gửi lệnh (từ chối '{str(event)[:40]}'); chỉ có 'sync' và 'time'",
        )


class OverlayNamespace(RoleNamespace):
    role = "overlay"

    def authenticate(self, auth: Any) -> tuple[c.Actor, str]:
        return c.Actor("overlay"), "public"

    def device(self, auth: dict) -> str:
        # A controller's program monitor shows the same picture, but is not a browser source on air.
        return MONITOR if auth.get("monitor") is True else ""


class AudienceNamespace(RoleNamespace):
    role = "audience"
    rate, burst = 2.0, 10  # a (re)connecting page spends a few on the clock and `mine`
    max_payload = p.MAX_AUDIENCE_PAYLOAD
    # Per network address, against scripted stuffing; generous, since a hall's phones may all share
    # one address (the venue's Wi-Fi, a carrier's NAT).
    address_votes = (200.0, 5000)  # votes a second, burst
    address_joins = (100.0, 5000)  # new connections a second, burst

    def __init__(self, hub: Hub) -> None:
        super().__init__(hub)
        self.addresses: dict[str, str] = {}  # sid -> network address
        self.limits: dict[tuple[str, str], TokenBucket] = {}  # (what, address) -> bucket

    def _bucket(self, what: str, address: str) -> TokenBucket:
        bucket = self.limits.get((what, address))
        if bucket is None:
            if len(self.limits) > 100_000:  # forget idle addresses rather than grow without end
                self.limits.clear()
            rate, burst = self.address_votes if what == "vote" else self.address_joins
            bucket = self.limits[(what, address)] = TokenBucket(rate, burst)
        return bucket

    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        address = _address(environ)
        if not self._bucket("join", address).take():
            raise self.refuse(
                "rate_limited",
                "too many phones joining from this network; try again in a moment",
                "quá nhiều điện thoại tham gia từ cùng mạng này; hãy thử lại sau giây lát",
            )
        self.addresses[sid] = address
        await super().on_connect(sid, environ, auth)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.addresses.pop(sid, None)
        await super().on_disconnect(sid, reason)

    def authenticate(self, auth: Any) -> tuple[c.Actor, str]:
        device = auth.get("device")
        if not isinstance(device, str) or not 8 <= len(device) <= 64:
            raise self.refuse(
                "unauthorized", "send a device id of 8 to 64 characters", "hãy gửi mã thiết bị dài từ 8 đến 64 ký tự"
            )
        return c.Actor("audience"), "audience"

    async def handle(self, sid: str, session: Session, event: Any, payload: Any) -> dict[str, Any]:
        service = self.hub.service
        if event == p.MINE:
            return p.ok(**await self.hub.ballots.ballot_of(session.device))
        if event != p.VOTE:
            if event in (p.SYNC, p.TIME):
                return await super().handle(sid, session, event, payload)
            raise p.ProtocolError(
                "unknown_event",
                f"unknown event '{str(event)[:40]}'; send 'vote', 'mine', 'sync' or 'time'",
                vi=f"không có sự kiện '{str(event)[:40]}'; hãy gửi 'vote', 'mine', 'sync' hoặc 'time'",
            )
        vote = p.parse_vote(payload, session.device, service.clock())
        if not self._bucket("vote", self.addresses.get(sid, "")).take():
            return p.error(
                "rate_limited",
                "too many votes from this network; try again in a moment",
                "quá nhiều lượt bình chọn từ cùng mạng này; hãy thử lại sau giây lát",
            )
        return await self.hub.ballots.cast(vote)


NAMESPACES = (ControlNamespace, HostNamespace, JudgeNamespace, TeamNamespace, OverlayNamespace, AudienceNamespace)


def _rooms(audience: str) -> list[tuple[str, str]]:
    """(namespace, room) pairs that see a view: the public one on the overlays and the team pads."""
    if audience == "public":
        return [(f"/{ns}", "public") for ns in PUBLIC_NAMESPACES]
    if audience == "producer":
        return [("/control", "producer"), ("/host", "producer")]
    if audience == "audience":
        return [("/audience", "audience")]
    return [("/judge", audience)]


def _address(environ: dict) -> str:
    """The phone's network address; behind a proxy on this machine (nginx), the one it forwarded."""
    request = environ.get("aiohttp.request")
    peer = (request.remote if request is not None else None) or ""
    forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and peer in ("127.0.0.1", "::1"):
        return forwarded.split(",")[-1].strip()
    return peer


def _size(payload: Any) -> int:
    try:
        return len(json.dumps(payload, ensure_ascii=False).encode())
    except TypeError:
        raise p.ProtocolError(
            "bad_request",
            "the payload must be JSON; binary data is not accepted",
            vi="dữ liệu phải là JSON; không nhận dữ liệu nhị phân",
        ) from None
    except UnicodeEncodeError:
        raise p.ProtocolError(
            "bad_request",
            "the payload holds text that is not valid Unicode",
            vi="dữ liệu chứa văn bản không phải Unicode hợp lệ",
        ) from None
    except ValueError:
        return 1 << 30
