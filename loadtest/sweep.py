"""Cost against size: the same chat load with 1,000 to 100,000 other conversations open.

One gateway runs the whole sweep. Before each step, anonymous citizens open conversations
for the gendarmerie (no gendarmerie officer is on duty, so they all wait in its queue)
and hang up, until the step's count is open; then the chat scenario runs its usual load
(police citizens and officers) and closes its own conversations at the end. If the
server's work per message grew with the number of open or waiting conversations, its
CPU per delivered message would grow from step to step.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loadtest.chat import ChatConfig, run_chat
from loadtest.client import LeanClient
from loadtest.metrics import process_rss_bytes
from loadtest.targets import Server
from loadtest.wire import codec_for
from loadtest.workers import (
    collect_reports,
    new_session,
    parent_wait,
    report_from_worker,
    spawn_context,
    start_workers,
    wait_barrier,
)

FILL_IN_FLIGHT = 64


@dataclass
class SweepConfig:
    sizes: list[int] = field(default_factory=lambda: [1000, 10000, 100000])
    rate: float = 2000.0
    warmup_s: float = 2.0
    duration_s: float = 8.0
    citizens: int = 200
    agents: int = 20
    max_chats: int = 10
    workers: int = 2
    serializer: str = "json"


async def _open_and_hang_up(url: str, serializer: str, session: Any) -> None:
    client = LeanClient(codec_for(serializer), "/citizen", lambda event, data: None)
    try:
        await client.connect(session, url, None, limit_s=30)
        answer = await client.call("conversation:open",
                                   {"topic": "general", "service": "gendarmerie"})
        if not answer.get("ok"):
            raise RuntimeError(f"conversation:open refused: {answer}")
    finally:
        await client.close()


async def _fill_share(index: int, url: str, serializer: str, count: int,
                      barrier: threading.Barrier, progress: Any) -> dict[str, Any]:
    failures: list[str] = []
    gate = asyncio.Semaphore(FILL_IN_FLIGHT)

    async def one(session: Any) -> None:
        async with gate:
            try:
                await _open_and_hang_up(url, serializer, session)
            except Exception as error:
                failures.append(repr(error)[:200])
                return
            with progress.get_lock():
                progress.value += 1

    async with new_session() as session:
        await wait_barrier(barrier)
        await asyncio.gather(*(one(session) for _ in range(count)))
    return {"worker": index, "failures": len(failures), "errors": failures[:3]}


def _fill_main(index: int, job: tuple[str, str, int, int], barrier: threading.Barrier,
               results: multiprocessing.Queue[dict[str, Any]], progress: Any) -> None:
    url, serializer, count, workers = job
    share = len(range(index, count, workers))
    report_from_worker(index, barrier, results,
                       lambda: _fill_share(index, url, serializer, share, barrier, progress))


def open_waiting(url: str, serializer: str, count: int, workers: int,
                 on_progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Open ``count`` gendarmerie conversations whose citizens then disconnect."""
    if count <= 0:
        return {"opened": 0, "seconds": 0.0, "failures": 0}
    progress = spawn_context().Value("i", 0)
    pool = start_workers(workers, _fill_main, (url, serializer, count, workers), progress)
    begin = time.monotonic()
    parent_wait(pool.barrier, pool.processes)
    while any(process.is_alive() for process in pool.processes) and progress.value < count:
        if on_progress is not None:
            on_progress(progress.value)
        time.sleep(0.5)
    reports = collect_reports(pool.results, pool.processes, 600)
    if on_progress is not None:
        on_progress(progress.value)
    failed = sum(report.get("failures", 1) for report in reports)
    return {"opened": progress.value, "seconds": round(time.monotonic() - begin, 1),
            "failures": failed,
            "errors": [e for report in reports for e in report.get("errors", [])][:3]}


def run_sweep(config: SweepConfig, server: Server,
              on_fill: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    tokens = server.agent_tokens(config.agents, config.max_chats, prefix="sweep")
    steps: list[dict[str, Any]] = []
    failures: list[str] = []
    opened = 0
    for size in sorted(config.sizes):
        target = size

        def progress(value: int, start: int = opened, goal: int = target) -> None:
            if on_fill is not None:
                on_fill(start + value, goal)

        fill = open_waiting(server.url, config.serializer, size - opened, config.workers,
                            progress)
        opened += fill["opened"]
        if fill["failures"]:
            failures.append(f"opening up to {size}: {fill['failures']} failed {fill['errors']}")
        chat = run_chat(ChatConfig(
            url=server.url, serializer=config.serializer, citizens=config.citizens,
            agents=config.agents, max_chats=config.max_chats, agent_tokens=tokens,
            rate=config.rate, warmup_s=config.warmup_s, duration_s=config.duration_s,
            workers=config.workers, server_pid=server.pid, close_at_end=True))
        failures.extend(chat["failures"])
        steps.append({
            "open_conversations": opened, "opened_in_s": fill["seconds"],
            "server_rss_mb": round(process_rss_bytes(server.pid) / 2**20, 1),
            **{key: chat[key] for key in (
                "delivered_rate", "server_cpu", "server_cpu_us_per_msg", "delivery_ms",
                "ack_ms", "ack_errors", "skipped", "machine_busy_cores", "client_cpu")}})
    return {"rate": config.rate, "citizens": config.citizens, "agents": config.agents,
            "steps": steps, "failures": failures}
