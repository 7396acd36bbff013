"""Keeps the show's server on air: a server process that dies is replaced at once, on the same sockets.

``run`` binds its listening sockets, then forks the server; the parent, the keeper, only waits. When the
server dies of a signal nobody sent it through the keeper (the kernel's OOM killer, a ``kill -9``, a crash
in a C library), the keeper forks a new one: it has Python and every module loaded already, so the show is
back in the time its log takes to load, not the 0.7 s Python takes to import it. The sockets stay open
all along, so pads, phones and OBS connecting meanwhile wait in their backlog instead of being refused.

Beside the server, the keeper may run helpers (one machine's phones process, ``server/transport/phones_link.py``),
each replaced whenever it dies; the show goes on meanwhile, and without one that keeps dying before it is up.

SIGINT and SIGTERM go to the server (and the helpers), which stops as it always has; the keeper then exits
with its code. A server that exits by itself (a bad config, a database it can't open) is not restarted, and after
``RESTARTS`` servers in a row died before they were up, the keeper gives up: something is wrong that a
restart won't mend. A server killed once it was up is always replaced.
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
import traceback
from collections.abc import Callable
from typing import NamedTuple

log = logging.getLogger(__name__)

RESTARTS = 5  # servers in a row dying before they are up, after which the keeper gives up
BACKLOG = 1024  # connections the kernel holds while a server (re)starts: a hall's pads and phones at once
_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15
Serve = Callable[[Callable[[], None]], int]


def listen(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for every address ``host`` names (as asyncio's ``create_server`` binds them).

    A forked server has them by the fork alone; they stay close-on-exec, so no program run from it holds the port.
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
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class Helper(NamedTuple):
    """A process the keeper runs beside the server (one machine's phones process): ``serve`` as the
    server's, ``first`` in the new process before it (to close what it must not hold)."""

    name: str
    serve: Serve
    first: Callable[[], None] = lambda: None


def keep(serve: Serve, *helpers: Helper) -> int:
    """Run ``serve`` in a child process, again each time it is killed, and each helper beside it, again
    each time it dies; the keeper's exit code is the last server's. ``serve(up)`` returns an exit code,
    and calls ``up()`` once it serves: a server killed after that is always replaced, one killed before it
    only ``RESTARTS`` times in a row (a helper likewise, after which the show goes on without it). A
    server that stops by itself stops the helpers and the keeper."""
    stopping = False
    roles = [Helper("server", serve), *helpers]
    unborn = [0] * len(roles)  # per role, processes in a row that died before they were up
    children: dict[int, tuple[int, int]] = {}  # pid -> (role, the pipe it tells "up" on)
    keeper = os.getpid()

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        if os.getpid() == keeper:  # not in a new process before it sets its own handlers
            for child in list(children):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signum)

    def start(role: int) -> None:
        said, told = os.pipe()
        child = _fork(roles[role], told)
        os.close(told)
        children[child] = (role, said)
        if stopping:  # a stop that came while forking
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    code = 1
    for role in range(len(roles)):
        start(role)
    while children:
        pid, status = os.waitpid(-1, 0)
        role, said = children.pop(pid)
        was_up = os.read(said, 1) == b"1"  # the process is gone: the pipe holds its word, or is closed
        os.close(said)
        died = os.waitstatus_to_exitcode(status)
        name = roles[role].name
        if role == 0 and (died >= 0 or stopping):
            code = max(died, 0) if stopping else died
            forward(signal.SIGTERM, None)  # the helpers stop with the server
            continue
        if stopping:
            continue
        why = signal.Signals(-died).name if died < 0 else f"exit code {died}"
        unborn[role] = 0 if was_up else unborn[role] + 1
        if unborn[role] == RESTARTS:
            log.error("the %s died of %s %d times in a row before it was up: giving up", name, why, RESTARTS)
            if role == 0:
                forward(signal.SIGTERM, None)
            continue
        log.warning("the %s (pid %d) died of %s: starting a new one", name, pid, why)
        start(role)
    return code


def _fork(role: Helper, told: int) -> int:
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
        role.first()
        if role.name != "server":  # `ps` and the tests tell it from the server
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_NAME, f"sc-{role.name}"[:15].encode())
        code = role.serve(lambda: _tell(told))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _tell(told: int) -> None:
    with contextlib.suppress(OSError):  # told already
        os.write(told, b"1")
        os.close(told)
