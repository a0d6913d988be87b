"""The node-count scenario on this run's Redis and PostgreSQL: two nodes serve the load,
every message delivered, figures and a PNG written."""

from pathlib import Path

from loadtest.nodes import NodesConfig, run_nodes, setups
from loadtest.nodes_plot import plot_nodes


def test_two_nodes_and_sqlite_take_turns_and_deliver_everything(
        redis_url: str, database_url: str, tmp_path: Path) -> None:
    base, _, db = redis_url.rpartition("/")
    config = NodesConfig(redis_url=f"{base if db.isdigit() else redis_url}/14",
                         database_url=database_url, node_counts=[2], repeats=2,
                         rate=100, citizens=10, agents=2, max_chats=5, warmup_s=1.0,
                         duration_s=1.5, workers=1)
    assert list(setups(config)) == ["sqlite", "postgres-2", "postgres-2", "sqlite"]
    config.repeats = 1
    result = run_nodes(config)
    assert [run["setup"] for run in result["runs"]] == ["sqlite", "postgres-2"]
    for run in result["runs"]:
        assert not run.get("failures"), run
        assert run["ack_errors"] == 0 and run["delivered_rate"] > 50, run
        assert run["server_cpu"] > 0
    assert result["summary"]["postgres-2"]["services_cpu_us_per_msg"] is not None
    png = plot_nodes(result, tmp_path / "nodes.png")
    assert png.read_bytes().startswith(b"\x89PNG")
