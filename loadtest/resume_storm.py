"""Reconnection storm: every client of live conversations dropped at once, then resumed.

Citizens and officers converse at a slow rate; at one instant all of them lose their
connection, either because the gateway restarts (``restart``: SIGTERM, or SIGKILL with
``kill``, then the same command on the same port and data directory) or because the
network is cut (``cut``: each worker's clients go through a TCP relay of its own that
aborts every connection at once and refuses new ones for ``cut_s``). Each client then
does what the real pages do: reconnect with jittered exponential back-off, present its
token, take its conversations back with ``conversation:resume`` from the last ``seq`` it
holds, and send again what was never acknowledged, with the same ``client_msg_id``.

In ``cut`` mode a share of the conversations (``kept_share``: the gendarmerie ones, whose
citizens and officers connect directly) is not cut: the latency of their messages while
the others storm back is the "conversations that kept going" figure.

At the end every citizen reads its whole conversation from the log; the parent checks
that the log numbers each conversation 1..N once, that every acknowledged message of
either side is in it exactly once, and that each citizen had seen all of it before.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import multiprocessing
import random
import signal
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from loadtest.client import LeanClient
from loadtest.metrics import CpuMeter, percentiles
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

MODES = ("restart", "kill", "cut")
TICK_S = 0.1
FIRST_BACKOFF_S = 0.2
MAX_BACKOFF_S = 3.0
RETRYABLE = {"unavailable", "rate_limited"}


@dataclass
class ResumeStormConfig:
    url: str
    mode: str = "restart"
    serializer: str = "json"
    citizens: int = 9800
    agents: int = 200
    max_chats: int = 50
    agent_tokens: list[str] = field(default_factory=list)
    kept_agent_tokens: list[str] = field(default_factory=list)
    """Officers of the conversations a ``cut`` leaves alone (gendarmerie, direct)."""
    kept_share: float = 0.1
    rate_per_side: float = 0.2
    """message:send per second by each side of each conversation."""
    before_s: float = 5.0
    limit_s: float = 60.0
    """How long the clients have to come back after the drop."""
    after_s: float = 5.0
    cut_s: float = 2.0
    workers: int = 2
    server_pid: int | None = None

    @property
    def kept_citizens(self) -> int:
        return round(self.citizens * self.kept_share) if self.mode == "cut" else 0


class CutRelay:
    """A TCP relay in front of the gateway that can drop every connection at once."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._refuse_until = 0.0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=4096)
        self.port = self._server.sockets[0].getsockname()[1]

    def cut(self, refuse_s: float) -> int:
        """Abort both ends of every relayed connection; refuse new ones for ``refuse_s``."""
        self._refuse_until = time.monotonic() + refuse_s
        pairs, self._pairs = self._pairs, set()
        for client, upstream in pairs:
            client.transport.abort()
            upstream.transport.abort()
        return len(pairs)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self.cut(0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if time.monotonic() < self._refuse_until:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        pair = (writer, up_writer)
        self._pairs.add(pair)
        await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))
        self._pairs.discard(pair)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, ConnectionError):
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    writer.transport.abort()


@dataclass
class ConversationView:
    """What one side holds of one conversation."""

    seen: set[int] = field(default_factory=set)
    next_due: float = 0.0

    def held_up_to(self) -> int:
        """The last seq of the unbroken run 1..n this side holds."""
        seq = 0
        while seq + 1 in self.seen:
            seq += 1
        return seq


@dataclass
class Side:
    role: str
    kept: bool
    auth: dict[str, Any] | None
    client: LeanClient | None = None
    conversations: dict[str, ConversationView] = field(default_factory=dict)
    pending: dict[str, tuple[str, str]] = field(default_factory=dict)
    """client_msg_id -> (conversation, text): sent or to send, not acknowledged yet."""
    acked: dict[str, str] = field(default_factory=dict)
    """client_msg_id -> conversation of every message of this side the server acknowledged
    (kept when an officer loses the conversation: the check looks for it in the log)."""
    live: bool = False
    dropped_at: float | None = None
    resumed_at: float | None = None
    served_again_at: float | None = None
    reconnects: int = 0


@dataclass
class Tally:
    sent: int = 0
    acked: int = 0
    retried: int = 0
    ack_errors: Counter[str] = field(default_factory=Counter)
    redelivered: int = 0
    reassigned: int = 0
    kept_us: array[int] = field(default_factory=lambda: array("q"))
    during_us: array[int] = field(default_factory=lambda: array("q"))
    after_us: array[int] = field(default_factory=lambda: array("q"))
    errors: list[str] = field(default_factory=list)

    def note(self, error: Any) -> None:
        if len(self.errors) < 5:
            self.errors.append(repr(error)[:300])


class ResumeStormWorker:
    def __init__(self, index: int, config: ResumeStormConfig, progress: Any) -> None:
        self.index = index
        self.config = config
        self.codec = codec_for(config.serializer)
        self.progress = progress
        self.tally = Tally()
        self.citizens: list[Side] = []
        self.agents: list[Side] = []
        self.relay: CutRelay | None = None
        self.msg_ids = itertools.count()
        self.drop_at = float("inf")
        self.all_back_at = float("inf")
        self.stopping = False

    @property
    def sides(self) -> list[Side]:
        return self.agents + self.citizens

    def url_for(self, side: Side) -> str:
        if self.relay is None or side.kept:
            return self.config.url
        return f"http://127.0.0.1:{self.relay.port}"

    async def run(self, barrier: threading.Barrier, start: Any) -> dict[str, Any]:
        config = self.config
        if config.mode == "cut":
            port = int(config.url.rsplit(":", 1)[1])
            self.relay = CutRelay(port)
            await self.relay.start()
        async with new_session() as self.session:
            await self.set_up(barrier)
            await wait_barrier(barrier)
            begin = float(start.value)
            self.drop_at = begin + config.before_s
            talking = asyncio.create_task(self.talk())
            watchers = [asyncio.create_task(self.keep_connected(side)) for side in self.sides]
            if self.relay is not None:
                await asyncio.sleep(max(0.0, self.drop_at - time.monotonic()))
                self.relay.cut(config.cut_s)
            await self.wait_all_back()
            await asyncio.sleep(config.after_s)
            self.stopping = True
            await talking
            await asyncio.sleep(2.0)
            # Officers of another worker may still be talking to this worker's citizens:
            # every worker has stopped and drained before any reads its logs.
            await wait_barrier(barrier)
            for watcher in watchers:
                watcher.cancel()
            logs = await gather_limited([functools.partial(self.read_log, side)
                                         for side in self.citizens if side.live])
            await asyncio.gather(*(side.client.close() for side in self.sides if side.client))
        if self.relay is not None:
            await self.relay.close()
        return self.report(logs)

    # --- before the drop ------------------------------------------------------------

    async def set_up(self, barrier: threading.Barrier) -> None:
        config = self.config
        agents = [(t, False) for t in config.agent_tokens[self.index::config.workers]] + \
            [(t, True) for t in config.kept_agent_tokens[self.index::config.workers]]
        self.agents = [Side("agent", kept, {"token": token}) for token, kept in agents]
        await gather_limited([functools.partial(self.connect_agent, side)
                              for side in self.agents])
        await wait_barrier(barrier)
        numbers = range(self.index, config.citizens, config.workers)
        self.citizens = [Side("citizen", number < config.kept_citizens, None)
                         for number in numbers]
        await gather_limited([functools.partial(self.open_conversation, side)
                              for side in self.citizens])
        deadline = time.monotonic() + 60
        while any(side.served_again_at is None for side in self.citizens):
            if time.monotonic() > deadline:
                raise TimeoutError("citizens still waiting for an officer after 60 s")
            await asyncio.sleep(0.05)

    async def connect(self, side: Side) -> LeanClient:
        client = LeanClient(self.codec, "/agent" if side.role == "agent" else "/citizen",
                            lambda event, data: None)
        client.on_event = self.handler(side)
        await client.connect(self.session, self.url_for(side), side.auth, limit_s=10)
        side.client = client
        return client

    async def connect_agent(self, side: Side) -> None:
        client = await self.connect(side)
        answer = await client.call("agent:status", {"status": "available"})
        if not answer.get("ok"):
            raise RuntimeError(f"agent:status refused: {answer}")
        side.live = True

    async def open_conversation(self, side: Side) -> None:
        client = await self.connect(side)
        service = "gendarmerie" if side.kept else "police"
        answer = await client.call("conversation:open", {"topic": "general", "service": service})
        if not answer.get("ok"):
            raise RuntimeError(f"conversation:open refused: {answer}")
        side.conversations[answer["conversation"]["id"]] = ConversationView()
        if answer["conversation"].get("status") == "assigned":
            side.served_again_at = time.monotonic()
        side.live = True

    # --- what arrives -----------------------------------------------------------------

    def handler(self, side: Side) -> Callable[[str, Any], None]:
        tally = self.tally

        def handle(event: str, data: Any) -> None:
            if event == "message":
                self.on_message(side, data)
            elif event == "session":
                side.auth = {"token": data["token"]}
            elif event == "conversation:assigned":
                if side.role == "citizen":
                    if side.served_again_at is None or side.dropped_at is not None:
                        side.served_again_at = time.monotonic()
                else:
                    conversation_id = data["conversation"]["id"]
                    if conversation_id not in side.conversations:
                        side.conversations[conversation_id] = ConversationView()
                        if time.monotonic() > self.drop_at:
                            tally.reassigned += 1
                    for message in data.get("messages") or ():
                        side.conversations[conversation_id].seen.add(message["seq"])
            elif event in ("conversation:transferred", "conversation:closed") \
                    and side.role == "agent":
                side.conversations.pop(data.get("conversation_id"), None)

        return handle

    def on_message(self, side: Side, message: dict[str, Any]) -> None:
        view = side.conversations.get(message["conversation_id"])
        if view is None:
            return
        if message["seq"] in view.seen:
            self.tally.redelivered += 1
            return
        view.seen.add(message["seq"])
        now_ns = time.monotonic_ns()
        sent_ns, sender_kept, _ = message["text"].split(" ", 2)
        latency_us = (now_ns - int(sent_ns)) // 1000
        now = now_ns / 1e9
        if now < self.drop_at:
            return
        if now < self.all_back_at:
            if side.kept and sender_kept == "K":
                self.tally.kept_us.append(latency_us)
            else:
                self.tally.during_us.append(latency_us)
        else:
            self.tally.after_us.append(latency_us)

    # --- talking ----------------------------------------------------------------------

    async def talk(self) -> None:
        period = 1.0 / self.config.rate_per_side
        now = time.monotonic()
        for side in self.sides:
            for view in side.conversations.values():
                view.next_due = now + random.uniform(0, period)
        while not self.stopping:
            now = time.monotonic()
            for side in self.sides:
                if not side.live or side.client is None:
                    continue
                for conversation_id, view in list(side.conversations.items()):
                    if view.next_due <= now:
                        view.next_due = max(view.next_due + period, now)
                        await self.send(side, conversation_id, view)
            await asyncio.sleep(TICK_S)

    async def send(self, side: Side, conversation_id: str, view: ConversationView) -> None:
        msg_id = f"w{self.index}-{next(self.msg_ids)}"
        kept = "K" if side.kept else "C"
        text = f"{time.monotonic_ns()} {kept} {msg_id}"
        side.pending[msg_id] = (conversation_id, text)
        self.tally.sent += 1
        await self.emit(side, msg_id)

    async def emit(self, side: Side, msg_id: str) -> None:
        conversation_id, text = side.pending[msg_id]
        client = side.client
        if client is None:
            return

        def acked(answer: Any) -> None:
            if side.pending.pop(msg_id, None) is None:
                return
            if answer and answer.get("ok"):
                self.tally.acked += 1
                side.acked[msg_id] = conversation_id
                view = side.conversations.get(conversation_id)
                if view is not None:
                    view.seen.add(answer["message"]["seq"])
                return
            code = (answer or {}).get("error", {}).get("code", "none")
            if code in RETRYABLE:
                side.pending[msg_id] = (conversation_id, text)
            else:
                self.tally.ack_errors[code] += 1

        with contextlib.suppress(ConnectionError, aiohttp.ClientError, RuntimeError):
            await client.emit("message:send", {"conversation_id": conversation_id,
                                               "client_msg_id": msg_id, "text": text}, acked)

    # --- the drop and the way back -------------------------------------------------

    async def keep_connected(self, side: Side) -> None:
        while not self.stopping:
            assert side.client is not None
            await side.client.closed.wait()
            if self.stopping:
                return
            side.live = False
            side.dropped_at = time.monotonic()
            side.resumed_at = None
            await self.come_back(side)

    async def come_back(self, side: Side) -> None:
        delay = FIRST_BACKOFF_S
        while not self.stopping:
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
            try:
                await self.reconnect(side)
                return
            except Exception as error:
                if side.client is not None:
                    await side.client.close()
                delay = min(delay * 2, MAX_BACKOFF_S)
                if not isinstance(error, (OSError, TimeoutError, ConnectionError,
                                          aiohttp.ClientError)):
                    self.tally.note(error)

    async def reconnect(self, side: Side) -> None:
        client = await self.connect(side)
        side.reconnects += 1
        if side.role == "agent":
            answer = await client.call("agent:status", {"status": "available"}, 10)
            if not answer.get("ok"):
                raise RuntimeError(f"agent:status refused: {answer}")
            listed = await client.call("conversation:list", {}, 10)
            held = [conversation["id"] for conversation in listed.get("conversations") or ()]
            side.conversations = {conversation_id: side.conversations.get(
                conversation_id, ConversationView()) for conversation_id in held}
        for conversation_id, view in list(side.conversations.items()):
            await self.resume(client, conversation_id, view)
        for msg_id in list(side.pending):
            self.tally.retried += 1
            await self.emit(side, msg_id)
        side.live = True
        side.resumed_at = time.monotonic()
        with self.progress.get_lock():
            self.progress.value += 1

    async def resume(self, client: LeanClient, conversation_id: str,
                     view: ConversationView) -> None:
        after = view.held_up_to()
        while True:
            answer = await client.call("conversation:resume",
                                       {"conversation_id": conversation_id, "after_seq": after}, 10)
            if not answer.get("ok"):
                raise RuntimeError(f"resume refused: {answer}")
            messages = answer.get("messages") or []
            view.seen.update(message["seq"] for message in messages)
            if not answer.get("has_more") or not messages:
                return
            after = messages[-1]["seq"]

    async def wait_all_back(self) -> None:
        deadline = self.drop_at + self.config.limit_s
        await asyncio.sleep(max(0.0, self.drop_at + 0.5 - time.monotonic()))
        while time.monotonic() < deadline:
            dropped = [side for side in self.sides if side.dropped_at is not None]
            if dropped and all(side.resumed_at is not None for side in dropped) and \
                    (self.relay is not None or len(dropped) == len(self.sides)):
                break
            await asyncio.sleep(0.05)
        self.all_back_at = time.monotonic()

    # --- the check ------------------------------------------------------------------

    async def read_log(self, side: Side) -> dict[str, Any]:
        """The citizen's whole conversation as the log holds it."""
        (conversation_id, view), = side.conversations.items()
        seen_before = set(view.seen)
        texts: list[tuple[int, str]] = []
        after = 0
        assert side.client is not None
        while True:
            answer = await side.client.call(
                "conversation:resume", {"conversation_id": conversation_id, "after_seq": after},
                30)
            messages = answer.get("messages") or []
            texts.extend((m["seq"], m["text"].split(" ", 2)[2]) for m in messages)
            if not answer.get("has_more") or not messages:
                break
            after = messages[-1]["seq"]
        seqs = [seq for seq, _ in texts]
        return {"conversation": conversation_id, "seqs_ok": seqs == list(range(1, len(seqs) + 1)),
                "ids": [msg_id for _, msg_id in texts],
                "unseen": len(set(seqs) - seen_before)}

    def report(self, logs: list[dict[str, Any]]) -> dict[str, Any]:
        back = [side.resumed_at - self.drop_at for side in self.sides
                if side.dropped_at is not None and side.resumed_at is not None]
        served = [side.served_again_at - self.drop_at for side in self.citizens
                  if side.dropped_at is not None and side.served_again_at is not None
                  and side.served_again_at > self.drop_at]
        acked = {msg_id: conversation for side in self.sides
                 for msg_id, conversation in side.acked.items()}
        tally = self.tally
        return {
            "worker": self.index, "sides": len(self.sides),
            "dropped": sum(side.dropped_at is not None for side in self.sides),
            "resumed": len(back), "back_us": array("q", (int(s * 1e6) for s in back)),
            "served_again_us": array("q", (int(s * 1e6) for s in served)),
            "never_back": sum(side.dropped_at is not None and side.resumed_at is None
                              for side in self.sides),
            "reconnects": sum(side.reconnects for side in self.sides),
            "sent": tally.sent, "acked": tally.acked, "retried": tally.retried,
            "unacked_at_end": sum(len(side.pending) for side in self.sides),
            "ack_errors": dict(tally.ack_errors), "redelivered": tally.redelivered,
            "reassigned": tally.reassigned,
            "kept_us": tally.kept_us, "during_us": tally.during_us, "after_us": tally.after_us,
            "acked_ids": acked, "logs": logs, "errors": tally.errors,
            "all_back_s": round(self.all_back_at - self.drop_at, 3),
        }


def _worker_main(index: int, config: ResumeStormConfig, barrier: threading.Barrier,
                 results: multiprocessing.Queue[dict[str, Any]], start: Any,
                 progress: Any) -> None:
    worker = ResumeStormWorker(index, config, progress[index])
    report_from_worker(index, barrier, results, lambda: worker.run(barrier, start))


DropServer = Callable[[str], float]
"""Called at the drop instant with the mode; returns the seconds the server was down."""


def run_resume_storm(config: ResumeStormConfig, drop_server: DropServer | None,
                     on_progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    if config.mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    if config.mode != "cut" and drop_server is None:
        raise ValueError("a restart needs a server this run started")
    context = spawn_context()
    start = context.Value("d", 0.0)
    progress = [context.Value("i", 0) for _ in range(config.workers)]
    pool = start_workers(config.workers, _worker_main, config, start, progress)
    meter = CpuMeter(config.server_pid) if config.server_pid and config.mode == "cut" else None
    down_s = None
    total = config.citizens + config.agents + len(config.kept_agent_tokens)
    try:
        parent_wait(pool.barrier, pool.processes)
        start.value = time.monotonic() + 0.3
        parent_wait(pool.barrier, pool.processes)
        drop_at = start.value + config.before_s
        time.sleep(max(0.0, drop_at - time.monotonic()))
        if config.mode != "cut" and drop_server is not None:
            down_s = drop_server(config.mode)
        elif meter is not None:
            meter.start()
        expected = total - (config.kept_citizens + len(config.kept_agent_tokens))
        deadline = drop_at + config.limit_s
        while time.monotonic() < deadline:
            back = sum(value.value for value in progress)
            if on_progress is not None:
                on_progress(back, expected)
            if back >= expected:
                break
            time.sleep(0.2)
    except threading.BrokenBarrierError:
        pass
    server_cpu = meter.share() if meter is not None else None
    with contextlib.suppress(threading.BrokenBarrierError):
        parent_wait(pool.barrier, pool.processes)
    limit = config.before_s + config.limit_s + config.after_s + 120
    reports = collect_reports(pool.results, pool.processes, limit)
    merged = merge_resume_storm(config, reports)
    merged["server_down_s"] = down_s
    merged["server_cpu_during_storm"] = server_cpu
    return merged


def check_logs(reports: list[dict[str, Any]]) -> dict[str, int]:
    """Every acknowledged message once in its conversation's log; every log gapless."""
    logs = {log["conversation"]: log for report in reports for log in report["logs"]}
    in_logs: Counter[str] = Counter(msg_id for log in logs.values() for msg_id in log["ids"])
    acked: dict[str, str] = {}
    for report in reports:
        acked.update(report["acked_ids"])
    checked = {msg_id for msg_id, conversation in acked.items() if conversation in logs}
    return {
        "conversations_checked": len(logs),
        "logs_with_gaps": sum(not log["seqs_ok"] for log in logs.values()),
        "acked_checked": len(checked),
        "acked_missing_from_log": sum(in_logs[msg_id] == 0 for msg_id in checked),
        "duplicated_in_log": sum(count > 1 for count in in_logs.values()),
        "unseen_by_citizen": sum(log["unseen"] for log in logs.values()),
    }


def merge_resume_storm(config: ResumeStormConfig, reports: list[dict[str, Any]]) -> dict[str, Any]:
    failures = [report["error"] for report in reports if "error" in report]
    good = [report for report in reports if "error" not in report]

    def total(key: str) -> int:
        return sum(int(report[key]) for report in good)

    def joined(key: str) -> list[int]:
        return [value for report in good for value in report[key]]

    back = joined("back_us")
    checks = check_logs(good) if good else {}
    problems = {key: value for key, value in checks.items()
                if key not in ("conversations_checked", "acked_checked") and value}
    if total("never_back"):
        problems["never_back"] = total("never_back")
    if problems:
        failures.append(f"resume storm: {problems}")
    errors: Counter[str] = Counter()
    for report in good:
        errors.update(report["ack_errors"])
    return {
        "mode": config.mode, "citizens": config.citizens,
        "agents": config.agents + len(config.kept_agent_tokens),
        "kept_conversations": config.kept_citizens,
        "dropped": total("dropped"), "resumed": total("resumed"),
        "never_back": total("never_back"),
        "all_back_s": round(max(back) / 1e6, 3) if back else None,
        "back_ms": percentiles(back),
        "served_again_ms": percentiles(joined("served_again_us")),
        "reconnects": total("reconnects"), "reassigned": total("reassigned"),
        "sent": total("sent"), "acked": total("acked"), "retried": total("retried"),
        "unacked_at_end": total("unacked_at_end"), "ack_errors": dict(errors),
        "redelivered": total("redelivered"),
        "kept_delivery_ms": percentiles(joined("kept_us")),
        "delivery_during_storm_ms": percentiles(joined("during_us")),
        "delivery_after_ms": percentiles(joined("after_us")),
        **checks,
        "errors": [error for report in good for error in report["errors"]][:5],
        "failures": failures,
    }


def stop_signal(mode: str) -> signal.Signals:
    return signal.SIGKILL if mode == "kill" else signal.SIGTERM
