"""Producer's segment change -> OBS reports the new program scene: median/p99 over 50 changes.

Run: python bench/obs_latency.py [--changes 50]
A real OBS Studio (Debian's obs-studio under Xvfb, fresh HOME, loopback port) and the server in
its own process (as on air). The producer sends ``goto_segment`` over socket.io; an observer
connected to OBS notes when ``CurrentProgramSceneChanged`` names the segment's scene. OBS's
transition is set to Cut: with a Fade the figure would be the fade's duration plus this.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.latency import TOKEN, start_server  # noqa: E402
from bench.measure import percentile  # noqa: E402
from server.obs.client import ObsClient  # noqa: E402
from tests.obs.obs_studio import SCENES, ObsStudio, obs_available, show_config  # noqa: E402
from tests.processes import free_port  # noqa: E402


async def main(changes: int) -> None:
    why = obs_available()
    if why:
        raise SystemExit(f"obs_latency: {why}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "home").mkdir()
        obs = ObsStudio(folder / "home", SCENES)
        server: subprocess.Popen | None = None
        observer: ObsClient | None = None
        try:
            obs.start()
            seen: dict[str, float] = {}
            arrived = threading.Condition()

            def on_event(name: str, data: dict) -> None:
                if name == "CurrentProgramSceneChanged":
                    with arrived:
                        seen[data["sceneName"]] = time.perf_counter()
                        arrived.notify_all()

            observer = ObsClient("127.0.0.1", obs.port, obs.password, on_event=on_event)
            observer.connect()
            observer.call("SetCurrentSceneTransition", transitionName="Cut")
            config = show_config(folder, obs.port, obs.password, cues=False, transitions=False)
            port = free_port()
            server = await start_server(folder / "show.db", port, config)
            sio = socketio.AsyncClient()
            await sio.connect(
                f"http://127.0.0.1:{port}", namespaces=["/control"], auth={"token": TOKEN}, transports=["websocket"]
            )
            await sio.call("start_show", {}, namespace="/control")
            await asyncio.sleep(1.0)  # the server's OBS link connects and puts the first scene up
            samples: list[float] = []
            index = 0
            for n in range(changes + 5):
                index = 1 + (index % (len(SCENES) - 1))  # 1..4, never the scene on air now
                scene = SCENES[index]
                with arrived:
                    seen.pop(scene, None)
                sent = time.perf_counter()
                reply = await sio.call("goto_segment", {"index": index}, namespace="/control")
                if not reply.get("ok"):
                    raise SystemExit(f"goto_segment refused: {reply}")

                def wait(scene: str = scene) -> float:
                    with arrived:
                        if not arrived.wait_for(lambda: scene in seen, timeout=5):
                            raise SystemExit(f"OBS never reported scene {scene!r}")
                        return seen[scene]

                at = await asyncio.to_thread(wait)
                if n >= 5:  # warm-up
                    samples.append((at - sent) * 1000)
                await asyncio.sleep(0.05)
            await sio.disconnect()
            samples.sort()
            print(f"segment change -> OBS program scene (Cut transition), {len(samples)} changes:")
            print(
                f"  median {statistics.median(samples):.1f} ms   p99 {percentile(samples, 99):.1f} ms   "
                f"min {samples[0]:.1f} ms   max {samples[-1]:.1f} ms"
            )
        finally:
            if observer is not None:
                observer.close()
            if server is not None:
                server.terminate()
                server.wait(10)
            obs.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=50)
    args = parser.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    asyncio.run(main(args.changes))
