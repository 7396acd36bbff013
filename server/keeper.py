"""Keeps the show's server on air: a server process that dies is replaced at once, on the same sockets.

``run`` binds its listening sockets, then forks the server; the parent, the keeper, only waits. When the
server dies of a signal nobody sent it through the keeper (the kernel's OOM killer, a ``kill -9``, a crash
in a C library), the keeper forks a new one: it has Python and every module loaded already, so the show is
back in the time its log takes to load, not the 0.7 s Python takes to import it. The sockets stay open
all along, so pads, phones and OBS connecting meanwhile wait in their backlog instead of being refused.

SIGINT and SIGTERM go to the server, which stops as it always has; the keeper then exits with its code. A
server that exits by itself (a bad config, a database it can't open) is not restarted, and a server that
dies ``RESTARTS`` times within ``WINDOW_S`` is given up on: something is wrong that a restart won't mend.
The server dies with the keeper (``PR_SET_PDEATHSIG``), so killing the keeper never leaves one running.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)

RESTARTS = 5  # deaths within WINDOW_S after which the keeper gives up
WINDOW_S = 30.0
BACKLOG = 1024  # connections the kernel holds while a server (re)starts: a hall's pads and phones at once
_PR_SET_PDEATHSIG = 1


def listen(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for every address ``host`` names (as asyncio's ``create_server`` binds them).

    Raises OSError with the address when one can't be bound (another server on the port, say)."""
    found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(found):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                raise OSError(exc.errno, f"can't listen on {host} port {port}: {exc.strerror}") from None
            sock.listen(BACKLOG)
            sock.set_inheritable(True)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def keep(serve: Callable[[], int]) -> int:
    """Run ``serve`` (which returns an exit code) in a child process, again each time it is killed; the
    keeper's exit code is the last server's."""
    deaths: deque[float] = deque(maxlen=RESTARTS)
    stopping = False
    child, keeper = 0, os.getpid()

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        if child and os.getpid() == keeper:  # not in a new server before it sets its own handlers
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    while True:
        child = _fork(serve)
        if stopping:  # a stop that came while forking
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)
        _, status = os.waitpid(child, 0)
        code = os.waitstatus_to_exitcode(status)
        if code >= 0 or stopping:
            return max(code, 0) if stopping else code
        name = signal.Signals(-code).name
        deaths.append(time.monotonic())
        if len(deaths) == RESTARTS and deaths[-1] - deaths[0] < WINDOW_S:
            log.error("the server died of %s %d times in %.0f s: giving up", name, RESTARTS, WINDOW_S)
            return 1
        log.warning("the server (pid %d) died of %s: starting a new one", child, name)


def _fork(serve: Callable[[], int]) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    keeper = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != keeper:  # the keeper died before the line above
            os._exit(1)
        os.setpgid(0, 0)  # a terminal's Ctrl-C reaches the keeper alone, which passes it on once
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        code = serve()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
