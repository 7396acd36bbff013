"""Servers in their own processes, for the tests and the benchmarks: a free port, and waiting until one answers."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
from pathlib import Path

import aiohttp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def until_healthy(url: str, proc: subprocess.Popen, log: Path | None = None, timeout: float = 15) -> None:
    """Wait until the server at ``url`` answers /healthz; if it exits or never does, say so with its log."""
    async with aiohttp.ClientSession() as http:
        for _ in range(int(timeout / 0.05)):
            if proc.poll() is not None:
                break
            try:
                async with http.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:]) if log is not None and log.exists() else ""
    raise RuntimeError(f"the server at {url} did not start (exit code {proc.poll()}); its last output:\n{tail}")


def stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a server as an operator would (SIGINT), killing it if it does not stop in time."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
