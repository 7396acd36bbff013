"""A real nginx (Debian's package) in front of the server, run from docs/nginx/ as the docs ship it."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import browser  # noqa: F401 (the fixture, for the pages through the proxy)
from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
SITES = ROOT / "docs" / "nginx"
DOCS_CERT = "/etc/letsencrypt/live/vote.example.vn/fullchain.pem"
DOCS_KEY = "/etc/letsencrypt/live/vote.example.vn/privkey.pem"


def _need(program: str, package: str) -> str:
    found = shutil.which(program) or shutil.which(program, path="/usr/sbin:/sbin")
    if found is None:
        message = f"{program} not found (apt-get install {package}; scripts/system-deps.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the browser is told to accept it)."""
    openssl = _need("openssl", "openssl")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        + ["-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return cert, key


class Nginx:
    """nginx as an unprivileged-port process with its own prefix: a Debian-like nginx.conf whose http
    block includes one site file from docs/nginx/, with only its ports and certificate paths changed."""

    def __init__(self, binary: str, folder: Path, certificate: tuple[Path, Path]) -> None:
        self.binary, self.folder, self.certificate = binary, folder, certificate
        self.proc: subprocess.Popen | None = None
        self.ports: dict[int, int] = {}  # the docs' listening port -> the test's

    def site(self, name: str, upstreams: dict[int, int], listens: dict[int, int]) -> str:
        """The docs' site file with the test's ports and certificate; every change must find its text."""
        text = (SITES / name).read_text(encoding="utf-8")
        cert, key = self.certificate
        changes = {DOCS_CERT: str(cert), DOCS_KEY: str(key)}
        self.ports = {80: free_port(), **listens}
        for docs, ours in self.ports.items():
            ssl = "" if docs == 80 else " ssl"
            changes[f"listen {docs}{ssl};"] = f"listen 127.0.0.1:{ours}{ssl};"  # loopback only
        changes |= {f"server 127.0.0.1:{docs};": f"server 127.0.0.1:{ours};" for docs, ours in upstreams.items()}
        for old, new in changes.items():
            assert old in text, f"docs/nginx/{name} no longer has {old!r}: update tests/deploy/conftest.py"
            text = text.replace(old, new)
        return text

    def start(self, name: str, upstreams: dict[int, int], listens: dict[int, int]) -> None:
        """Run the site ``name``: the docs' upstream ports and https ports (443, 8443) mapped to the test's."""
        for sub in ("logs", "temp"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        (self.folder / "site.conf").write_text(self.site(name, upstreams, listens), encoding="utf-8")
        temp = self.folder / "temp"
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers as root only when the test is root
        (self.folder / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {self.folder}/nginx.pid;\nerror_log {self.folder}/logs/error.log;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            f"    access_log {self.folder}/logs/access.log;\n"
            + "".join(f"    {kind}_temp_path {temp}/{kind};\n" for kind in ("client_body", "proxy"))
            + "".join(f"    {kind}_temp_path {temp}/{kind};\n" for kind in ("fastcgi", "uwsgi", "scgi"))
            + f"    include {self.folder}/site.conf;\n"
            "}\n",
            encoding="utf-8",
        )
        argv = [self.binary, "-p", str(self.folder), "-e", str(self.folder / "logs" / "error.log")]
        argv += ["-c", str(self.folder / "nginx.conf"), "-g", "daemon off;"]
        check = subprocess.run([*argv[:-2], "-t"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.ports[443]), 0.5):
                return
            assert self.proc.poll() is None, (self.folder / "logs" / "error.log").read_text()
            time.sleep(0.02)
        raise RuntimeError(f"nginx did not listen on {self.ports[443]}")

    def url(self, port: int = 443) -> str:
        """The proxy's https address standing for the docs' ``port`` (443 public, 8443 the desk)."""
        return f"https://127.0.0.1:{self.ports[port]}"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def nginx(tmp_path: Path, certificate: tuple[Path, Path]) -> Iterator[Nginx]:
    proxy = Nginx(_need("nginx", "nginx"), tmp_path / "nginx", certificate)
    yield proxy
    proxy.stop()
