"""The resume storm's PNG: clients back over time, and message latencies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def plot_resume_storm(result: dict[str, Any], out_path: Path) -> Path:
    figure, (back, latency) = plt.subplots(1, 2, figsize=(13, 5))
    for key, label in (("back_ms", "reconnected and resumed"),
                       ("served_again_ms", "citizen has an officer again")):
        points = result.get(key) or {}
        quantiles = [(value / 1000, share) for share, value in
                     ((0.5, points.get("p50")), (0.9, points.get("p90")),
                      (0.99, points.get("p99")), (1.0, points.get("max")))
                     if value is not None]
        if quantiles:
            back.plot([0, *(q[0] for q in quantiles)], [0, *(q[1] for q in quantiles)], "-o",
                      label=label)
    back.set(xlabel="seconds after the drop", ylabel="share of the dropped clients",
             title=f"Back after a {result.get('mode')} ({result.get('dropped')} dropped)")
    back.grid(True, alpha=0.3)
    back.legend(fontsize=8)
    groups = [("kept_delivery_ms", "kept going\n(during)"),
              ("delivery_during_storm_ms", "storming\n(during)"),
              ("delivery_after_ms", "after")]
    labels, p50, p99 = [], [], []
    for key, label in groups:
        points = result.get(key) or {}
        if points.get("p99") is not None:
            labels.append(label)
            p50.append(points["p50"])
            p99.append(points["p99"])
    positions = range(len(labels))
    latency.bar([x - 0.2 for x in positions], p50, width=0.4, label="p50")
    latency.bar([x + 0.2 for x in positions], p99, width=0.4, label="p99")
    latency.set_xticks(list(positions), labels)
    latency.set(ylabel="send to receive (ms)", yscale="log", title="Message latency")
    latency.legend(fontsize=8)
    figure.tight_layout()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out_path, dpi=110)
    plt.close(figure)
    return out_path
