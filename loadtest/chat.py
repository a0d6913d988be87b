"""Chat scenario: citizens and agents converse at an offered rate; latency at the other side.

Every worker process owns a slice of the citizens and of the agents. The router may pair
a citizen with an agent of another worker: latency still holds, because each text starts
with the sender's CLOCK_MONOTONIC time, which all processes of the machine share.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import multiprocessing.synchronize
import threading
import time
from array import array
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from loadtest.client import LeanClient
from loadtest.metrics import (
    CpuMeter,
    MachineMeter,
    own_cpu_seconds,
    percentiles,
    process_rss_bytes,
)
from loadtest.wire import codec_for
from loadtest.workers import (
    collect_reports,
    gather_limited,
    new_session,
    parent_wait,
    report_from_worker,
    spawn_context,
    start_workers,
    wait_barrier,
)

TICK_S = 0.004
MAX_LAG_S = 0.05
MAX_PENDING_ACKS = 2000


class WindowHook(Protocol):
    def opened(self) -> None: ...

    def closed(self) -> None: ...


@dataclass
class ChatConfig:
    url: str
    serializer: str = "json"
    citizens: int = 200
    agents: int = 20
    max_chats: int = 10
    agent_tokens: list[str] = field(default_factory=list)
    rate: float = 2000.0
    """Total offered message:send per second; 0 runs closed-loop to saturation."""
    window: int = 4
    """Messages in flight per conversation side in closed-loop mode."""
    warmup_s: float = 2.0
    duration_s: float = 10.0
    drain_s: float = 2.0
    workers: int = 2
    text_size: int = 64
    compress: int = 0
    """15 offers permessage-deflate (as browsers do); 0 offers no compression."""
    server_pid: int | None = None
    server_pids: tuple[int, ...] = ()
    """Several server processes (the nodes of one service): their CPU is summed."""
    service_pids: tuple[int, ...] = ()
    """Processes the servers lean on (PostgreSQL, Redis): their CPU is reported apart."""
    citizen_urls: tuple[str, ...] = ()
    agent_urls: tuple[str, ...] = ()
    """Several nodes: the k-th citizen (agent) of a worker connects to the k-th URL, in
    turn; empty: ``url``."""
    close_at_end: bool = False
    """Citizens close their conversations after the drain, so the next run on the same
    server finds every officer's slots free (the size sweep runs several in a row)."""


@dataclass
class WorkerTally:
    """What one worker saw inside the measurement window."""

    window_start_ns: int = 0
    window_end_ns: int = 0
    sent: int = 0
    sent_in_window: int = 0
    skipped: int = 0
    acked: int = 0
    ack_errors: int = 0
    received: int = 0
    received_in_window: int = 0
    deliver_us: array[int] = field(default_factory=lambda: array("q"))
    ack_us: array[int] = field(default_factory=lambda: array("q"))
    errors: list[str] = field(default_factory=list)

    def in_window(self, now_ns: int) -> bool:
        return self.window_start_ns <= now_ns < self.window_end_ns

    def note_error(self, error: Any) -> None:
        if len(self.errors) < 5:
            self.errors.append(repr(error)[:300])


class ChatWorker:
    """One process's share of the chat scenario."""

    def __init__(self, index: int, config: ChatConfig) -> None:
        self.index = index
        self.config = config
        self.codec = codec_for(config.serializer)
        self.tally = WorkerTally()
        self.senders: list[tuple[LeanClient, str]] = []
        self.clients: list[LeanClient] = []
        self.assigned = 0
        self.nudges = 0
        self.agents: list[LeanClient] = []
        self.own_conversations: list[tuple[LeanClient, str]] = []
        self.filler = "x" * max(1, config.text_size - 20)
        self.msg_ids = itertools.count()

    def on_event(self, client: LeanClient) -> Any:
        tally = self.tally

        def handle(event: str, data: Any) -> None:
            if event == "message":
                now = time.monotonic_ns()
                tally.received += 1
                if tally.in_window(now):
                    tally.received_in_window += 1
                    sent_ns = int(data["text"].split(" ", 1)[0])
                    tally.deliver_us.append((now - sent_ns) // 1000)
            elif event == "conversation:assigned":
                conversation = data.get("conversation")
                if conversation is not None:
                    self.senders.append((client, conversation["id"]))
                else:
                    self.assigned += 1

        return handle

    async def connect(self, namespace: str, auth: dict[str, Any] | None) -> LeanClient:
        client = LeanClient(self.codec, namespace, lambda event, data: None)
        client.on_event = self.on_event(client)
        await client.connect(self.session, self.url_for(namespace), auth,
                             compress=self.config.compress)
        self.clients.append(client)
        return client

    def url_for(self, namespace: str) -> str:
        urls = self.config.agent_urls if namespace == "/agent" else self.config.citizen_urls
        if not urls:
            return self.config.url
        done = len(self.agents) if namespace == "/agent" else len(self.own_conversations)
        return urls[(done + self.index) % len(urls)]

    async def start_agent(self, token: str) -> None:
        client = await self.connect("/agent", {"token": token})
        self.agents.append(client)
        answer = await client.call("agent:status", {"status": "available"})
        if not answer.get("ok"):
            raise RuntimeError(f"agent:status refused: {answer}")

    async def start_citizen(self) -> None:
        client = await self.connect("/citizen", None)
        answer = await client.call("conversation:open", {"topic": "general", "service": "police"})
        if not answer.get("ok"):
            raise RuntimeError(f"conversation:open refused: {answer}")
        self.senders.append((client, answer["conversation"]["id"]))
        self.own_conversations.append((client, answer["conversation"]["id"]))

    async def run(self, barrier: threading.Barrier, start: Any) -> dict[str, Any]:
        config = self.config
        tokens = config.agent_tokens[self.index::config.workers]
        citizens = len(range(self.index, config.citizens, config.workers))
        async with new_session() as self.session:
            await gather_limited([functools.partial(self.start_agent, t) for t in tokens])
            await wait_barrier(barrier)
            await gather_limited([self.start_citizen for _ in range(citizens)])
            await self.wait_assigned(citizens)
            await wait_barrier(barrier)
            await wait_barrier(barrier)
            begin = float(start.value)
            tally = self.tally
            tally.window_start_ns = int((begin + config.warmup_s) * 1e9)
            tally.window_end_ns = tally.window_start_ns + int(config.duration_s * 1e9)
            await asyncio.sleep(max(0.0, begin - time.monotonic()))
            cpu = await self.load_and_measure_cpu(begin)
            await asyncio.sleep(config.drain_s)
            if config.close_at_end:
                await gather_limited([
                    functools.partial(client.call, "conversation:close",
                                      {"conversation_id": conversation_id})
                    for client, conversation_id in self.own_conversations])
            await asyncio.gather(*(client.close() for client in self.clients))
        report = asdict(tally)
        report.update(worker=self.index, cpu_share=cpu, senders=len(self.senders),
                      nudges=self.nudges)
        return report

    async def wait_assigned(self, citizens: int) -> None:
        """Wait until every citizen of this worker has an agent.

        When assignment stalls, this worker's agents repeat ``agent:status available``,
        which makes a server assign waiting conversations again; ``nudges`` counts how
        often that was needed (a server that routes every arrival needs none).
        """
        deadline = time.monotonic() + 30
        seen, stalled_at = -1, time.monotonic()
        while self.assigned < citizens:
            now = time.monotonic()
            if now > deadline:
                raise TimeoutError(f"only {self.assigned}/{citizens} citizens were assigned; "
                                   f"{len(self.senders)} senders here")
            if self.assigned != seen:
                seen, stalled_at = self.assigned, now
            elif now - stalled_at > 1.0:
                self.nudges += 1
                stalled_at = now
                for agent in self.agents:
                    await agent.call("agent:status", {"status": "available"})
            await asyncio.sleep(0.05)

    async def load_and_measure_cpu(self, begin: float) -> float:
        stop_at = begin + self.config.warmup_s + self.config.duration_s
        sending = asyncio.create_task(
            self.closed_loop(stop_at) if self.config.rate <= 0 else self.open_loop(begin, stop_at))
        await asyncio.sleep(max(0.0, begin + self.config.warmup_s - time.monotonic()))
        cpu0, wall0 = own_cpu_seconds(), time.monotonic()
        await sending
        return round((own_cpu_seconds() - cpu0) / (time.monotonic() - wall0), 3)

    async def send(self, sender: tuple[LeanClient, str], on_ack: Any = None) -> None:
        client, conversation_id = sender
        tally = self.tally
        sent_ns = time.monotonic_ns()
        in_window = tally.in_window(sent_ns)
        tally.sent += 1
        tally.sent_in_window += in_window

        def acked(answer: Any) -> None:
            if answer and answer.get("ok"):
                tally.acked += 1
                if in_window:
                    tally.ack_us.append((time.monotonic_ns() - sent_ns) // 1000)
            else:
                tally.ack_errors += 1
                tally.note_error(answer)
            if on_ack is not None:
                on_ack()

        await client.emit("message:send", {
            "conversation_id": conversation_id,
            "client_msg_id": f"w{self.index}-{next(self.msg_ids)}",
            "text": f"{sent_ns} {self.filler}",
        }, acked)

    async def open_loop(self, begin: float, stop_at: float) -> None:
        """Send at the offered rate whatever the answers; lag beyond MAX_LAG_S is skipped."""
        rate = self.config.rate / self.config.workers
        issued = 0
        turn = itertools.cycle(range(len(self.senders)))
        while (now := time.monotonic()) < stop_at:
            due = int((now - begin) * rate) - issued
            if due > rate * MAX_LAG_S:
                lag = due - int(rate * MAX_LAG_S)
                self.tally.skipped += lag
                issued += lag
                due -= lag
            for _ in range(due):
                sender = self.senders[next(turn)]
                if sender[0].pending_acks < MAX_PENDING_ACKS:
                    await self.send(sender)
                else:
                    self.tally.skipped += 1
            issued += due
            await asyncio.sleep(TICK_S)

    async def closed_loop(self, stop_at: float) -> None:
        """Keep ``window`` messages in flight per conversation side: the saturation rate."""
        ready: deque[int] = deque(
            index for index in range(len(self.senders)) for _ in range(self.config.window))
        wake = asyncio.Event()

        def freed(index: int) -> Any:
            def again() -> None:
                ready.append(index)
                wake.set()
            return again

        while time.monotonic() < stop_at:
            while ready and time.monotonic() < stop_at:
                index = ready.popleft()
                await self.send(self.senders[index], freed(index))
            wake.clear()
            try:
                await asyncio.wait_for(wake.wait(), 1.0)
            except TimeoutError:
                continue


def _worker_main(index: int, config: ChatConfig, barrier: threading.Barrier,
                 results: multiprocessing.Queue[dict[str, Any]], start: Any) -> None:
    report_from_worker(index, barrier, results,
                       lambda: ChatWorker(index, config).run(barrier, start))


def run_chat(config: ChatConfig, window: WindowHook | None = None) -> dict[str, Any]:
    """Run the chat scenario with ``config.workers`` processes; return merged figures.

    ``window`` is told when the measurement window opens and closes (an instruction
    counter switched on for it, ``loadtest/instructions.py``)."""
    if config.agents * config.max_chats < config.citizens:
        raise ValueError("agents * max_chats must cover every citizen")
    if len(config.agent_tokens) != config.agents:
        raise ValueError("one agent token per agent is needed")
    start = spawn_context().Value("d", 0.0)
    pool = start_workers(config.workers, _worker_main, config, start)
    barrier, processes = pool.barrier, pool.processes
    server = CpuMeter(config.server_pid) if config.server_pid else None
    nodes = [CpuMeter(pid) for pid in config.server_pids]
    services = [CpuMeter(pid) for pid in config.service_pids]
    machine = MachineMeter()
    try:
        parent_wait(barrier, processes)
        parent_wait(barrier, processes)
        start.value = time.monotonic() + 0.3
        parent_wait(barrier, processes)
        time.sleep(max(0.0, start.value + config.warmup_s - time.monotonic()))
        machine.start()
        for meter in [server, *nodes, *services]:
            if meter is not None:
                meter.start()
        if window is not None:
            window.opened()
        time.sleep(config.duration_s)
        if window is not None:
            window.closed()
    except threading.BrokenBarrierError:
        pass
    busy = machine.busy_cores()
    server_cpu = server.share() if server is not None else (
        round(sum(meter.share() for meter in nodes), 3) if nodes else None)
    services_cpu = round(sum(meter.share() for meter in services), 3) if services else None
    server_rss = process_rss_bytes(server.pid) if server is not None else None
    limit_s = config.warmup_s + config.duration_s + config.drain_s + 60
    reports = collect_reports(pool.results, processes, limit_s)
    merged = merge_reports(config, reports, server_cpu, server_rss)
    merged["machine_busy_cores"] = busy
    if services_cpu is not None:
        merged["services_cpu"] = services_cpu
        merged["services_cpu_us_per_msg"] = round(
            services_cpu * 1e6 / merged["delivered_rate"], 1) if merged["delivered_rate"] else None
    delivered = merged["delivered_rate"]
    # CPU per delivered message holds even when other programs starve the server of CPU.
    merged["server_cpu_us_per_msg"] = round(server_cpu * 1e6 / delivered, 1) \
        if server_cpu and delivered else None
    return merged


def merge_reports(config: ChatConfig, reports: list[dict[str, Any]], server_cpu: float | None,
                  server_rss: int | None) -> dict[str, Any]:
    failures = [report["error"] for report in reports if "error" in report]
    good = [report for report in reports if "error" not in report]

    def total(key: str) -> int:
        return sum(int(report[key]) for report in good)

    deliver = [value for report in good for value in report["deliver_us"]]
    acks = [value for report in good for value in report["ack_us"]]
    duration = config.duration_s
    return {
        "offered_rate": config.rate,
        "mode": "closed-loop" if config.rate <= 0 else "open-loop",
        "citizens": config.citizens,
        "agents": config.agents,
        "workers": config.workers,
        "duration_s": duration,
        "sent_rate": round(total("sent_in_window") / duration, 1),
        "delivered_rate": round(total("received_in_window") / duration, 1),
        "acked": total("acked"),
        "ack_errors": total("ack_errors"),
        "sent": total("sent"),
        "received": total("received"),
        "skipped": total("skipped"),
        "assignment_nudges": total("nudges"),
        "delivery_ms": percentiles(deliver),
        "ack_ms": percentiles(acks),
        "client_cpu": [report["cpu_share"] for report in good],
        "server_cpu": server_cpu,
        "server_rss_mb": round(server_rss / 2**20, 1) if server_rss else None,
        "errors": [error for report in good for error in report["errors"]][:5],
        "failures": failures,
    }
