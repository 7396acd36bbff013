"""NodeCG 2.x for the fanout bench: installed from npm once (cached in ~/.cache/showcaller-bench/nodecg),
run with a one-file bundle, spoken to through NodeCG's own socket.io protocol
(node_modules/nodecg/src/types/socket-protocol.ts).

The bundle is the install folder itself (NodeCG 2 installed as a dependency loads the project it sits
in as a bundle); its extension declares two replicants, ``score`` (the graphic's) and ``poll`` (the
phones'). Each run gets a fresh NodeCG root (``NODECG_ROOT``: config with login off, database) in the
bench's temp folder.
- producer: ``replicant:proposeOperations`` (an ``overwrite`` at the current revision), as a dashboard
  panel sends it; NodeCG applies it, broadcasts ``replicant:operations`` to the replicant's room and
  saves the value later (throttled, not before the broadcast);
- graphic and phones: ``joinRoom`` the replicant's room, then get its ``replicant:operations``, keyed
  by ``revision``;
- chat: ``replicant:read`` of ``score`` (ACKed with the value). NodeCG's ``message`` is not used: the
  server relays every message to every other socket (socketApiMiddleware.ts), a broadcast per message.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.fanout_targets import Target
from bench.fanout_wire import Flavour

CACHE = Path.home() / ".cache" / "showcaller-bench" / "nodecg"
BUNDLE = "showcaller-bench"
INSTALL_TIMEOUT = 900  # seconds: a first install builds better-sqlite3
EXTENSION = """module.exports = (nodecg) => {
  nodecg.Replicant("score", {defaultValue: 0});
  nodecg.Replicant("poll", {defaultValue: {open: false}});
};
"""


def _package() -> dict[str, Any]:
    return {"name": BUNDLE, "version": "0.0.0", "private": True, "nodecg": {"compatibleRange": "^2.0.0"}}


def installed_version(folder: Path = CACHE) -> str | None:
    try:
        version = json.loads((folder / "node_modules" / "nodecg" / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None
    return version if str(version).startswith("2.") else None


def install(folder: Path = CACHE) -> str | None:
    """Make sure NodeCG 2.x is installed in ``folder``; None when it is, else why not (for a printed line).
    A first install goes to a temp folder beside it, renamed into place once complete."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node or npm not found"
    if installed_version(folder) is not None:
        return None
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(prefix="nodecg-install-", dir=folder.parent))
        (fresh / "package.json").write_text(json.dumps(_package(), indent=2))
    except OSError as exc:
        return f"no room for the install: {exc}"
    log = folder.parent / "npm-install.log"
    print(f"  installing NodeCG 2.x from npm into {folder} (once; log in {log}) ...", flush=True)
    try:
        with log.open("wb") as out:
            done = subprocess.run(
                ["npm", "install", "nodecg@2", "--no-audit", "--no-fund"],
                cwd=fresh,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=INSTALL_TIMEOUT,
            )
    except (OSError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(fresh, ignore_errors=True)
        return f"npm install failed: {exc}"
    if done.returncode != 0 or installed_version(fresh) is None:
        shutil.rmtree(fresh, ignore_errors=True)
        tail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:])
        return f"npm install nodecg@2 failed (exit code {done.returncode}): {tail}"
    shutil.rmtree(folder, ignore_errors=True)
    fresh.rename(folder)
    return None


class Nodecg(Target):
    name = "nodecg"
    chat = "`replicant:read` of the score replicant (ACKed with its value)"
    change_words = "`replicant:proposeOperations` overwriting the poll replicant {open: true/false}"
    join = f"replicant:{BUNDLE}:poll"

    def __init__(self, tmp: Path, folder: Path = CACHE) -> None:
        super().__init__(tmp)
        self.folder = folder
        self.revisions: dict[str, int] = {}

    async def start(self) -> None:
        root = self.tmp / "nodecg-root"
        (root / "cfg").mkdir(parents=True, exist_ok=True)
        config = {"host": "127.0.0.1", "port": self.port, "login": {"enabled": False}}
        config["logging"] = {"console": {"enabled": True, "level": "warn"}}
        (root / "cfg" / "nodecg.json").write_text(json.dumps(config))
        package = json.loads((self.folder / "package.json").read_text())
        (self.folder / "package.json").write_text(json.dumps({**package, **_package()}, indent=2))
        (self.folder / "extension").mkdir(exist_ok=True)
        (self.folder / "extension" / "index.js").write_text(EXTENSION)
        node = shutil.which("node") or "node"
        env = {**os.environ, "NODECG_ROOT": str(root)}
        self.spawn([node, "node_modules/nodecg/index.js"], cwd=self.folder, env=env)
        await self.until_answers("/socket.io/?EIO=4&transport=polling")
        await self.connect_desk()
        for name in ("score", "poll"):
            error, declared = await self.producer.call(
                "replicant:declare", {"name": name, "namespace": BUNDLE, "opts": {}}, timeout=10
            )
            if error:
                raise SystemExit(f"NodeCG refused to declare {name}: {error}")
            self.revisions[name] = declared["revision"]
        self.revision = self.revisions["poll"]

    async def connect_desk(self) -> None:
        self.graphic.on("replicant:operations", self._operations)
        await self.graphic.connect(self.url, transports=["websocket"])
        await self.producer.connect(self.url, transports=["websocket"])
        await self.graphic.call("joinRoom", f"replicant:{BUNDLE}:score")

    def describe(self) -> str:
        node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
        return f"nodecg: NodeCG {installed_version(self.folder)} on Node.js {node}, pid {self.pids[0]}"

    def _operations(self, data: dict[str, Any]) -> None:
        if data.get("name") == "score":
            self.graphic_saw(data["revision"])

    async def _propose(self, name: str, value: Any) -> int:
        """Overwrite a replicant at the revision this producer knows, as a dashboard panel does; NodeCG
        answers only a rejection."""
        revision = self.revisions[name]
        operation = {"path": "/", "method": "overwrite", "args": {"newValue": value}}
        request = {"name": name, "namespace": BUNDLE, "operations": [operation], "opts": {}, "revision": revision}
        await self.producer.emit("replicant:proposeOperations", request, callback=self._rejected)
        self.revisions[name] = revision + 1
        return revision + 1

    def _rejected(self, reason: Any = None, data: Any = None) -> None:
        self.problems.append(f"NodeCG rejected a proposal: {reason}")

    def flavour(self) -> Flavour:
        read = ("replicant:read", {"name": "score", "namespace": BUNDLE})
        return Flavour("/", {}, "replicant:operations", "revision", read)

    async def score(self, i: int) -> int:
        return await self._propose("score", i)

    async def change(self) -> None:
        self.revision = await self._propose("poll", {"open": self.revision % 2 == 0})
