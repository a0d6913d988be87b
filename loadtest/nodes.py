"""The same chat load on one, two and three nodes of one service, and on one node alone.

Each setup starts its own gateways: ``sqlite`` is one node on its embedded SQLite log;
``postgres-N`` is N nodes sharing a fresh PostgreSQL database and a flushed Redis
database, citizens and officers spread over the nodes in turn (so with N nodes about
(N-1)/N of the exchanges cross nodes). The setups take turns, in an order that flips
from one repeat to the next. Reported for each run: delivered messages/s, delivery and
ack percentiles, the gateways' CPU per delivered message, and that of the PostgreSQL
and Redis servers (every process of theirs on the machine) per delivered message.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtest.chat import ChatConfig, run_chat
from loadtest.targets import Server, environment_note, start_server

SERVICE_PROGRAMS = ("postgres", "redis-server")


@dataclass
class NodesConfig:
    redis_url: str
    database_url: str
    """A PostgreSQL cluster where a database of each run's own is created and dropped."""
    node_counts: list[int] = field(default_factory=lambda: [1, 2, 3])
    with_sqlite: bool = True
    repeats: int = 2
    rate: float = 2000.0
    citizens: int = 100
    agents: int = 20
    max_chats: int = 10
    warmup_s: float = 2.0
    duration_s: float = 8.0
    workers: int = 2


def setups(config: NodesConfig) -> Iterator[str]:
    labels = (["sqlite"] if config.with_sqlite else []) + [
        f"postgres-{count}" for count in config.node_counts]
    for repeat in range(config.repeats):
        yield from labels if repeat % 2 == 0 else reversed(labels)


def run_nodes(config: NodesConfig,
              update: Callable[[int, int], None] = lambda _done, _all: None
              ) -> dict[str, Any]:
    runs = []
    planned = list(setups(config))
    for done, label in enumerate(planned, start=1):
        started = time.monotonic()
        try:
            result = _one_setup(config, label)
        except Exception as error:  # one failed setup is reported, the race goes on
            result = {"failures": [repr(error)[:2000]]}
        result.update(setup=label, wall_s=round(time.monotonic() - started, 1))
        runs.append(result)
        update(done, len(planned))
    return {"scenario": "nodes", "config": config.__dict__, "environment": environment_note(),
            "runs": runs, "summary": summarize(runs)}


def _one_setup(config: NodesConfig, label: str) -> dict[str, Any]:
    if label == "sqlite":
        alone = start_server("gateway")
        try:
            return _measure(config, [alone])
        finally:
            alone.stop()
    count = int(label.split("-", 1)[1])
    database = asyncio.run(_new_database(config.database_url))
    asyncio.run(_flush(config.redis_url))
    shared = ("--redis-url", config.redis_url, "--database-url", database)
    servers: list[Server] = []
    try:
        for _ in range(count):  # one at a time: the first migrates the schema
            servers.append(start_server("gateway", extra_args=shared))
        return _measure(config, servers)
    finally:
        for server in servers:
            server.stop()
        asyncio.run(_drop_database(config.database_url, database))


def _measure(config: NodesConfig, servers: list[Server]) -> dict[str, Any]:
    urls = tuple(server.url for server in servers)
    return run_chat(ChatConfig(
        url=urls[0], citizen_urls=urls[1:] + urls[:1], agent_urls=urls,
        citizens=config.citizens, agents=config.agents, max_chats=config.max_chats,
        agent_tokens=servers[0].agent_tokens(config.agents, config.max_chats),
        rate=config.rate, warmup_s=config.warmup_s, duration_s=config.duration_s,
        workers=config.workers, server_pids=tuple(server.pid for server in servers),
        service_pids=tuple(pids_of(SERVICE_PROGRAMS))))


def pids_of(programs: tuple[str, ...]) -> Iterator[int]:
    """Every process on the machine whose command name is one of ``programs``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if name in programs:
            yield int(entry.name)


async def _new_database(cluster_url: str) -> str:
    import asyncpg

    name = f"load_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(cluster_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return cluster_url.rsplit("/", 1)[0] + f"/{name}"


async def _drop_database(cluster_url: str, database_url: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(cluster_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database_url.rsplit("/", 1)[1]}"'
                            " WITH (FORCE)")
    finally:
        await admin.close()


async def _flush(redis_url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


def summarize(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per setup, the median over its repeats of each figure."""
    summary: dict[str, dict[str, Any]] = {}
    for label in dict.fromkeys(run["setup"] for run in runs):
        good = [run for run in runs if run["setup"] == label and not run.get("failures")]
        if not good:
            summary[label] = {"failures": len([r for r in runs if r["setup"] == label])}
            continue
        summary[label] = {
            "runs": len(good),
            "delivered_per_s": _median([run["delivered_rate"] for run in good]),
            "delivery_p50_ms": _median([run["delivery_ms"]["p50"] for run in good]),
            "delivery_p99_ms": _median([run["delivery_ms"]["p99"] for run in good]),
            "gateways_cpu_us_per_msg": _median(
                [run["server_cpu_us_per_msg"] for run in good]),
            "services_cpu_us_per_msg": _median(
                [run.get("services_cpu_us_per_msg") for run in good]),
            "ack_errors": sum(run["ack_errors"] for run in good),
        }
    return summary


def _median(values: list[Any]) -> float | None:
    numbers = sorted(value for value in values if value is not None)
    if not numbers:
        return None
    middle = len(numbers) // 2
    return float(numbers[middle] if len(numbers) % 2 else
                 (numbers[middle - 1] + numbers[middle]) / 2)
