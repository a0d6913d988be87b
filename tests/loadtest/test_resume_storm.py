"""The reconnection storm against a real gateway, small: everyone back, nothing lost.

Not timed tests: they check that the scenario drops every client, brings each back,
and that its log check would see a lost or duplicated message.
"""

import signal
from pathlib import Path

import pytest

from loadtest.resume_storm import ResumeStormConfig, check_logs, run_resume_storm
from loadtest.resume_storm_plot import plot_resume_storm
from loadtest.targets import Server

pytestmark = pytest.mark.slow


def small(gateway: Server, mode: str, **changes: object) -> ResumeStormConfig:
    config = ResumeStormConfig(
        url=gateway.url, mode=mode, citizens=12, agents=3, max_chats=5,
        agent_tokens=gateway.agent_tokens(3, 5), rate_per_side=2.0, before_s=1.5,
        limit_s=30, after_s=1.0, cut_s=0.5, workers=2, server_pid=gateway.pid)
    for key, value in changes.items():
        setattr(config, key, value)
    return config


def assert_everyone_back_with_everything(result: dict[str, object], dropped: int) -> None:
    assert result["failures"] == [], result["failures"]
    assert result["dropped"] == dropped
    assert result["resumed"] == dropped and result["never_back"] == 0
    assert result["conversations_checked"] == 12
    assert result["acked_checked"] == result["acked"] > 0
    assert result["acked_missing_from_log"] == 0
    assert result["duplicated_in_log"] == 0
    assert result["logs_with_gaps"] == 0
    assert result["unseen_by_citizen"] == 0


def test_a_restart_drops_everyone_and_all_resume(gateway: Server, tmp_path: Path) -> None:
    result = run_resume_storm(small(gateway, "restart"),
                              lambda mode: gateway.restart(signal.SIGTERM))
    assert_everyone_back_with_everything(result, dropped=15)
    assert result["server_down_s"] is not None and result["server_down_s"] > 0
    assert plot_resume_storm(result, tmp_path / "storm.png").stat().st_size > 10_000


def test_a_cut_spares_the_direct_conversations(gateway: Server) -> None:
    kept_agents = gateway.agent_tokens(1, 5, "kept", "gendarmerie")
    result = run_resume_storm(small(gateway, "cut", kept_share=0.25,
                                    kept_agent_tokens=kept_agents), None)
    assert_everyone_back_with_everything(result, dropped=12 - 3 + 3)
    assert result["kept_conversations"] == 3
    kept = result["kept_delivery_ms"]
    assert isinstance(kept, dict) and kept["p99"] is not None


def test_the_log_check_sees_a_lost_and_a_duplicated_message() -> None:
    report = {"logs": [{"conversation": "c1", "seqs_ok": True, "ids": ["a", "b", "b"],
                        "unseen": 0}],
              "acked_ids": {"a": "c1", "b": "c1", "lost": "c1", "elsewhere": "c9"}}
    checks = check_logs([report])
    assert checks["acked_checked"] == 3
    assert checks["acked_missing_from_log"] == 1
    assert checks["duplicated_in_log"] == 1
