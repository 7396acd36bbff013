"""Keeps OBS where the show is: one worker thread talks to OBS, the event loop never waits on it.

After every change of the show (and after every reconnect) the link works out where OBS should be
(``plan.obs_target``) and the worker brings it there, sending only what differs from what OBS was
last told. OBS away or frozen: the show goes on; the worker retries with backoff and catches up.
A refused request is reported, never retried in a loop. What OBS reports back (its program scene,
also when an operator switches by hand) reaches the controllers through ``on_status``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from server.core.config import ObsSettings, ShowConfig
from server.core.state import Board
from server.core.words import say
from server.obs.client import ObsClient, ObsLost, ObsRefused
from server.obs.plan import ObsTarget, obs_target

log = logging.getLogger(__name__)

BACKOFF = (0.5, 1.0, 2.0, 4.0, 5.0)  # seconds between reconnect attempts
PING_EVERY = 2.0  # seconds; a frozen OBS shows up as a fault even when nothing is being switched
EXIT_ANIMATION = 0.7  # seconds an overlay's source stays up after it leaves the air (its exit animation)


class ObsLink:
    def __init__(
        self,
        config: ShowConfig,
        settings: ObsSettings,
        password: str | None,
        on_status: Callable[[dict[str, Any]], None],
        client_factory: Callable[..., ObsClient] = ObsClient,
    ) -> None:
        self.config = config
        self.settings = settings
        self.password = password
        self.on_status = on_status
        self.client_factory = client_factory
        self.loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._status: dict[str, Any] = {
            "configured": True,
            "state": "connecting",
            "address": f"{settings.host}:{settings.port}",
            "studio_mode": settings.studio_mode,
            "program": None,
            "preview": None,
            "target": None,
            "manual": False,  # OBS's program scene was switched by hand, away from the show's
            "error": None,
            "error_words": None,  # ``error`` as {key, params}, for the controller to say in its language
            "error_at": None,
        }
        self._want = ObsTarget()
        self._take = False
        self._preview_moved = False  # OBS said its preview changed: read it back (events may come out of order)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._leaving: dict[str, float] = {}  # overlay -> when it left the air (loop time)
        self._board: Board | None = None
        self._asked: str | None = None  # the scene the worker last put on air (or in preview)

    # -- the event loop's side --------------------------------------------------------------

    def start(self, board: Board) -> None:
        self.loop = asyncio.get_running_loop()
        self._loop_thread = threading.current_thread()
        self.follow(board)
        self._thread = threading.Thread(target=self._run, name="obs-link", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 3)

    def status(self) -> dict[str, Any]:
        return dict(self._status)

    def follow(self, board: Board) -> None:
        """The show changed: work out where OBS should be now (cheap; call after every change)."""
        assert self.loop is not None
        previous = self._board.on_air if self._board is not None else frozenset()
        self._board = board
        now = self.loop.time()
        for overlay in previous - board.on_air:
            self._leaving[overlay] = now
            self.loop.call_later(EXIT_ANIMATION + 0.01, self._refollow)
        for overlay in board.on_air:
            self._leaving.pop(overlay, None)
        self._leaving = {o: t for o, t in self._leaving.items() if now - t < EXIT_ANIMATION}
        shown = board.on_air | frozenset(self._leaving)
        want = obs_target(self.config, board, shown)
        with self._lock:
            if want == self._want:
                return
            self._want = want
        self._set_status(target=want.scene or self._status["target"])
        self._wake.set()

    def take(self) -> None:
        """Studio mode: transition the preview to program (the producer's cue)."""
        with self._lock:
            self._take = True
        self._wake.set()

    def _refollow(self) -> None:
        if self._board is not None:
            self.follow(self._board)

    def _set_status(self, **changes: Any) -> None:
        """Update the status; from the worker thread too (handed to the loop)."""
        if self.loop is None:
            return
        if threading.current_thread() is self._loop_thread:
            self._apply_status(changes)
        else:
            self.loop.call_soon_threadsafe(self._apply_status, changes)

    def _apply_status(self, changes: dict[str, Any]) -> None:
        if all(self._status.get(k) == v for k, v in changes.items()):
            return
        self._status.update(changes)
        self.on_status(self.status())

    # -- the worker thread ------------------------------------------------------------------

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            client = self.client_factory(self.settings.host, self.settings.port, self.password, on_event=self._on_event)
            try:
                client.connect()
                self._connected(client)
                attempt = 0
                self._serve(client)
            except ObsLost as exc:
                self._fault(exc, "offline")
            finally:
                client.close()
            if self._stop.is_set():
                break
            delay = BACKOFF[min(attempt, len(BACKOFF) - 1)]
            attempt += 1
            self._set_status(state="offline")
            self._stop.wait(delay)

    def _connected(self, client: ObsClient) -> None:
        if self.settings.studio_mode:
            client.call("SetStudioModeEnabled", studioModeEnabled=True)
        program = client.call("GetCurrentProgramScene").get("currentProgramSceneName")
        preview = None
        if self.settings.studio_mode:
            preview = client.call("GetCurrentPreviewScene").get("currentPreviewSceneName")
        self._set_status(state="connected", program=program, preview=preview, manual=False)
        log.info("OBS connected at %s (program scene %r)", client.address, program)

    def _read_preview(self, client: ObsClient) -> None:
        """Tell the controller the preview scene OBS holds now (studio mode)."""
        self._set_status(preview=client.call("GetCurrentPreviewScene").get("currentPreviewSceneName"))

    def _serve(self, client: ObsClient) -> None:
        applied: ObsTarget | None = None  # what OBS was told on this connection; None: nothing yet
        while not self._stop.is_set():
            with self._lock:
                want, take, self._take = self._want, self._take, False
                moved, self._preview_moved = self._preview_moved, False
            if want != applied:
                applied = self._bring(client, want, applied)
            if take:
                self._attempt(lambda: client.call("TriggerStudioModeTransition"))
            if self.settings.studio_mode and moved:
                # A take swaps program and preview while the next cue sets the preview: the events of the two
                # may arrive in either order, so the controller is told what OBS holds now, not the last event.
                self._attempt(lambda: self._read_preview(client))
            if self._wake.wait(PING_EVERY):
                self._wake.clear()
            elif self.settings.studio_mode:
                # The heartbeat (ObsLost if OBS froze) reads the preview: should an event have been lost,
                # the controller shows the right one within seconds.
                self._attempt(lambda: self._read_preview(client))
            else:
                client.call("GetVersion")  # a heartbeat: raises ObsLost if OBS froze

    def _bring(self, client: ObsClient, want: ObsTarget, applied: ObsTarget | None) -> ObsTarget:
        """Send OBS what differs between ``applied`` and ``want``; returns what it was told.

        The scene's sources are set first, so the scene goes on air already right.
        """
        scene_changed = want.scene is not None and (applied is None or applied.scene != want.scene)
        scene = want.scene or self._status["program"]
        if scene is not None:
            self._set_sources(client, scene, want.sources, None if scene_changed else applied)
        if scene_changed:
            if want.transition:
                self._attempt(lambda: client.call("SetCurrentSceneTransition", transitionName=want.transition))
            if want.transition_ms is not None:
                ms = want.transition_ms
                self._attempt(lambda: client.call("SetCurrentSceneTransitionDuration", transitionDuration=ms))
            request = "SetCurrentPreviewScene" if self.settings.studio_mode else "SetCurrentProgramScene"
            self._asked = want.scene
            if self._attempt(lambda: client.call(request, sceneName=want.scene)) and self.settings.studio_mode:
                self._attempt(lambda: self._read_preview(client))  # not left to the event alone
        return want

    def _set_sources(self, client: ObsClient, scene: str, sources: dict[str, bool], applied: ObsTarget | None) -> None:
        changed = {k: v for k, v in sources.items() if applied is None or applied.sources.get(k) != v}
        if not changed:
            return
        try:
            listed = client.call("GetSceneItemList", sceneName=scene)["sceneItems"]
        except ObsRefused as exc:
            self._fault(exc, "connected")
            return
        # Sources not in the scene (overlays never set up with obs-setup) have nothing to switch.
        for item in listed:
            name = item.get("sourceName")
            if name in changed and item.get("sceneItemEnabled") != changed[name]:
                request = {"sceneName": scene, "sceneItemId": item["sceneItemId"], "sceneItemEnabled": changed[name]}
                self._attempt(lambda request=request: client.call("SetSceneItemEnabled", **request))

    def _attempt(self, request: Callable[[], Any]) -> bool:
        """One request; a refusal is reported and not retried (ObsLost goes up: reconnect)."""
        try:
            request()
        except ObsRefused as exc:
            self._fault(exc, "connected")
            return False
        return True

    def _fault(self, exc: ObsLost | ObsRefused, state: str) -> None:
        if exc.message != self._status["error"]:  # once per new problem, not once per retry
            log.warning("OBS: %s", exc.message)
        self._set_status(state=state, error=exc.message, error_words=exc.words.wire(), error_at=int(time.time() * 1000))

    def _on_event(self, name: str, data: dict[str, Any]) -> None:
        """OBS's receive thread: hand what matters to the loop, never call OBS from here."""
        if name == "CurrentProgramSceneChanged":
            scene = data.get("sceneName")
            manual = self._asked is not None and scene != self._asked and not self.settings.studio_mode
            self._set_status(program=scene, manual=manual)
        elif name == "CurrentPreviewSceneChanged":
            self._set_status(preview=data.get("sceneName"))
            with self._lock:
                self._preview_moved = True
            self._wake.set()
        elif name == "ExitStarted":
            self._set_status(state="offline", error="OBS is closing", error_words=say("obs.closing").wire())
