"""Two serving nodes behind a real HAProxy (round robin, health checks): the citizen and
its officer land on different nodes, talk, and the citizen's node is killed; the citizen
comes back through the proxy on the other node and finds everything acknowledged."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from rtc_gateway.realtime.node_sids import node_tag
from tests.gateway.test_reverse_proxies import HAPROXY, INSTALLED, running
from tests.support.gateway_process import GatewayProcess, free_port, start_gateway
from tests.support.sio_client import RecordingClient
from tests.test_standby import (
    TTL,
    haproxy_config,
    health_is,
    officer,
    own_redis,  # noqa: F401  (a fixture)
    quietly_disconnect,
)

pytestmark = pytest.mark.skipif(not INSTALLED["haproxy"],
                                reason="haproxy is not installed (scripts/test.sh installs it)")


def node_of(client: RecordingClient, nodes: list[GatewayProcess]) -> GatewayProcess:
    """The node a client reached: its sid begins with that node's tag."""
    sid = client.sio.get_sid(client.namespace) or ""
    return next(node for node in nodes if sid.startswith(node_tag(f"127.0.0.1:{node.port}")))


async def citizen_on(url: str, node: GatewayProcess, nodes: list[GatewayProcess],
                     clients: list[RecordingClient]) -> RecordingClient:
    """A citizen connected through the proxy that round robin sent to ``node``."""
    for _ in range(6):
        citizen = await RecordingClient(url, "/citizen").connect()
        clients.append(citizen)
        if node_of(citizen, nodes) is node:
            return citizen
        await citizen.disconnect()
    raise AssertionError("round robin never reached the other node")


async def test_citizen_and_officer_on_two_nodes_through_haproxy_survive_a_sigkill(
        own_redis: str, fresh_database: str, tmp_path: Path,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    keys = tmp_path / "keys"
    monkeypatch.setenv("RTC_GATEWAY_KEYS_DIR", str(keys))
    env = {"RTC_GATEWAY_NODE_TTL_S": TTL, "RTC_GATEWAY_KEYS_DIR": str(keys)}
    flags = ("--redis-url", own_redis, "--database-url", fresh_database)
    nodes = [start_gateway(tmp_path / "a", *flags, env=env)]
    nodes.append(start_gateway(tmp_path / "b", *flags, env=env))
    port = free_port()
    proxied = f"http://127.0.0.1:{port}"
    clients: list[RecordingClient] = []
    try:
        command = [HAPROXY, "-db", "-f",
                   str(haproxy_config(tmp_path, port, nodes[0].port, nodes[1].port))]
        with running(command, port):
            await health_is(proxied, 200)
            token = await asyncio.to_thread(nodes[0].mint_agent_token, "P-1")
            agent = await officer(proxied, token)
            clients.append(agent)
            officers_node = node_of(agent, nodes)
            citizens_node = next(node for node in nodes if node is not officers_node)
            citizen = await citizen_on(proxied, citizens_node, nodes, clients)
            citizen_token = (await citizen.wait_for("session"))["token"]
            opened = await citizen.ok("conversation:open", {
                "topic": "general", "text": "bonjour", "client_msg_id": "c1"})
            cid = opened["conversation"]["id"]
            assigned = await agent.wait_for("conversation:assigned")
            assert assigned["conversation"]["id"] == cid
            acked = [(1, "bonjour")]
            for i in range(2, 4):
                sent = await citizen.ok("message:send", {
                    "conversation_id": cid, "client_msg_id": f"c{i}", "text": f"citoyen {i}"})
                acked.append((sent["message"]["seq"], f"citoyen {i}"))
                reply = await agent.ok("message:send", {
                    "conversation_id": cid, "client_msg_id": f"o{i}", "text": f"officier {i}"})
                acked.append((reply["message"]["seq"], f"officier {i}"))
                seq = reply["message"]["seq"]
                heard = await citizen.wait_for("message", lambda m, seq=seq: m["seq"] == seq)
                assert heard["text"] == f"officier {i}"

            citizens_node.stop(signal.SIGKILL)
            await quietly_disconnect(citizen)
            back = await RecordingClient(proxied, "/citizen").connect({"token": citizen_token})
            clients.append(back)
            assert node_of(back, nodes) is officers_node
            resumed = await back.ok("conversation:resume", {"conversation_id": cid,
                                                            "after_seq": 0})
            assert [(m["seq"], m["text"]) for m in resumed["messages"]] == acked
            assert resumed["conversation"]["status"] == "assigned", "the officer kept it"
            nxt = await back.ok("message:send", {"conversation_id": cid,
                                                 "client_msg_id": "c9", "text": "toujours là"})
            assert nxt["message"]["seq"] == len(acked) + 1
            got = await agent.wait_for("message", lambda m: m["text"] == "toujours là")
            assert got["seq"] == len(acked) + 1
    finally:
        await quietly_disconnect(*clients)
        for node in nodes:
            node.stop()
    assert "Traceback" not in officers_node.log()
