"""Profile the gateway under chat load with py-spy and summarise where its CPU goes.

The gateway runs under ``py-spy record --format raw`` (sampling, no code change) while
the lean load client drives it; the collapsed stacks are then ranked by self time and
inclusive time, per function and per library, into a JSON and a text report.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtest.chat import ChatConfig, run_chat
from loadtest.targets import start_server

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^:()]+)(?::(?P<line>\d+))?\)$")
LIBRARIES = ("aiohttp", "engineio", "socketio", "rtc_gateway", "msgpack", "msgspec",
             "sqlite3", "json", "logging", "asyncio", "uvloop", "cryptography", "prometheus")


@dataclass
class ProfileConfig:
    serializer: str = "json"
    rate: float = 5000.0
    duration_s: float = 15.0
    sample_rate: int = 200
    citizens: int = 200
    agents: int = 20
    max_chats: int = 10
    gateway_args: tuple[str, ...] = ()
    native: bool = False
    """Also sample C frames (uvloop, the interpreter, extension modules)."""


def child_pid(pid: int, limit_s: float = 10.0) -> int:
    """The first child of ``pid`` (the gateway started by py-spy)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        if children:
            return int(children[0])
        time.sleep(0.05)
    raise RuntimeError("py-spy started no gateway process")


def library_of(path: str) -> str:
    for library in LIBRARIES:
        if f"/{library}/" in path or path.startswith(f"{library}/") or \
                Path(path).stem == library:
            return library
    return "other" if path else "native"


def summarise(raw_path: Path, top: int = 25) -> dict[str, Any]:
    """Rank functions and libraries by self and inclusive samples from a raw py-spy file."""
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    library_self: Counter[str] = Counter()
    total = 0
    for line in raw_path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        names = []
        for frame in frames:
            match = FRAME.match(frame)
            path = match["file"] if match else ""
            names.append((f"{match['function']} ({_short(path)})" if match else frame, path))
        leaf_name, leaf_path = names[-1]
        self_time[leaf_name] += count
        library_self[library_of(leaf_path)] += count
        for name in {name for name, _ in names}:
            inclusive[name] += count

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, round(100 * value / total, 1)) for name, value in counter.most_common(top)]

    return {"samples": total, "self_pct": share(self_time), "inclusive_pct": share(inclusive),
            "library_self_pct": share(library_self)}


def _short(path: str) -> str:
    marker = "site-packages/"
    if marker in path:
        return path.split(marker, 1)[1]
    return path.split("/src/", 1)[1] if "/src/" in path else path


def profile_gateway(config: ProfileConfig, out_dir: Path) -> dict[str, Any]:
    spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if spy is None:
        raise RuntimeError("py-spy is not installed (pip install py-spy)")
    out_dir.mkdir(parents=True, exist_ok=True)
    raw_path = out_dir / f"gateway-{config.serializer}-{config.rate:g}.raw"
    launcher = (spy, "record", "--gil", *(("--native",) if config.native else ()),
                "--rate", str(config.sample_rate), "--format", "raw", "-o", str(raw_path), "--")
    server = start_server("gateway", config.serializer, launcher=launcher,
                          extra_args=config.gateway_args)
    gateway_pid = child_pid(server.pid)
    try:
        load = run_chat(ChatConfig(
            url=server.url, serializer=config.serializer, citizens=config.citizens,
            agents=config.agents, max_chats=config.max_chats,
            agent_tokens=server.agent_tokens(config.agents, config.max_chats),
            rate=config.rate, duration_s=config.duration_s, server_pid=gateway_pid))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(gateway_pid, signal.SIGTERM)
        server.process.wait(30)  # py-spy writes its file once the gateway has exited
        server.stop()
    report = {"config": config.__dict__, "load": load, "profile": summarise(raw_path),
              "raw": str(raw_path)}
    (out_dir / f"profile-{config.serializer}-{config.rate:g}.json").write_text(
        json.dumps(report, indent=1, default=list))
    return report


def format_profile(report: dict[str, Any]) -> str:
    profile = report["profile"]
    lines = [f"samples: {profile['samples']}", "", "by library (self %):"]
    lines += [f"  {pct:5.1f}  {name}" for name, pct in profile["library_self_pct"]]
    lines += ["", "functions by self %:"]
    lines += [f"  {pct:5.1f}  {name}" for name, pct in profile["self_pct"]]
    lines += ["", "functions by inclusive %:"]
    lines += [f"  {pct:5.1f}  {name}" for name, pct in profile["inclusive_pct"]]
    return "\n".join(lines)
