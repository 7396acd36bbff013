"""A real OBS Studio for tests and benchmarks: Debian's obs-studio under its own Xvfb, a fresh HOME,
the obs-websocket server on a free loopback port (see ../shared/OBS-HEADLESS.md)."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.conftest import DEMO
from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
SCENES = ["Chào hỏi", "Sáng tạo số", "Kỹ năng số", "Tăng tốc số", "Khán giả"]  # the demo rundown's scenes
CAMERA, LOGO = "Máy quay 1", "Logo góc"
PROFILE, COLLECTION = "showcaller", "showcaller"
PASSWORD = "showcaller-test"


def show_config(
    tmp_path: Path, port: int, password: str, cues: bool = True, transitions: bool = True, studio_mode: bool = False
) -> Path:
    """The demo show pointed at a test OBS; the greeting's cue also shows the camera and hides the logo."""
    text = DEMO.read_text(encoding="utf-8")
    if not transitions:
        text = re.sub(r"\n      transition(_duration)?: .*", "", text)
    mode = "true" if studio_mode else "false"
    obs = f"\nobs:\n  host: 127.0.0.1\n  port: {port}\n  password: {password}\n  studio_mode: {mode}\n"
    text = re.sub(r"\nobs:\n(  .*\n)+", obs, text)
    if cues:
        text = text.replace(
            '      scene: "Chào hỏi"\n',
            f'      scene: "Chào hỏi"\n      show: ["{CAMERA}"]\n      hide: ["{LOGO}"]\n',
            1,
        )
        text = text.replace(
            '      scene: "Sáng tạo số"\n', f'      scene: "Sáng tạo số"\n      hide: ["{CAMERA}"]\n', 1
        )
    config = tmp_path / "show.yaml"
    config.write_text(text, encoding="utf-8")
    shutil.copytree(DEMO.parent / "media", tmp_path / "media", dirs_exist_ok=True)
    return config


def obs_available() -> str | None:
    """Why OBS can't run here, or None if it can."""
    for tool in ("obs", "Xvfb"):
        if shutil.which(tool) is None:
            return f"{tool} not found (apt-get install obs-studio xvfb)"
    return None


class ObsStudio:
    """Start, kill, freeze and restart one OBS; its HOME (and so its scenes) survives restarts."""

    def __init__(self, home: Path, scenes: list[str], port: int | None = None) -> None:
        self.home = home
        self.scenes = scenes
        self.port = port or free_port()
        self.password = PASSWORD
        self.xvfb: subprocess.Popen | None = None
        self.obs: subprocess.Popen | None = None
        self.display = ""
        self._log = (home / "obs.log").open("ab")
        self._write_config()

    def _write_config(self) -> None:
        config = self.home / ".config" / "obs-studio"
        (config / "basic" / "profiles" / PROFILE).mkdir(parents=True, exist_ok=True)
        (config / "basic" / "scenes").mkdir(parents=True, exist_ok=True)
        pre = "\n".join(f"Pre{v}Defaults=false" for v in ("19", "21", "22.1", "23", "24.1"))
        (config / "global.ini").write_text(
            "[General]\nFirstRun=true\nLastVersion=486539266\nEnableAutoUpdates=false\n"
            f"{pre}\n\n[BasicWindow]\nConfirmOnExit=false\nPreviewEnabled=false\n\n"
            f"[Basic]\nProfile={PROFILE}\nProfileDir={PROFILE}\nSceneCollection={COLLECTION}\n"
            f"SceneCollectionFile={COLLECTION}\n\n"
            f"[OBSWebSocket]\nFirstLoad=false\nServerEnabled=true\nServerPort={self.port}\n"
            f"AlertsEnabled=false\nAuthRequired=true\nServerPassword={self.password}\n",
            encoding="utf-8",
        )
        (config / "basic" / "profiles" / PROFILE / "basic.ini").write_text(
            f"[General]\nName={PROFILE}\n\n[Video]\nBaseCX=1280\nBaseCY=720\nOutputCX=1280\nOutputCY=720\n"
            "FPSCommon=30\n\n[Audio]\nSampleRate=48000\nChannelSetup=Stereo\n",
            encoding="utf-8",
        )
        collection = config / "basic" / "scenes" / f"{COLLECTION}.json"
        if not collection.exists():
            scenes = ["Chờ", *self.scenes]
            sources = [
                {
                    "id": "scene",
                    "versioned_id": "scene",
                    "name": name,
                    "settings": {"items": [], "id_counter": 0, "custom_size": False},
                    "enabled": True,
                }
                for name in scenes
            ]
            collection.write_text(
                json.dumps(
                    {
                        "name": COLLECTION,
                        "current_scene": scenes[0],
                        "current_program_scene": scenes[0],
                        "scene_order": [{"name": n} for n in scenes],
                        "sources": sources,
                        "transitions": [],
                        "current_transition": "Fade",
                        "transition_duration": 300,
                    },
                    ensure_ascii=False,
                ),
                encoding="utf-8",
            )

    def start(self, wait: float = 30) -> None:
        if self.xvfb is None or self.xvfb.poll() is not None:
            self._start_xvfb()
        env = {
            **os.environ,
            "HOME": str(self.home),
            "DISPLAY": self.display,
            "LIBGL_ALWAYS_SOFTWARE": "1",
            "QT_QPA_PLATFORM": "xcb",
        }
        self.obs = subprocess.Popen(
            [
                "obs",
                "--multi",
                "--disable-updater",
                "--disable-missing-files-check",
                "--profile",
                PROFILE,
                "--collection",
                COLLECTION,
                "--websocket_port",
                str(self.port),
                "--websocket_password",
                self.password,
                "--websocket_ipv4_only",
            ],
            env=env,
            cwd=self.home,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.obs.poll() is not None:
                tail = (self.home / "obs.log").read_text(errors="replace")[-1500:]
                raise RuntimeError(f"OBS exited with {self.obs.returncode} (HOME {self.home}):\n{tail}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"OBS did not open its WebSocket port {self.port} in {wait} s")

    def _start_xvfb(self) -> None:
        """Our own X display (a free number, not 0: other X servers may come and go meanwhile)."""
        for number in random.sample(range(100, 1000), 50):
            if Path(f"/tmp/.X{number}-lock").exists() or Path(f"/tmp/.X11-unix/X{number}").exists():
                continue
            self.xvfb = subprocess.Popen(
                ["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.xvfb.poll() is None:
                if Path(f"/tmp/.X11-unix/X{number}").exists():
                    self.display = f":{number}"
                    return
                time.sleep(0.05)
            self.xvfb.kill()
            self.xvfb.wait(5)
        raise RuntimeError("could not start Xvfb on a free display")

    def kill(self) -> None:
        """A crash: SIGKILL, nothing saved."""
        if self.obs is not None and self.obs.poll() is None:
            self.obs.kill()
            self.obs.wait(10)

    def freeze(self) -> None:
        assert self.obs is not None
        self.obs.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.obs is not None
        self.obs.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.obs is not None and self.obs.poll() is None:
            self.obs.send_signal(signal.SIGCONT)
            self.obs.send_signal(signal.SIGINT)
            try:
                self.obs.wait(10)
            except subprocess.TimeoutExpired:
                self.obs.kill()
                self.obs.wait(5)
        if self.xvfb is not None and self.xvfb.poll() is None:
            self.xvfb.terminate()
            self.xvfb.wait(5)
        self._log.close()
