"""``serve`` on Redis and PostgreSQL, as real subprocesses on private servers: the log is
in PostgreSQL, /healthz follows each server's outages, two nodes serve one conversation,
and after a SIGKILL of one the other carries on with every acknowledged message."""

import asyncio
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from rtc_gateway.adapters.redis.bus import RedisBus
from rtc_gateway.gateway.rooms import citizen_room
from rtc_gateway.ports.bus import BusPacket, Target
from tests.support.gateway_process import GatewayProcess, start_gateway
from tests.support.services import PostgresCluster, RedisProcess, postgres_cluster, redis_process
from tests.support.sio_client import RecordingClient
from tests.support.waiting import eventually

FAST_EXPIRY = {"RTC_GATEWAY_NODE_TTL_S": "1.5"}


@pytest.fixture
def servers() -> Iterator[tuple[RedisProcess, PostgresCluster]]:
    with redis_process() as redis, postgres_cluster() as postgres:
        yield redis, postgres


def shared_flags(redis: RedisProcess, postgres: PostgresCluster) -> tuple[str, ...]:
    return ("--redis-url", redis.url, "--database-url", postgres.url)


def health(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def health_becomes(url: str, status: int, timeout_s: float = 15.0
                         ) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while True:
        code, body = await asyncio.to_thread(health, url)
        if code == status:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"/healthz stayed {code} {body}, wanted {status}")
        await asyncio.sleep(0.2)


async def records_in_postgres(url: str, conversation_id: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return int(await connection.fetchval(
            "SELECT count(*) FROM evidence_records WHERE conversation_id = $1",
            conversation_id))
    finally:
        await connection.close()


async def test_the_log_is_in_postgres_and_healthz_follows_each_outage(
        servers: tuple[RedisProcess, PostgresCluster], tmp_path: Path) -> None:
    redis, postgres = servers
    node = start_gateway(tmp_path / "a", *shared_flags(redis, postgres), env=FAST_EXPIRY)
    citizen = None
    try:
        assert await asyncio.to_thread(health, node.url) == (200, {"status": "ok"})
        citizen = await RecordingClient(node.url, "/citizen").connect()
        opened = await citizen.ok("conversation:open", {
            "topic": "general", "text": "bonjour", "client_msg_id": "1"})
        cid = opened["conversation"]["id"]
        assert await records_in_postgres(postgres.url, cid) >= 2
        assert not (tmp_path / "a" / "evidence.db").exists()
        metrics = await asyncio.to_thread(_get, f"{node.url}/metrics")
        assert "rtc_bus_connected 1.0" in metrics and "rtc_nodes_live 1.0" in metrics
        session = await citizen.wait_for("session")
        await _another_node_publishes(redis.url, citizen, session["citizen_id"], cid)
        await _metric_becomes(node.url, "rtc_bus_received_total 2.0")

        redis.stop()
        body = await health_becomes(node.url, 503, timeout_s=8)
        assert body == {"status": "unavailable", "unreachable": ["redis"]}
        redis.start()
        await health_becomes(node.url, 200)

        postgres.stop()
        body = await health_becomes(node.url, 503, timeout_s=8)
        assert body == {"status": "unavailable", "unreachable": ["database"]}
        refused = await citizen.call("message:send", {
            "conversation_id": cid, "client_msg_id": "2", "text": "pendant la panne"})
        assert refused["ok"] is False and refused["error"]["code"] == "unavailable"
        postgres.start()
        await health_becomes(node.url, 200)
        sent = await citizen.ok("message:send", {
            "conversation_id": cid, "client_msg_id": "2", "text": "après la panne"})
        assert sent["message"]["seq"] == 2
        assert "Traceback" not in node.log()
    finally:
        if citizen is not None:
            await citizen.disconnect()
        node.stop()


async def _another_node_publishes(url: str, citizen: RecordingClient, citizen_id: str,
                                  conversation_id: str) -> None:
    """A bus peer's packets reach the node's clients; the node's emits reach the peer."""
    got: list[BusPacket] = []
    bus = RedisBus(url, "elsewhere")
    await bus.start(got.append)
    try:
        await eventually(lambda: bus.connected)
        bus.publish(BusPacket(Target.ROOM, "/citizen", "nobody-here", '42/citizen,["x"]'))
        bus.publish(BusPacket(Target.ROOM, "/citizen", citizen_room(citizen_id),
                              '42/citizen,["from-elsewhere",{"n":1}]'))
        assert await citizen.wait_for("from-elsewhere") == {"n": 1}
        await citizen.ok("message:read", {"conversation_id": conversation_id, "seq": 1})
        await eventually(lambda: any(packet.address == citizen_room(citizen_id)
                                     for packet in got))
        assert got[-1].skip_sid == citizen.sio.get_sid("/citizen")
    finally:
        await bus.close()


async def _metric_becomes(url: str, line: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while line not in await asyncio.to_thread(_get, f"{url}/metrics"):
        if time.monotonic() > deadline:
            raise AssertionError(f"no {line!r} in /metrics")
        await asyncio.sleep(0.1)


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


async def test_citizen_and_officer_on_two_nodes_and_a_sigkill_of_the_citizens_node(
        servers: tuple[RedisProcess, PostgresCluster], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Both nodes serve; the citizen's node dies mid-conversation; the citizen comes back
    on the other node with every acknowledged message once, in order, and goes on."""
    redis, postgres = servers
    flags = shared_flags(redis, postgres)
    monkeypatch.setenv("RTC_GATEWAY_KEYS_DIR", str(tmp_path / "keys"))  # the CLI's too
    env = {**FAST_EXPIRY, "RTC_GATEWAY_KEYS_DIR": str(tmp_path / "keys")}
    first = start_gateway(tmp_path / "a", *flags, env=env)
    second = start_gateway(tmp_path / "b", *flags, env=env)
    citizen = back = officer = None
    try:
        token = await asyncio.to_thread(second.mint_agent_token, "o1")
        officer = await RecordingClient(second.url, "/agent").connect({"token": token})
        await officer.ok("agent:status", {"status": "available"})
        citizen = await RecordingClient(first.url, "/citizen").connect()
        citizen_token = (await citizen.wait_for("session"))["token"]
        opened = await citizen.ok("conversation:open", {
            "topic": "general", "text": "message 1", "client_msg_id": "1"})
        cid = opened["conversation"]["id"]
        assigned = await officer.wait_for("conversation:assigned")
        assert assigned["conversation"]["id"] == cid
        for i in range(2, 5):
            await citizen.ok("message:send", {"conversation_id": cid,
                                              "client_msg_id": str(i), "text": f"message {i}"})
        reply = await officer.ok("message:send", {"conversation_id": cid,
                                                  "client_msg_id": "r1", "text": "réponse"})
        assert reply["message"]["seq"] == 5
        await citizen.wait_for("message", lambda m: m["seq"] == 5)

        first.stop(signal.SIGKILL)
        await citizen.disconnect()
        back = await RecordingClient(second.url, "/citizen").connect({"token": citizen_token})
        resumed = await back.ok("conversation:resume", {"conversation_id": cid,
                                                        "after_seq": 0})
        assert [(m["seq"], m["text"]) for m in resumed["messages"]] == [
            (1, "message 1"), (2, "message 2"), (3, "message 3"), (4, "message 4"),
            (5, "réponse")]
        nxt = await back.ok("message:send", {"conversation_id": cid, "client_msg_id": "6",
                                             "text": "message 6"})
        assert nxt["message"]["seq"] == 6
        seen = await officer.wait_for("message", lambda m: m["seq"] == 6)
        assert seen["text"] == "message 6"
        bundle = await _export(second, cid, tmp_path / "case.zip")
        assert "Traceback" not in second.log()
    finally:
        for client in (citizen, back, officer):
            if client is not None:
                await client.disconnect()
        first.stop(signal.SIGKILL)
        second.stop()
    verified = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "rtc_gateway", "verify", str(bundle)],
        capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    with zipfile.ZipFile(bundle) as archive:
        contents = b"".join(archive.read(name) for name in archive.namelist())
    for text in ("message 1", "message 4", "réponse", "message 6"):
        assert text.encode() in contents


async def _export(node: GatewayProcess, cid: str, out: Path) -> Path:
    """The case bundle through the HTTP route, read from PostgreSQL by the node."""
    token = await asyncio.to_thread(node.mint_agent_token, "s1", role="supervisor")
    async with aiohttp.ClientSession() as session, session.post(
            f"{node.url}/api/v1/conversations/{cid}/export",
            json={"reason": "PV 2026/0001", "include_media": False},
            headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status == 200, await response.text()
        data = await response.read()
    await asyncio.to_thread(out.write_bytes, data)
    return out


def test_a_node_is_named_by_its_address_or_its_setting() -> None:
    from rtc_gateway.config import Settings
    from rtc_gateway.shared_services import node_id_for
    assert node_id_for(Settings(host="10.0.0.7", port=8081)) == "10.0.0.7:8081"
    assert node_id_for(Settings(host="0.0.0.0", port=8080)) == f"{socket.gethostname()}:8080"
    assert node_id_for(Settings(node_id="paris-1")) == "paris-1"


