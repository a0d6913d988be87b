"""The load tool against real servers, briefly and at low rate: does it measure anything?

Not timed tests: they check that messages flow end to end through the lean client and
that the figures it reports are coherent, on the gateway and on the Node reference.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from loadtest.chat import ChatConfig, run_chat
from loadtest.routing import RoutingConfig, run_routing
from loadtest.storm import StormConfig, run_storm
from loadtest.targets import REFERENCE_DIR, Server, start_server

pytestmark = pytest.mark.slow

SERVERS = [
    pytest.param(("gateway", "json"), id="gateway-json"),
    pytest.param(("gateway", "msgpack"), id="gateway-msgpack"),
    pytest.param(("node", "json"), id="node-json", marks=pytest.mark.skipif(
        not (REFERENCE_DIR / "node_modules").is_dir(), reason="npm install not run")),
]


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    kind, serializer = request.param
    running = start_server(kind, serializer, data_dir=tmp_path / kind)
    try:
        yield running
    finally:
        running.stop()


def test_chat_delivers_at_low_rate_with_sane_figures(server: Server) -> None:
    result = run_chat(ChatConfig(
        url=server.url, serializer=server.serializer, citizens=10, agents=2, max_chats=5,
        agent_tokens=server.agent_tokens(2, 5), rate=200, warmup_s=0.5, duration_s=2.0,
        drain_s=1.0, workers=2, server_pid=server.pid))
    assert result["failures"] == [], result["failures"]
    assert result["ack_errors"] == 0, result["errors"]
    assert result["sent"] > 0
    assert result["acked"] == result["sent"]
    assert result["received"] == result["sent"]
    # What was sent in the window arrives in it: the figures agree with each other. The
    # client may fall behind 200/s on a loaded machine (then it counts ``skipped``).
    assert 0.5 * 200 <= result["sent_rate"] <= 250
    assert abs(result["delivered_rate"] - result["sent_rate"]) <= 0.25 * result["sent_rate"]
    delivery, ack = result["delivery_ms"], result["ack_ms"]
    assert 0 < delivery["p50"] <= delivery["p90"] <= delivery["p99"] <= delivery["max"] < 5000
    assert 0 < ack["p50"] <= ack["p99"] < 5000
    assert len(result["client_cpu"]) == 2
    assert all(0 < share < 2 for share in result["client_cpu"])
    assert result["server_cpu"] is not None and result["server_cpu"] > 0
    assert result["server_rss_mb"] > 10


def test_closed_loop_keeps_messages_in_flight(server: Server) -> None:
    result = run_chat(ChatConfig(
        url=server.url, serializer=server.serializer, citizens=4, agents=1, max_chats=4,
        agent_tokens=server.agent_tokens(1, 4), rate=0, window=2, warmup_s=0.5,
        duration_s=1.5, drain_s=1.0, workers=1))
    assert result["failures"] == [], result["failures"]
    assert result["mode"] == "closed-loop"
    assert result["delivered_rate"] > 10
    assert result["received"] == result["acked"] == result["sent"]


def test_storm_counts_connections_and_memory(server: Server) -> None:
    result = run_storm(StormConfig(url=server.url, serializer=server.serializer,
                                   connections=60, rate=200, workers=2, server_pid=server.pid))
    assert result["connected"] == 60, result["errors"]
    assert result["alive_after_hold"] == 60
    assert result["failures"] == 0
    assert result["connects_per_s"] > 0
    assert result["connect_ms"]["p50"] > 0
    assert result["bytes_per_idle_connection"] is not None


def test_routing_storm_serves_every_waiting_citizen(server: Server) -> None:
    result = run_routing(RoutingConfig(
        url=server.url, serializer=server.serializer, waiting=30, agents=3, max_chats=2,
        agent_tokens=server.agent_tokens(3, 2), hold_s=0.02, shift=4, workers=2,
        limit_s=40, server_pid=server.pid))
    assert result["failures"] == [], result["failures"]
    assert result["errors"] == []
    assert result["assigned"] == 30
    assert result["unassigned"] == 0
    assert result["agent_reconnects"] > 0
    assert result["queue_wait_ms"]["p50"] > 0
    assert result["reassign_ms"]["p50"] is not None
