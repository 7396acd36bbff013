"""bench/fanout.py runs end to end (``--quick``, showcaller and the bare baseline) and prints what every
bench prints: the machine, and a verdict per target. Its figures are not checked: benches measure,
tests do not time."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGETS = 7  # showcaller's: p50 and p99 idle and with the crowd, CPU per recipient, last phone, RSS


def test_quick_run_prints_the_machine_and_a_verdict_per_target() -> None:
    argv = [sys.executable, str(ROOT / "bench" / "fanout.py"), "--quick", "--servers", "showcaller,bare"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("machine: ") and "python-socketio" in lines[0]
    assert any(line.startswith("== showcaller: ") for line in lines)
    assert any(line.startswith("== bare python-socketio: ") for line in lines)
    # The producer and the graphic are the bench's own clients; python-socketio's times the same, for reference.
    assert sum("the same through python-socketio's client" in line for line in lines) == 2, done.stdout
    assert not [line for line in lines if line.lstrip().startswith("problem:")], done.stdout
    verdicts = [line for line in lines if re.match(r"(MET|MISSED) +\S", line)]
    assert len(verdicts) == TARGETS, done.stdout
    summary = lines.index(next(line for line in lines if line.startswith("== summary")))
    assert "sc/bare" in lines[summary + 1]
