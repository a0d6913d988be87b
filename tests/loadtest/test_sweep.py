"""The size sweep, small, against a real gateway: each step holds what it says it holds."""

from pathlib import Path

import pytest

from loadtest.sweep import SweepConfig, run_sweep
from loadtest.sweep_plot import plot_sweep
from loadtest.targets import Server

pytestmark = pytest.mark.slow


def test_each_step_opens_more_conversations_and_measures_the_same_load(
        gateway: Server, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    result = run_sweep(SweepConfig(sizes=[30, 10], rate=200, warmup_s=0.5, duration_s=1.5,
                                   citizens=10, agents=2, max_chats=5),
                       gateway, lambda done, goal: seen.append((done, goal)))
    assert result["failures"] == [], result["failures"]
    steps = result["steps"]
    assert [step["open_conversations"] for step in steps] == [10, 30]
    assert seen[-1] == (30, 30)
    for step in steps:
        assert step["ack_errors"] == 0
        assert step["delivered_rate"] > 100
        assert step["server_cpu_us_per_msg"] is not None and step["server_cpu_us_per_msg"] > 0
    assert plot_sweep(result, tmp_path / "sweep.png").stat().st_size > 10_000
