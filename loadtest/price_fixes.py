"""Price candidate fixes: the gateway with and without library patches, same load, alternating.

Each variant runs the chat scenario closed-loop (saturation); the figure that matters is
``server_cpu_us_per_msg``, the server's CPU per delivered message, which holds on a
machine where other programs take CPU too.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm  # type: ignore[import-untyped]

from loadtest.chat import ChatConfig, run_chat
from loadtest.targets import start_server

VARIANTS: list[tuple[str, str]] = [
    ("json", ""),
    ("json", "no-binary-scan"),
    ("json", "no-binary-scan,direct-emit"),
    ("msgpack", ""),
    ("msgpack", "direct-emit"),
]


def run_variant(serializer: str, patches: str, duration_s: float) -> dict[str, Any]:
    launcher = (sys.executable, "-m", "loadtest.patched_serve", "--patches", patches, "--")
    server = start_server("gateway", serializer, launcher=launcher)
    try:
        result = run_chat(ChatConfig(url=server.url, serializer=serializer, rate=0,
                                     duration_s=duration_s, warmup_s=2.0,
                                     agent_tokens=server.agent_tokens(20, 10),
                                     server_pid=server.pid))
    finally:
        server.stop()
    result["variant"] = f"gateway-{serializer}" + (f"+{patches}" if patches else "")
    return result


def price_fixes(out_path: Path, rounds: int = 2, duration_s: float = 8.0) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    plan = [variant for step in range(rounds)
            for variant in (VARIANTS if step % 2 == 0 else list(reversed(VARIANTS)))]
    for serializer, patches in tqdm(plan, unit="run", desc="price"):
        results.append(run_variant(serializer, patches, duration_s))
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(results, indent=1, default=list))
    return results
