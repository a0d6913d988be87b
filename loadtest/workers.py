"""Plumbing shared by the multi-process scenarios: event loop, barriers, bulk connects."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import queue
import threading
import traceback
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from multiprocessing.context import SpawnContext
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

import aiohttp

T = TypeVar("T")
BARRIER_TIMEOUT_S = 120.0


def spawn_context() -> SpawnContext:
    return multiprocessing.get_context("spawn")


@dataclass
class WorkerPool:
    barrier: threading.Barrier
    results: multiprocessing.Queue[dict[str, Any]]
    processes: list[BaseProcess]


def start_workers(count: int, target: Callable[..., None], config: Any,
                  *shared: Any) -> WorkerPool:
    """``count`` spawned processes running ``target(index, config, barrier, results,
    *shared)``; the barrier has one more party, for this process."""
    context = spawn_context()
    barrier = context.Barrier(count + 1)
    results: multiprocessing.Queue[dict[str, Any]] = context.Queue()
    processes: list[BaseProcess] = [
        context.Process(target=target, args=(index, config, barrier, results, *shared),
                        daemon=True)
        for index in range(count)]
    for process in processes:
        process.start()
    return WorkerPool(barrier, results, processes)


def run_loop(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``main`` on uvloop when it is installed, else on the default loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main())
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main())


async def wait_barrier(barrier: threading.Barrier, limit_s: float = BARRIER_TIMEOUT_S) -> None:
    """Wait on a multiprocessing barrier without blocking the event loop."""
    await asyncio.get_running_loop().run_in_executor(None, barrier.wait, limit_s)


def new_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True))


async def gather_limited(factories: Sequence[Callable[[], Awaitable[T]]],
                         concurrency: int = 64) -> list[T]:
    """Await the factories' results with at most ``concurrency`` in flight, in order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(factory: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await factory()

    return list(await asyncio.gather(*(one(factory) for factory in factories)))


def parent_wait(barrier: threading.Barrier, processes: Sequence[BaseProcess]) -> None:
    """Wait on the barrier from the parent, breaking it if a worker died before reaching it."""
    waiter = threading.Thread(target=_wait_quietly, args=(barrier,), daemon=True)
    waiter.start()
    while waiter.is_alive():
        waiter.join(0.2)
        if any(process.exitcode not in (None, 0) for process in processes):
            barrier.abort()
    if barrier.broken:
        raise threading.BrokenBarrierError


def _wait_quietly(barrier: threading.Barrier) -> None:
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(BARRIER_TIMEOUT_S)


def report_from_worker(index: int, barrier: threading.Barrier,
                       results: multiprocessing.Queue[dict[str, Any]],
                       main: Callable[[], Coroutine[Any, Any, dict[str, Any]]]) -> None:
    """Run one worker process's scenario and hand its report (or its failure) to the parent.

    A failing worker breaks the barrier so the others and the parent stop waiting for it.
    """
    try:
        report = run_loop(main)
    except BaseException as error:
        barrier.abort()
        results.put(failure_report(index, error))
        return
    results.put(report)


def collect_reports(results: multiprocessing.Queue[dict[str, Any]],
                    processes: Sequence[BaseProcess], limit_s: float) -> list[dict[str, Any]]:
    """One report per worker (a stand-in error for any that stays silent), then reap them."""
    reports: list[dict[str, Any]] = []
    try:
        for _ in processes:
            reports.append(results.get(timeout=limit_s))
    except queue.Empty:
        reports.append({"worker": -1, "error": "a worker sent no report in time"})
    for process in processes:
        process.join(10)
        if process.is_alive():
            process.kill()
    return reports


def failure_report(worker: int, error: BaseException) -> dict[str, Any]:
    return {"worker": worker, "error": "".join(traceback.format_exception(error))[-4000:]}
