"""Routing storm: thousands of citizens wait while agents take, close and churn.

Citizens open their conversations first, with no agent online, so all of them queue.
Then agents come online; each holds a conversation ``hold_s``, closes it and, after
``shift`` conversations, goes away, disconnects and reconnects (churn). Reported:
- queue wait at the citizen (open ack to ``conversation:assigned``),
- reassignment latency at the agent (``conversation:close`` sent to the next
  ``conversation:assigned`` to that agent): the router's own speed once a slot frees,
- assignments per second.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
from array import array
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from loadtest.client import LeanClient
from loadtest.metrics import CpuMeter, own_cpu_seconds, percentiles
from loadtest.wire import Codec, codec_for
from loadtest.workers import (
    BARRIER_TIMEOUT_S,
    collect_reports,
    gather_limited,
    new_session,
    parent_wait,
    report_from_worker,
    start_workers,
    wait_barrier,
)


@dataclass
class RoutingConfig:
    url: str
    serializer: str = "json"
    waiting: int = 2000
    agents: int = 20
    max_chats: int = 3
    agent_tokens: list[str] = field(default_factory=list)
    hold_s: float = 0.05
    shift: int = 25
    """Conversations an agent connection serves before it disconnects and reconnects."""
    workers: int = 2
    limit_s: float = 60.0
    server_pid: int | None = None


@dataclass
class RoutingTally:
    queue_wait_us: array[int] = field(default_factory=lambda: array("q"))
    reassign_us: array[int] = field(default_factory=lambda: array("q"))
    assigned_at: array[float] = field(default_factory=lambda: array("d"))
    closes: int = 0
    reconnects: int = 0
    adopted: int = 0
    errors: list[str] = field(default_factory=list)

    def note_error(self, error: Any) -> None:
        if len(self.errors) < 5:
            self.errors.append(repr(error)[:300])


class ChurningAgent:
    """One agent identity: serves, closes and reconnects every ``shift`` conversations."""

    def __init__(self, token: str, config: RoutingConfig, codec: Codec, tally: RoutingTally,
                 session: aiohttp.ClientSession) -> None:
        self.token = token
        self.config = config
        self.codec = codec
        self.tally = tally
        self.session = session
        self.client: LeanClient | None = None
        self.served = 0
        self.closing = 0
        self.holding: set[str] = set()
        self.closing_ns: deque[int] = deque()
        self.churning = False
        self.stopping = False
        self.empty = asyncio.Event()

    async def online(self) -> None:
        self.client = LeanClient(self.codec, "/agent", self.on_event)
        await self.client.connect(self.session, self.config.url, {"token": self.token})
        answer = await self.client.call("agent:status", {"status": "available"})
        if not answer.get("ok"):
            raise RuntimeError(f"agent:status refused: {answer}")

    def on_event(self, event: str, data: Any) -> None:
        if event != "conversation:assigned" or "conversation" not in data:
            return
        now = time.monotonic_ns()
        if self.closing_ns:
            self.tally.reassign_us.append((now - self.closing_ns.popleft()) // 1000)
        conversation_id = data["conversation"]["id"]
        self.holding.add(conversation_id)
        self.empty.clear()
        loop = asyncio.get_running_loop()
        loop.call_later(self.config.hold_s,
                        lambda: loop.create_task(self.close(conversation_id)))

    async def close(self, conversation_id: str) -> None:
        client = self.client
        if client is None or self.stopping:
            return
        self.closing += 1
        last_of_shift = self.closing % self.config.shift == 0 and not self.churning
        if last_of_shift:
            self.churning = True
        elif not self.churning:
            self.closing_ns.append(time.monotonic_ns())
        try:
            answer = await client.call("conversation:close", {"conversation_id": conversation_id})
        except (TimeoutError, ConnectionError) as error:
            if not self.stopping:
                self.tally.note_error(error)
            return
        finally:
            self.holding.discard(conversation_id)
            if not self.holding:
                self.empty.set()
        if not answer.get("ok"):
            self.tally.note_error(answer)
            return
        self.tally.closes += 1
        self.served += 1
        if last_of_shift:
            try:
                await self.churn()
            except (TimeoutError, ConnectionError, aiohttp.ClientError) as error:
                if not self.stopping:
                    self.tally.note_error(error)

    async def churn(self) -> None:
        """Go away, finish what is held, drop the connection and come back."""
        assert self.client is not None
        await self.client.call("agent:status", {"status": "away"})
        if self.holding:
            await self.empty.wait()
        self.closing_ns.clear()
        old, self.client = self.client, None
        await old.close()
        self.tally.reconnects += 1
        await self.online()
        await self.adopt_held()
        self.churning = False

    async def adopt_held(self) -> None:
        """Take back conversations assigned while the old connection was going away.

        An assignment can race the agent's "away": it then reached the dropped connection
        only. A real agent console lists its conversations on reconnect; so does this one.
        """
        assert self.client is not None
        answer = await self.client.call("conversation:list", {})
        for conversation in answer.get("conversations", []) if answer.get("ok") else []:
            if conversation.get("status") == "assigned" and conversation["id"] not in self.holding:
                self.tally.adopted += 1
                self.on_event("conversation:assigned", {"conversation": conversation})

    async def offline(self) -> None:
        self.stopping = True
        if self.client is not None:
            await self.client.close()


class RoutingWorker:
    def __init__(self, index: int, config: RoutingConfig) -> None:
        self.index = index
        self.config = config
        self.codec = codec_for(config.serializer)
        self.tally = RoutingTally()
        self.opened_ns: dict[str, int] = {}
        self.pending_events: dict[str, int] = {}
        self.citizens: list[LeanClient] = []
        self.queued_updates = 0

    def citizen_event(self, event: str, data: Any) -> None:
        if event == "conversation:assigned":
            now = time.monotonic_ns()
            opened = self.opened_ns.pop(data["conversation_id"], None)
            if opened is None:
                self.pending_events[data["conversation_id"]] = now
                return
            self.tally.queue_wait_us.append((now - opened) // 1000)
            self.tally.assigned_at.append(time.monotonic())
        elif event == "conversation:queued":
            self.queued_updates += 1

    async def open_citizen(self, session: aiohttp.ClientSession) -> None:
        client = LeanClient(self.codec, "/citizen", self.citizen_event)
        await client.connect(session, self.config.url, None)
        self.citizens.append(client)
        answer = await client.call("conversation:open", {"topic": "general", "service": "police"})
        if not answer.get("ok"):
            raise RuntimeError(f"conversation:open refused: {answer}")
        conversation_id = answer["conversation"]["id"]
        early = self.pending_events.pop(conversation_id, None)
        if early is None:
            self.opened_ns[conversation_id] = time.monotonic_ns()
        else:
            self.tally.queue_wait_us.append(0)
            self.tally.assigned_at.append(early / 1e9)

    async def run(self, barrier: threading.Barrier) -> dict[str, Any]:
        config = self.config
        count = len(range(self.index, config.waiting, config.workers))
        tokens = config.agent_tokens[self.index::config.workers]
        async with new_session() as session:
            await gather_limited([lambda: self.open_citizen(session)] * count, 32)
            await wait_barrier(barrier)
            begin = time.monotonic()
            cpu0 = own_cpu_seconds()
            agents = [ChurningAgent(token, config, self.codec, self.tally, session)
                      for token in tokens]
            await asyncio.gather(*(agent.online() for agent in agents))
            await wait_barrier(barrier)
            while time.monotonic() - begin < config.limit_s:
                if len(self.tally.queue_wait_us) >= count and not self.opened_ns:
                    break
                await asyncio.sleep(0.05)
            elapsed = time.monotonic() - begin
            cpu = round((own_cpu_seconds() - cpu0) / elapsed, 3)
            await wait_barrier(barrier)
            await asyncio.gather(*(agent.offline() for agent in agents))
            await asyncio.gather(*(client.close() for client in self.citizens))
        tally = self.tally
        return {"worker": self.index, "begin": begin, "elapsed_s": elapsed, "cpu_share": cpu,
                "citizens": count, "queue_wait_us": tally.queue_wait_us,
                "reassign_us": tally.reassign_us, "assigned_at": tally.assigned_at,
                "closes": tally.closes, "reconnects": tally.reconnects, "adopted": tally.adopted,
                "queued_updates": self.queued_updates, "errors": tally.errors}


def _worker_main(index: int, config: RoutingConfig, barrier: threading.Barrier,
                 results: multiprocessing.Queue[dict[str, Any]]) -> None:
    report_from_worker(index, barrier, results, lambda: RoutingWorker(index, config).run(barrier))


def run_routing(config: RoutingConfig) -> dict[str, Any]:
    if len(config.agent_tokens) != config.agents:
        raise ValueError("one agent token per agent is needed")
    pool = start_workers(config.workers, _worker_main, config)
    barrier, results, processes = pool.barrier, pool.results, pool.processes
    meter = CpuMeter(config.server_pid) if config.server_pid else None
    server_cpu = None
    try:
        parent_wait(barrier, processes)
        if meter:
            meter.start()
        parent_wait(barrier, processes)
        parent_wait(barrier, processes)
        server_cpu = meter.share() if meter else None
    except threading.BrokenBarrierError:
        pass
    reports = collect_reports(results, processes, BARRIER_TIMEOUT_S)
    return merge_routing(config, reports, server_cpu)


def merge_routing(config: RoutingConfig, reports: list[dict[str, Any]],
                  server_cpu: float | None) -> dict[str, Any]:
    good = [report for report in reports if "error" not in report]
    waits = [value for report in good for value in report["queue_wait_us"]]
    reassign = [value for report in good for value in report["reassign_us"]]
    begin = min((report["begin"] for report in good), default=0.0)
    last = max((max(report["assigned_at"], default=begin) for report in good), default=begin)
    assigned = len(waits)
    return {
        "waiting": config.waiting,
        "agents": config.agents,
        "max_chats": config.max_chats,
        "hold_s": config.hold_s,
        "shift": config.shift,
        "assigned": assigned,
        "unassigned": config.waiting - assigned,
        "assignments_per_s": round(assigned / (last - begin), 1) if last > begin else None,
        "queue_wait_ms": percentiles(waits),
        "reassign_ms": percentiles(reassign),
        "closes": sum(report["closes"] for report in good),
        "agent_reconnects": sum(report["reconnects"] for report in good),
        "adopted_after_reconnect": sum(report["adopted"] for report in good),
        "queued_updates_received": sum(report["queued_updates"] for report in good),
        "client_cpu": [report["cpu_share"] for report in good],
        "server_cpu": server_cpu,
        "errors": [error for report in good for error in report["errors"]][:5],
        "failures": [report["error"] for report in reports if "error" in report],
    }
