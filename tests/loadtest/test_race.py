"""The race's schedule and server labels, without starting any server."""

import pytest

from loadtest.bench import BENCH
from loadtest.race import RaceConfig, parse_server, schedule


def test_labels_name_a_kind_and_a_serializer() -> None:
    assert parse_server("durable-msgpack") == ("durable", "msgpack")
    assert parse_server("node-json") == ("node", "json")
    with pytest.raises(ValueError, match="durable-json"):
        parse_server("durable")
    with pytest.raises(ValueError):
        parse_server("redis-json")


def test_the_durable_relay_races_chat_but_not_the_storms() -> None:
    config = RaceConfig(servers=["node-json", "durable-json", "gateway-json"],
                        rates=[2000, 0], storm_connections=10, routing_waiting=10)
    runs = [(scenario, label) for scenario, label, _, _ in schedule(config)]
    chat = [label for scenario, label in runs if scenario == "chat"]
    assert chat == ["node-json", "durable-json", "gateway-json",
                    "gateway-json", "durable-json", "node-json"]
    for scenario in ("storm", "routing"):
        assert [label for kind, label in runs if kind == scenario] == ["node-json", "gateway-json"]


def test_default_race_and_bench_include_the_durable_reference() -> None:
    assert {"durable-json", "durable-msgpack"} <= set(RaceConfig().servers)
    assert "durable-json" in BENCH.servers
