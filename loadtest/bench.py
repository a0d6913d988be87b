"""A short regression benchmark (about a minute): the figures reviewers compare between commits.

Not a timed test: it prints and stores numbers, and never fails on them. Compare two
``loadtest/results/bench-<commit>.json`` files, or the tables printed at the end.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

from loadtest.race import RESULTS_DIR, RaceConfig, git_commit, run_race
from loadtest.resume_storm import ResumeStormConfig, run_resume_storm
from loadtest.sweep import SweepConfig, run_sweep
from loadtest.targets import start_server

BENCH = RaceConfig(
    servers=["node-json", "durable-json", "gateway-json", "gateway-msgpack"],
    rates=[5000, 0],
    duration_s=5.0,
    warmup_s=1.0,
    citizens=100,
    agents=10,
    max_chats=10,
    storm_connections=2000,
    storm_rate=1000.0,
    routing_waiting=1000,
)


SHORT_SWEEP = SweepConfig(sizes=[1000, 10000], rate=2000, duration_s=4.0, warmup_s=1.0)


def short_resume_storm() -> dict[str, Any]:
    """A gateway restart under 1,000 clients in conversations."""
    server = start_server("gateway", "json")
    try:
        config = ResumeStormConfig(url=server.url, citizens=980, agents=20, max_chats=50,
                                   agent_tokens=server.agent_tokens(20, 50), before_s=3.0,
                                   limit_s=60.0, after_s=2.0)
        return run_resume_storm(config, lambda mode: server.restart(signal.SIGTERM))
    finally:
        server.stop()


def short_sweep() -> dict[str, Any]:
    server = start_server("gateway", "json")
    try:
        return run_sweep(SHORT_SWEEP, server)
    finally:
        server.stop()


def summary_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for run in document["chat"]:
        if "delivery_ms" not in run:
            rows.append({"scenario": "chat", "server": run["server"], "failed": True})
            continue
        rows.append({
            "scenario": f"chat@{run['offered_rate']:g}" if run["offered_rate"] else "chat@sat",
            "server": run["server"], "delivered/s": run["delivered_rate"],
            "p50 ms": run["delivery_ms"]["p50"], "p99 ms": run["delivery_ms"]["p99"],
            "ack p99 ms": run["ack_ms"]["p99"], "server cpu": run["server_cpu"],
            "server us/msg": run.get("server_cpu_us_per_msg"),
            "client cpu": round(sum(run["client_cpu"]), 2),
        })
    for run in document["storm"]:
        rows.append({"scenario": "storm", "server": run["server"],
                     "connects/s": run.get("connects_per_s"),
                     "bytes/conn": run.get("bytes_per_idle_connection"),
                     "failures": run.get("failures")})
    for run in document["routing"]:
        rows.append({"scenario": "routing", "server": run["server"],
                     "assign/s": run.get("assignments_per_s"),
                     "reassign p99 ms": (run.get("reassign_ms") or {}).get("p99"),
                     "unassigned": run.get("unassigned")})
    storm = document.get("resume_storm")
    if storm is not None:
        rows.append({"scenario": "resume-storm", "server": "gateway-json",
                     "all back s": storm.get("all_back_s"),
                     "missing": storm.get("acked_missing_from_log"),
                     "duplicated": storm.get("duplicated_in_log"),
                     "failures": len(storm.get("failures", []))})
    for step in (document.get("sweep") or {}).get("steps", []):
        rows.append({"scenario": f"sweep@{step['open_conversations']}",
                     "server": "gateway-json",
                     "server us/msg": step["server_cpu_us_per_msg"],
                     "p99 ms": step["delivery_ms"]["p99"], "rss mb": step["server_rss_mb"]})
    return rows


def format_rows(rows: list[dict[str, Any]]) -> str:
    return "\n".join("  ".join(f"{key}={value}" for key, value in row.items()) for row in rows)


def run_bench(out_dir: Path = RESULTS_DIR) -> Path:
    out_path = out_dir / f"bench-{git_commit()}.json"
    document = run_race(BENCH, out_path)
    document["resume_storm"] = short_resume_storm()
    document["sweep"] = short_sweep()
    document["summary"] = summary_rows(document)
    out_path.write_text(json.dumps(document, indent=1, default=list))
    print(format_rows(document["summary"]))
    print(f"written {out_path}")
    return out_path
