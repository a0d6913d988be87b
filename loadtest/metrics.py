"""Latency percentiles and per-process CPU and memory, read from /proc."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass

PERCENTILES = (50, 90, 99, 99.9)
_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def percentiles(samples_us: Sequence[int]) -> dict[str, float | None]:
    """Nearest-rank percentiles in milliseconds (None when there is no sample)."""
    ordered = sorted(samples_us)
    result: dict[str, float | None] = {}
    for p in PERCENTILES:
        key = f"p{p:g}".replace(".", "_")
        if not ordered:
            result[key] = None
            continue
        rank = min(len(ordered) - 1, max(0, int(len(ordered) * p / 100 + 0.5) - 1))
        result[key] = round(ordered[rank] / 1000, 3)
    result["max"] = round(ordered[-1] / 1000, 3) if ordered else None
    return result


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, its reaped children and its live children
    (the gateway's evidence writer process counts as the gateway's CPU)."""
    return _own_and_reaped_cpu_seconds(pid) + sum(
        _own_and_reaped_cpu_seconds(child) for child in _live_children(pid))


def _own_and_reaped_cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / _TICKS


def _live_children(pid: int) -> list[int]:
    children: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return children
    for thread in threads:
        try:
            with open(f"/proc/{pid}/task/{thread}/children") as listed:
                children.extend(int(child) for child in listed.read().split())
        except FileNotFoundError:
            continue
    return children


def process_rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, all cores, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    return (total - idle) / _TICKS, total / _TICKS


@dataclass
class MachineMeter:
    """Busy cores of the whole machine over a window: shows load from other processes."""

    busy0: float = 0.0
    wall0: float = 0.0

    def start(self) -> None:
        self.busy0 = machine_busy_seconds()[0]
        self.wall0 = time.monotonic()

    def busy_cores(self) -> float:
        elapsed = time.monotonic() - self.wall0
        busy = machine_busy_seconds()[0] - self.busy0
        return round(busy / elapsed, 3) if elapsed else 0.0


@dataclass
class CpuMeter:
    """CPU share of one process over a window: 1.0 means one core fully busy."""

    pid: int
    cpu0: float = 0.0
    wall0: float = 0.0

    def start(self) -> None:
        self.cpu0 = process_cpu_seconds(self.pid)
        self.wall0 = time.monotonic()

    def share(self) -> float:
        elapsed = time.monotonic() - self.wall0
        return round((process_cpu_seconds(self.pid) - self.cpu0) / elapsed, 3) if elapsed else 0.0
