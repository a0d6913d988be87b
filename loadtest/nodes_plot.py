"""The node-count PNG: throughput, latency and CPU per message for each setup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def plot_nodes(result: dict[str, Any], out_path: Path) -> Path:
    summary = {label: figures for label, figures in result["summary"].items()
               if "failures" not in figures}
    labels = list(summary)
    figure, (rate, latency, cpu) = plt.subplots(1, 3, figsize=(16, 5))
    rate.bar(labels, [summary[label]["delivered_per_s"] for label in labels])
    rate.set(ylabel="delivered messages / s", title=f"Offered {result['config']['rate']:g}/s")
    for key, offset in (("delivery_p50_ms", -0.2), ("delivery_p99_ms", 0.2)):
        rate_x = [index + offset for index in range(len(labels))]
        latency.bar(rate_x, [summary[label][key] or 0 for label in labels], width=0.4,
                    label=key.split("_")[1])
    latency.set_xticks(range(len(labels)), labels)
    latency.set(ylabel="send to receive (ms)", title="Delivery latency")
    latency.legend(fontsize=8)
    gateways = [summary[label]["gateways_cpu_us_per_msg"] or 0 for label in labels]
    services = [summary[label]["services_cpu_us_per_msg"] or 0 for label in labels]
    cpu.bar(labels, gateways, label="gateways")
    cpu.bar(labels, services, bottom=gateways, label="PostgreSQL + Redis")
    cpu.set(ylabel="CPU µs / delivered message", title="Work per message, all nodes")
    cpu.legend(fontsize=8)
    for axes in (rate, latency, cpu):
        axes.grid(True, axis="y", alpha=0.3)
    figure.tight_layout()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out_path, dpi=110)
    plt.close(figure)
    return out_path
