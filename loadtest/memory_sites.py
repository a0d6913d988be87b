"""Where a gateway's memory per idle connection goes: tracemalloc before and during a storm.

The gateway runs with the ``trace-memory`` launch patch; a snapshot of its top allocation
sites is taken before the storm and while every connection is held open, and the sites
are ranked by growth per connection. Python allocations only: buffers of C extensions
(uvloop, the kernel's socket buffers) show in RSS but not here.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from loadtest.storm import StormConfig, run_storm
from loadtest.targets import start_server


def _snapshot(pid: int, directory: Path) -> dict[str, int]:
    before = set(directory.glob("tracemalloc-*.tsv"))
    os.kill(pid, signal.SIGUSR2)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        fresh = set(directory.glob("tracemalloc-*.tsv")) - before
        if fresh:
            time.sleep(0.5)
            return _read(fresh.pop())
        time.sleep(0.2)
    raise TimeoutError("the gateway wrote no tracemalloc snapshot")


def _read(path: Path) -> dict[str, int]:
    sites: dict[str, int] = {}
    for line in path.read_text().splitlines():
        size, count, *site = line.split("\t")
        sites["total" if count == "total" else site[0]] = int(size)
    return sites


def memory_sites(connections: int = 2000, serializer: str = "json", top: int = 25
                 ) -> dict[str, Any]:
    launcher = (sys.executable, "-m", "loadtest.patched_serve", "--patches", "trace-memory", "--")
    directory = Path(tempfile.mkdtemp(prefix="load-memory-"))
    os.environ["LOADTEST_TRACEMALLOC_DIR"] = str(directory)
    server = start_server("gateway", serializer, launcher=launcher, data_dir=directory)
    try:
        baseline = _snapshot(server.pid, directory)
        held: dict[str, dict[str, int]] = {}
        result = run_storm(StormConfig(url=server.url, serializer=serializer,
                                       connections=connections, rate=500,
                                       server_pid=server.pid),
                           while_held=lambda: held.update(now=_snapshot(server.pid, directory)))
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
    during = held.get("now", {})
    connected = max(1, result["connected"])
    growth = sorted(((site, size - baseline.get(site, 0)) for site, size in during.items()
                     if site != "total"), key=lambda item: -item[1])
    return {
        "connected": result["connected"],
        "rss_bytes_per_connection": result["bytes_per_idle_connection"],
        "traced_bytes_per_connection": round(
            (during.get("total", 0) - baseline.get("total", 0)) / connected),
        "sites_bytes_per_connection": [(site, round(size / connected))
                                       for site, size in growth[:top]],
    }
