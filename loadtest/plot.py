"""PNG of a race: latency percentiles and delivered rate against offered load, per server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

STYLES = {"p50": ":", "p90": "--", "p99": "-"}


def _open_loop(runs: list[dict[str, Any]], server: str) -> list[dict[str, Any]]:
    chosen = [run for run in runs if run.get("server") == server and run.get("offered_rate")
              and "delivery_ms" in run]
    return sorted(chosen, key=lambda run: run["offered_rate"])


def plot_race(document: dict[str, Any], out_path: Path) -> Path:
    runs: list[dict[str, Any]] = document.get("chat", [])
    servers = list(dict.fromkeys(run["server"] for run in runs))
    figure, (latency, delivered, saturation) = plt.subplots(1, 3, figsize=(17, 5.5))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, server in enumerate(servers):
        colour = colours[index % len(colours)]
        points = _open_loop(runs, server)
        offered = [run["offered_rate"] for run in points]
        for key, style in STYLES.items():
            values = [run["delivery_ms"][key] for run in points]
            latency.plot(offered, values, style, color=colour, marker="o", markersize=3,
                         label=f"{server} {key}")
        delivered.plot(offered, [run["delivered_rate"] for run in points], "-o",
                       color=colour, label=server)
    latency.set(xlabel="offered messages/s", ylabel="send to receive at the other side (ms)",
                yscale="log", title="Delivery latency")
    latency.legend(fontsize=7, ncol=2)
    latency.grid(True, which="both", alpha=0.3)
    top = max((run["offered_rate"] for run in runs if run.get("offered_rate")), default=1)
    delivered.plot([0, top], [0, top], color="grey", linewidth=0.8, label="offered")
    delivered.set(xlabel="offered messages/s", ylabel="delivered messages/s",
                  title="Delivered rate")
    delivered.legend(fontsize=8)
    delivered.grid(True, alpha=0.3)
    _saturation_bars(saturation, runs, servers)
    commit = document.get("commit", "?")
    machine = document.get("machine", {})
    figure.suptitle(f"rtc-gateway vs Node socket.io relays - commit {commit}, "
                    f"{machine.get('cpus', '?')} CPUs, load avg {machine.get('loadavg_1m', '?')}")
    figure.tight_layout()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out_path, dpi=110)
    plt.close(figure)
    return out_path


def _saturation_bars(axes: Any, runs: list[dict[str, Any]], servers: list[str]) -> None:
    closed = {run["server"]: run for run in runs
              if run.get("offered_rate") == 0 and "delivered_rate" in run}
    labels = [server for server in servers if server in closed]
    rates = [closed[server]["delivered_rate"] for server in labels]
    bars = axes.bar(labels, rates, color="tab:gray")
    for bar, server in zip(bars, labels, strict=True):
        run = closed[server]
        note = f"p99 {run['delivery_ms']['p99']} ms\nclient cpu {sum(run['client_cpu']):.2f}"
        if run.get("server_cpu") is not None:
            note += f"\nserver cpu {run['server_cpu']:.2f}"
        axes.annotate(note, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                      ha="center", va="bottom", fontsize=7)
    axes.set(ylabel="delivered messages/s", title="Saturation (closed loop)")
    axes.tick_params(axis="x", labelrotation=20)
