"""Connection storm: anonymous citizens connect at a given rate up to a bound or to failure.

Reports connects/s achieved, connect latency (WebSocket open to the ``session`` event) and
the server's memory per idle connection (RSS growth divided by live connections).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loadtest.client import LeanClient
from loadtest.metrics import CpuMeter, own_cpu_seconds, percentiles, process_rss_bytes
from loadtest.wire import codec_for
from loadtest.workers import (
    BARRIER_TIMEOUT_S,
    collect_reports,
    new_session,
    parent_wait,
    report_from_worker,
    start_workers,
    wait_barrier,
)

SETTLE_S = 3.0


@dataclass
class StormConfig:
    url: str
    serializer: str = "json"
    connections: int = 10000
    rate: float = 1000.0
    """Offered connects per second, all workers together."""
    workers: int = 2
    in_flight: int = 256
    max_failures: int = 50
    """The storm stops (per worker) after this many failed connects."""
    server_pid: int | None = None


class StormWorker:
    def __init__(self, index: int, config: StormConfig) -> None:
        self.index = index
        self.config = config
        self.codec = codec_for(config.serializer)
        self.clients: list[LeanClient] = []
        self.connect_us: array[int] = array("q")
        self.failures = 0
        self.errors: list[str] = []

    async def connect_one(self, session: Any, gate: asyncio.Semaphore) -> None:
        async with gate:
            if self.failures >= self.config.max_failures:
                return
            started = time.monotonic_ns()
            session_seen = asyncio.get_running_loop().create_future()

            def on_event(event: str, data: Any) -> None:
                if event == "session" and not session_seen.done():
                    session_seen.set_result(None)

            client = LeanClient(self.codec, "/citizen", on_event)
            try:
                await client.connect(session, self.config.url, None)
                await asyncio.wait_for(session_seen, 30)
            except (OSError, TimeoutError, ConnectionError, Exception) as error:
                self.failures += 1
                if len(self.errors) < 5:
                    self.errors.append(repr(error)[:300])
                await client.close()
                return
            self.connect_us.append((time.monotonic_ns() - started) // 1000)
            self.clients.append(client)

    async def run(self, barrier: threading.Barrier) -> dict[str, Any]:
        count = len(range(self.index, self.config.connections, self.config.workers))
        rate = self.config.rate / self.config.workers
        async with new_session() as session:
            await wait_barrier(barrier)
            begin = time.monotonic()
            cpu0 = own_cpu_seconds()
            gate = asyncio.Semaphore(self.config.in_flight)
            tasks = []
            for number in range(count):
                await asyncio.sleep(max(0.0, begin + number / rate - time.monotonic()))
                if self.failures >= self.config.max_failures:
                    break
                tasks.append(asyncio.create_task(self.connect_one(session, gate)))
            await asyncio.gather(*tasks)
            elapsed = time.monotonic() - begin
            cpu = round((own_cpu_seconds() - cpu0) / elapsed, 3)
            await wait_barrier(barrier)
            await wait_barrier(barrier)
            alive = sum(not client.closed.is_set() for client in self.clients)
            await asyncio.gather(*(client.close() for client in self.clients))
        return {"worker": self.index, "connected": len(self.clients), "alive_at_end": alive,
                "failures": self.failures, "errors": self.errors, "elapsed_s": elapsed,
                "cpu_share": cpu,
                "connect_us": self.connect_us}


def _worker_main(index: int, config: StormConfig, barrier: threading.Barrier,
                 results: multiprocessing.Queue[dict[str, Any]]) -> None:
    report_from_worker(index, barrier, results, lambda: StormWorker(index, config).run(barrier))


def run_storm(config: StormConfig,
              while_held: Callable[[], None] | None = None) -> dict[str, Any]:
    """Run the storm; ``while_held`` runs in this process while every connection is open."""
    pool = start_workers(config.workers, _worker_main, config)
    barrier, results, processes = pool.barrier, pool.results, pool.processes
    pid = config.server_pid
    rss0 = rss1 = 0
    server_cpu = None
    try:
        if pid:
            rss0 = process_rss_bytes(pid)
        meter = CpuMeter(pid) if pid else None
        if meter:
            meter.start()
        parent_wait(barrier, processes)
        parent_wait(barrier, processes)
        server_cpu = meter.share() if meter else None
        time.sleep(SETTLE_S)
        if pid:
            rss1 = process_rss_bytes(pid)
        if while_held is not None:
            while_held()
        parent_wait(barrier, processes)
    except threading.BrokenBarrierError:
        pass
    reports = collect_reports(results, processes, BARRIER_TIMEOUT_S)
    return merge_storm(config, reports, rss0, rss1, server_cpu)


def merge_storm(config: StormConfig, reports: list[dict[str, Any]], rss0: int, rss1: int,
                server_cpu: float | None) -> dict[str, Any]:
    good = [report for report in reports if "error" not in report]
    connected = sum(report["connected"] for report in good)
    elapsed = max((report["elapsed_s"] for report in good), default=0.0)
    latencies = [value for report in good for value in report["connect_us"]]
    return {
        "offered_connects_per_s": config.rate,
        "target_connections": config.connections,
        "connected": connected,
        "alive_after_hold": sum(report["alive_at_end"] for report in good),
        "failures": sum(report["failures"] for report in good),
        "connects_per_s": round(connected / elapsed, 1) if elapsed else None,
        "connect_ms": percentiles(latencies),
        "server_cpu_during_storm": server_cpu,
        "client_cpu": [report["cpu_share"] for report in good],
        "server_rss_before_mb": round(rss0 / 2**20, 1),
        "server_rss_after_mb": round(rss1 / 2**20, 1),
        "bytes_per_idle_connection": round((rss1 - rss0) / connected) if connected else None,
        "errors": [error for report in good for error in report["errors"]][:5],
        "failures_detail": [report["error"] for report in reports if "error" in report],
    }
