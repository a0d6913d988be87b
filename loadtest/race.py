"""The race: the Node reference relays and rtc-gateway side by side, alternating, across loads.

Every run starts a fresh server, so no run inherits another's queues or evidence log.
After each run of the durable relay its log's hash chain is checked (``journal`` in the
run's figures); a broken chain or a record count other than the messages acked counts
as a failure of the run.
For each offered load the servers take turns, in an order that flips from one load to
the next, so slow drift on the shared machine does not favour one server.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm  # type: ignore[import-untyped]

from loadtest.chain import check_journal
from loadtest.chat import ChatConfig, run_chat
from loadtest.routing import RoutingConfig, run_routing
from loadtest.storm import StormConfig, run_storm
from loadtest.targets import KINDS, Server, environment_note, start_server

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class RaceConfig:
    servers: list[str] = field(default_factory=lambda: [
        "node-json", "durable-json", "gateway-json",
        "node-msgpack", "durable-msgpack", "gateway-msgpack"])
    rates: list[float] = field(default_factory=lambda: [2000, 5000, 10000, 15000, 20000, 0])
    """Offered messages/s; 0 means closed-loop saturation."""
    duration_s: float = 10.0
    warmup_s: float = 2.0
    workers: int = 2
    citizens: int = 200
    agents: int = 20
    max_chats: int = 10
    storm_connections: int = 0
    storm_rate: float = 1000.0
    routing_waiting: int = 0
    deflate: bool = False
    gateway_args: tuple[str, ...] = ()


def parse_server(label: str) -> tuple[str, str]:
    kind, _, serializer = label.partition("-")
    if kind not in KINDS or serializer not in ("json", "msgpack"):
        raise ValueError(f"server labels look like node-json, durable-json or gateway-msgpack, "
                         f"not {label!r}")
    return kind, serializer


def git_commit() -> str:
    completed = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                               text=True, cwd=Path(__file__).resolve().parent)
    return completed.stdout.strip() or "unknown"


def with_server(label: str, config: RaceConfig, action: Callable[[Server], dict[str, Any]]
                ) -> dict[str, Any]:
    kind, serializer = parse_server(label)
    server = start_server(kind, serializer, deflate=config.deflate,
                          extra_args=config.gateway_args if kind == "gateway" else ())
    try:
        result = action(server)
        server.stop(keep_data=True)
        if server.journal_path is not None:
            check_journal(server.journal_path, result)
    finally:
        server.stop()
    result["server"] = label
    return result


def chat_run(config: RaceConfig, rate: float) -> Callable[[Server], dict[str, Any]]:
    def action(server: Server) -> dict[str, Any]:
        return run_chat(ChatConfig(
            url=server.url, serializer=server.serializer, citizens=config.citizens,
            agents=config.agents, max_chats=config.max_chats,
            agent_tokens=server.agent_tokens(config.agents, config.max_chats), rate=rate,
            warmup_s=config.warmup_s, duration_s=config.duration_s, workers=config.workers,
            compress=15 if config.deflate else 0, server_pid=server.pid))
    return action


def storm_run(config: RaceConfig) -> Callable[[Server], dict[str, Any]]:
    def action(server: Server) -> dict[str, Any]:
        return run_storm(StormConfig(url=server.url, serializer=server.serializer,
                                     connections=config.storm_connections,
                                     rate=config.storm_rate, workers=config.workers,
                                     server_pid=server.pid))
    return action


def routing_run(config: RaceConfig) -> Callable[[Server], dict[str, Any]]:
    def action(server: Server) -> dict[str, Any]:
        return run_routing(RoutingConfig(url=server.url, serializer=server.serializer,
                                         waiting=config.routing_waiting, agents=20, max_chats=3,
                                         agent_tokens=server.agent_tokens(20, 3),
                                         workers=config.workers, server_pid=server.pid))
    return action


Run = tuple[str, str, dict[str, Any], Callable[[Server], dict[str, Any]]]


def schedule(config: RaceConfig) -> Iterator[Run]:
    """(scenario, server label, run facts, action) in run order; server order flips each step."""
    for step, rate in enumerate(config.rates):
        order = config.servers if step % 2 == 0 else list(reversed(config.servers))
        for label in order:
            yield "chat", label, {"offered_rate": rate}, chat_run(config, rate)
    # Storms send no message: the durable relay would repeat the bare relay's figures.
    without_log = [label for label in config.servers if not label.startswith("durable-")]
    if config.storm_connections:
        for label in without_log:
            yield "storm", label, {}, storm_run(config)
    if config.routing_waiting:
        for label in without_log:
            yield "routing", label, {}, routing_run(config)


def run_race(config: RaceConfig, out_path: Path) -> dict[str, Any]:
    """Run every scenario, writing the JSON after each run so an interrupted race keeps data."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    document: dict[str, Any] = {
        "commit": git_commit(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": environment_note(), "config": config.__dict__,
        "chat": [], "storm": [], "routing": [],
    }
    runs = list(schedule(config))
    with tqdm(runs, unit="run", desc="race") as bar:
        for scenario, label, facts, action in bar:
            bar.set_postfix_str(f"{scenario} {label} {facts}")
            try:
                result = with_server(label, config, action)
            except Exception as error:
                result = {"server": label, **facts, "failures": [repr(error)[:2000]]}
            document[scenario].append(result)
            out_path.write_text(json.dumps(document, indent=1, default=list))
    document["machine_after"] = environment_note()
    out_path.write_text(json.dumps(document, indent=1, default=list))
    return document
