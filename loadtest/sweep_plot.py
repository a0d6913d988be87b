"""The size sweep's PNG: CPU per message, latency and memory against open conversations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def plot_sweep(result: dict[str, Any], out_path: Path) -> Path:
    steps = result["steps"]
    sizes = [step["open_conversations"] for step in steps]
    figure, (cpu, latency, memory) = plt.subplots(1, 3, figsize=(16, 5))
    cpu.plot(sizes, [step["server_cpu_us_per_msg"] for step in steps], "-o")
    cpu.set(xscale="log", xlabel="other conversations open", ylabel="server CPU µs / message",
            title=f"Work per message at {result['rate']:g} msg/s", ylim=(0, None))
    for key, style in (("p50", ":o"), ("p99", "-o")):
        latency.plot(sizes, [step["delivery_ms"][key] for step in steps], style, label=key)
    latency.set(xscale="log", xlabel="other conversations open", ylabel="send to receive (ms)",
                title="Delivery latency")
    latency.legend(fontsize=8)
    memory.plot(sizes, [step["server_rss_mb"] for step in steps], "-o")
    memory.set(xscale="log", xlabel="other conversations open", ylabel="server RSS (MB)",
               title="Memory")
    for axes in (cpu, latency, memory):
        axes.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out_path, dpi=110)
    plt.close(figure)
    return out_path
