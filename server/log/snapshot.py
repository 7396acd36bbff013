"""A snapshot's bytes: the show's state with each award written once.

The undo and redo history keep up to 60 earlier boards, and every board holds every award of the show
so far. Written as they are, a long show's snapshot repeats its awards 30 times (17 MB for a
100,000-event log, most of a restart's time). Here the boards' awards are runs over one table of
the distinct awards, and reading them back shares each award between the boards again, as in the
running server.
"""

from __future__ import annotations

import msgspec
from msgspec.structs import replace

from server.core.state import Award, ShowState, boards


class _Stored(msgspec.Struct, array_like=True):
    state: ShowState  # every board with its awards left out
    awards: list[Award]  # each distinct award once
    runs: list[list[int]]  # per board (the board, the undo boards, the redo boards): start, length, ...


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(_Stored)


def encode(state: ShowState) -> bytes:
    """The snapshot of ``state``."""
    table: dict[int, int] = {}  # id(award) -> its row: every award is alive while this runs
    awards: list[Award] = []
    runs: list[list[int]] = []
    previous: tuple[Award, ...] = ()
    for board in boards(state):
        # Boards next to each other in the history mostly differ by their last few awards.
        shared = _common_prefix(previous, board.awards)
        spans = _first(runs[-1], shared) if runs else []
        for award in board.awards[shared:]:
            row = table.get(id(award))
            if row is None:
                row = table[id(award)] = len(awards)
                awards.append(award)
            if spans and spans[-2] + spans[-1] == row:
                spans[-1] += 1
            else:
                spans += (row, 1)
        runs.append(spans)
        previous = board.awards
    return _encoder.encode(_Stored(_with_awards(state, [() for _ in runs]), awards, runs))


def decode(body: bytes) -> ShowState:
    """The state a snapshot holds; ``msgspec.DecodeError`` if the bytes are not one."""
    stored = _decoder.decode(body)
    per_board = [_gather(stored.awards, spans) for spans in stored.runs]
    if len(per_board) != 1 + len(stored.state.undo) + len(stored.state.redo):
        raise msgspec.DecodeError("a snapshot's award runs do not match its boards")
    return _with_awards(stored.state, per_board)


def _common_prefix(a: tuple[Award, ...], b: tuple[Award, ...]) -> int:
    """How many leading awards ``a`` and ``b`` have in common (tuple comparison: C speed, identity first)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _first(spans: list[int], count: int) -> list[int]:
    """The runs of ``spans`` that cover its first ``count`` rows."""
    kept: list[int] = []
    for at in range(0, len(spans) - 1, 2):
        if count <= 0:
            break
        kept += (spans[at], min(spans[at + 1], count))
        count -= spans[at + 1]
    return kept


def _gather(awards: list[Award], spans: list[int]) -> tuple[Award, ...]:
    rows: list[Award] = []
    for at in range(0, len(spans) - 1, 2):
        rows += awards[spans[at] : spans[at] + spans[at + 1]]
    return tuple(rows)


def _with_awards(state: ShowState, per_board: list[tuple[Award, ...]]) -> ShowState:
    """``state`` with each board's awards replaced, in ``boards`` order."""
    rest = iter(per_board[1:])
    undo = tuple(replace(entry, board=replace(entry.board, awards=next(rest))) for entry in state.undo)
    redo = tuple(replace(entry, board=replace(entry.board, awards=next(rest))) for entry in state.redo)
    return replace(state, board=replace(state.board, awards=per_board[0]), undo=undo, redo=redo)
