"""Instructions the gateway's process executes per relayed message, counted by callgrind.

Wall-clock and CPU figures on a shared 2-core machine move with whatever else runs;
the number of instructions a process executes for the same work does not. The gateway
runs under ``valgrind --tool=callgrind`` with counting off; the chat scenario switches
it on for exactly its measurement window (``callgrind_control``), so start-up, log-in
and routing are not counted. The figure is instructions in the window / messages
sent in it; each message is also acknowledged, so it covers the whole
send → record → ack → deliver path of the gateway's own process. The evidence
writer's child process is not traced (it is not started under valgrind), as in the
CPU figures. Under valgrind the gateway runs about fifty times slower, so the rate is
low (twenty per second by default, from one load process) and the counts describe a
message in a quiet loop turn, not the batching of a loaded one. The machine must leave
it the CPU to keep up: ``delivered`` short of ``sent`` says it fell behind.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtest.chat import MAX_LAG_S, ChatConfig, run_chat
from loadtest.targets import start_server

TOTALS = re.compile(r"^totals: (\d+)", re.MULTILINE)


@dataclass
class InstructionConfig:
    serializer: str = "json"
    rate: float = 20.0
    duration_s: float = 30.0
    warmup_s: float = 5.0
    citizens: int = 20
    agents: int = 2
    max_chats: int = 10
    workers: int = 1
    """One load process: it can offer 20 messages per second (below ``workers /
    MAX_LAG_S`` every send would count as late and be skipped)."""
    gateway_args: tuple[str, ...] = ()
    keep: Path | None = None
    """Directory that keeps the callgrind dump (for ``callgrind_annotate``)."""


@dataclass
class CallgrindWindow:
    """Counting on while the window is open, then one dump of what it counted."""

    pid: int = 0
    log: list[str] = field(default_factory=list)

    def _control(self, *options: str) -> None:
        done = subprocess.run(["callgrind_control", *options, str(self.pid)],
                              capture_output=True, text=True, timeout=120)
        self.log.append(done.stdout + done.stderr)

    def opened(self) -> None:
        self._control("--zero")
        self._control("--instr=on")

    def closed(self) -> None:
        self._control("--instr=off")
        self._control("--dump=window")


def instructions_in(directory: Path, pid: int) -> int:
    """Instructions of the window's dump (the last part callgrind wrote for ``pid``)."""
    dumps = sorted(directory.glob(f"callgrind.out.{pid}.*"),
                   key=lambda path: int(path.name.rsplit(".", 1)[1]))
    if not dumps:
        raise RuntimeError(f"callgrind wrote no dump for {pid} in {directory}")
    found = TOTALS.search(dumps[-1].read_text(errors="replace"))
    if found is None:
        raise RuntimeError(f"no totals in {dumps[-1]}")
    return int(found.group(1))


def run_instructions(config: InstructionConfig) -> dict[str, Any]:
    if config.rate * MAX_LAG_S < config.workers:
        raise ValueError(f"at least {config.workers / MAX_LAG_S:g} messages per second "
                         f"for {config.workers} load processes")
    directory = config.keep or Path(tempfile.mkdtemp(prefix="callgrind-"))
    directory.mkdir(parents=True, exist_ok=True)
    launcher = ("valgrind", "--tool=callgrind", "--instr-atstart=no",
                f"--callgrind-out-file={directory}/callgrind.out.%p")
    server = start_server("gateway", config.serializer, extra_args=config.gateway_args,
                          launcher=launcher, health_limit_s=300)
    window = CallgrindWindow(server.pid)
    try:
        result = run_chat(ChatConfig(
            url=server.url, serializer=config.serializer, citizens=config.citizens,
            agents=config.agents, max_chats=config.max_chats,
            agent_tokens=server.agent_tokens(config.agents, config.max_chats),
            rate=config.rate, warmup_s=config.warmup_s, duration_s=config.duration_s,
            workers=config.workers, server_pid=server.pid), window)
    finally:
        server.stop()
    instructions = instructions_in(directory, server.pid)
    sent = round(result["sent_rate"] * config.duration_s)
    return {
        "instructions": instructions,
        "sent": sent,
        "delivered": round(result["delivered_rate"] * config.duration_s),
        "instructions_per_msg": round(instructions / sent) if sent else None,
        "acked": result["acked"],
        "ack_errors": result["ack_errors"],
        "delivery_ms": result["delivery_ms"],
        "dump_dir": str(directory) if config.keep else None,
    }
