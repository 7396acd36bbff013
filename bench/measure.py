"""What every bench prints the same way: the machine it ran on, percentiles with their n, a process's
CPU and memory, and a one-line verdict per target.

A figure is only worth what its samples are: a percentile comes with its n, and a p99 from fewer than
1,000 samples says so (``report``)."""

from __future__ import annotations

import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

LIBRARIES = ("aiohttp", "python-socketio", "python-engineio", "msgspec", "uvloop", "redis")
P99_SAMPLES = 1000  # fewer than this, and a p99 is closer to a maximum
OTHERS_PERCENT = 20  # of a core: other processes busier than this during a window, and the bench says so


def machine() -> str:
    """One line: cores, CPU, Python and the libraries that set the figures."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for name in LIBRARIES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} absent")
    return (
        f"machine: {os.cpu_count()} cores ({cpu}), Linux {platform.release()}, "
        f"Python {sys.version.split()[0]}; " + ", ".join(versions)
    )


def percentile(sorted_values: list[float], p: float) -> float:
    """The ``p``th percentile of already sorted values (nearest rank)."""
    return sorted_values[min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1))))]


def report(label: str, latencies: list[float], unit: str = "ms") -> None:
    """p50, p99 and max of ``latencies`` with their n (and a warning when n is too small for a p99)."""
    if not latencies:
        print(f"  {label:<44} no samples")
        return
    values = sorted(latencies)
    few = "  (n < 1,000: p99 is about the max)" if len(values) < P99_SAMPLES else ""
    print(
        f"  {label:<44} p50 {percentile(values, 50):8.2f} {unit}   p99 {percentile(values, 99):8.2f} {unit}   "
        f"max {values[-1]:8.2f} {unit}   (n={len(values)}){few}"
    )


def verdict(target: str, value: float, limit: float, unit: str, *, at_least: bool = False) -> bool:
    """Print one target's verdict line, e.g. ``MET     producer -> overlay p50: 1.21 ms (target <= 1.5 ms)``."""
    ok = value >= limit if at_least else value <= limit
    sign = ">=" if at_least else "<="
    print(f"{'MET' if ok else 'MISSED':<7} {target}: {value:,.2f} {unit} (target {sign} {limit:,.2f} {unit})")
    return ok


def progress(text: str) -> None:
    """What a long bench is doing now, on stderr: the figures stay alone on stdout."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def rss_mib(*pids: int) -> float:
    """Resident memory of processes (a server's owner and phones process), MiB, added up."""
    total = 0
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        total += int(status.split("VmRSS:")[1].split()[0])
    return total / 1024


def cpu_seconds(*pids: int) -> float:
    """User + system CPU time of processes so far, added up (0 for one that is gone)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time every process on the machine has used since boot (all cores, /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU used by groups of processes (the server, the phones, the bench) and by the rest of the machine,
    summed over labelled windows: a reader sees which one was the limit, and whether others shared it."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self.columns = [*groups, "others"]
        self.windows: dict[str, tuple[float, dict[str, float]]] = {}  # label -> (wall s, {column: cpu s})
        self.begin()

    def _now(self) -> tuple[float, dict[str, float]]:
        cpu = {g: sum(cpu_seconds(pid) for pid in pids) for g, pids in self.groups.items()}
        cpu["others"] = machine_busy_seconds() - sum(cpu.values())
        return time.perf_counter(), cpu

    def begin(self) -> None:
        self.start = self._now()

    def end(self, label: str) -> None:
        """Close the window opened by ``begin`` (or the last ``end``) under ``label``."""
        (t0, cpu0), (t1, cpu1) = self.start, self._now()
        wall, cpu = self.windows.get(label, (0.0, dict.fromkeys(self.columns, 0.0)))
        self.windows[label] = (wall + t1 - t0, {c: cpu[c] + cpu1[c] - cpu0[c] for c in self.columns})
        self.start = (t1, cpu1)

    def print(self) -> None:
        cores = os.cpu_count() or 1
        print(f"\nCPU, % of one core ({cores} cores: {100 * cores}% is all of them; others: the rest of the machine)")
        print(f"  {'':<36}" + "".join(f"{c:>10}" for c in self.columns) + f"{'seconds':>10}")
        for label, (wall, cpu) in self.windows.items():
            row = "".join(f"{100 * max(0.0, cpu[c]) / wall:>9.0f}%" for c in self.columns)
            print(f"  {label:<36}{row}{wall:>10.1f}")
        busy = {label: 100 * cpu["others"] / wall for label, (wall, cpu) in self.windows.items() if wall > 0}
        worst = max(busy, key=busy.__getitem__, default=None)
        if worst is not None and busy[worst] > OTHERS_PERCENT:
            print(
                f"WARNING other processes used {busy[worst]:.0f}% of a core during '{worst}': the machine was "
                "shared, and the figures of such windows are worse than the server's own"
            )
