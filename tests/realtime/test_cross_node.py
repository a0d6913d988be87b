"""Several realtime servers sharing rooms through a bus (a memory hub, then real Redis),
with python-socketio clients on different nodes: a room's emit reaches every member once,
wherever it is, skip_sid included; an emit to one sid crosses to the node that holds it
and no other; a Redis outage drops packets quietly and the nodes recover by themselves."""

import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import pytest

from rtc_gateway.adapters.memory.bus import MemoryBus, MemoryBusHub
from rtc_gateway.adapters.redis.bus import RedisBus
from rtc_gateway.ports.bus import Bus
from rtc_gateway.realtime.node_sids import node_tag
from tests.realtime.echo import EchoNamespace, serving
from tests.support.services import RedisProcess, redis_process
from tests.support.sio_client import RecordingClient
from tests.support.waiting import eventually

AUTH = {"let": "me in"}


@dataclass
class Node:
    url: str
    namespace: EchoNamespace
    bus: Bus

    async def client(self) -> RecordingClient:
        client = await RecordingClient(self.url, "/echo").connect(auth=AUTH)
        await client.wait_for("hello")
        return client


def sid_of(client: RecordingClient) -> str:
    sid = client.sio.get_sid("/echo")
    assert isinstance(sid, str)
    return sid


def heard(client: RecordingClient) -> list[Any]:
    return client.received("heard")


async def started(buses: list[Bus], stack: AsyncExitStack) -> list[Node]:
    nodes = []
    for bus in buses:
        port, namespace = await stack.enter_async_context(serving(
            front_door=True, ping_interval_s=5, ping_timeout_s=5, bus=bus))
        nodes.append(Node(f"http://127.0.0.1:{port}", namespace, bus))
    await eventually(lambda: all(bus.connected for bus in buses))
    return nodes


def redis_buses(url: str, count: int) -> list[Bus]:
    channel = f"test-cross-node:{uuid.uuid4().hex}"
    return [RedisBus(url, f"node-{i}", channel=channel) for i in range(count)]


@pytest.fixture(params=["memory hub", "redis"])
async def nodes(request: pytest.FixtureRequest) -> AsyncIterator[list[Node]]:
    """Three nodes on one bus."""
    if request.param == "redis":
        buses = redis_buses(request.getfixturevalue("redis_url"), 3)
    else:
        hub = MemoryBusHub()
        buses = [MemoryBus(f"node-{i}", hub) for i in range(3)]
    async with AsyncExitStack() as stack:
        yield await started(buses, stack)


async def flushed(sender: RecordingClient, *receivers: RecordingClient,
                  room: str = "all") -> None:
    """Emit a marker after the packets under test and wait for every receiver to get
    it: the bus keeps one publisher's order, so what was to arrive has arrived."""
    marker = f"marker-{uuid.uuid4().hex}"
    await sender.call("to_room", (room, marker, False))
    for receiver in receivers:
        await receiver.wait_for("heard", lambda data: data == marker)


async def test_sids_bear_their_node_tag(nodes: list[Node]) -> None:
    a, b, _ = nodes
    on_a, on_b = await a.client(), await b.client()
    try:
        assert sid_of(on_a).startswith(node_tag("node-0") + ".")
        assert sid_of(on_b).startswith(node_tag("node-1") + ".")
    finally:
        await on_a.disconnect()
        await on_b.disconnect()


async def test_an_emit_to_a_room_reaches_each_member_once_on_every_node(
        nodes: list[Node]) -> None:
    a, b, c = nodes
    sender, neighbour, far, farther = (await a.client(), await a.client(), await b.client(),
                                       await c.client())
    try:
        await sender.call("to_room", ("all", {"n": 1}, True))
        await flushed(neighbour, sender, neighbour, far, farther)
        for client in (neighbour, far, farther):
            assert heard(client).count({"n": 1}) == 1
        assert {"n": 1} not in heard(sender), "skip_sid: not to the sender itself"
        assert a.bus.stats()["published"] >= 1
    finally:
        for client in (sender, neighbour, far, farther):
            await client.disconnect()


async def test_skip_sid_is_honoured_on_the_node_that_holds_it(nodes: list[Node]) -> None:
    a, b, _ = nodes
    sender, skipped, other = await a.client(), await b.client(), await b.client()
    try:
        await sender.call("to_room", ("all", "not for the skipped", sid_of(skipped)))
        await flushed(sender, skipped, other)
        assert heard(other).count("not for the skipped") == 1
        assert "not for the skipped" not in heard(skipped)
        assert heard(sender).count("not for the skipped") == 1
    finally:
        for client in (sender, skipped, other):
            await client.disconnect()


async def test_rooms_are_shared_only_by_their_members(nodes: list[Node]) -> None:
    a, b, c = nodes
    sender, member, outsider = await a.client(), await b.client(), await c.client()
    try:
        await member.call("join", ("rare",))
        await sender.call("to_room", ("rare", "rare news", True))
        await member.wait_for("heard", lambda data: data == "rare news")
        await flushed(sender, outsider)
        assert heard(outsider) and "rare news" not in heard(outsider)
    finally:
        for client in (sender, member, outsider):
            await client.disconnect()


async def test_an_emit_to_one_sid_crosses_to_its_node_only(nodes: list[Node]) -> None:
    a, b, c = nodes
    sender, neighbour, target, beside, elsewhere = (
        await a.client(), await a.client(), await b.client(), await b.client(),
        await c.client())
    try:
        await sender.call("to_sid", (sid_of(target), "just you"))
        await target.wait_for("heard", lambda data: data == "just you")
        await sender.call("to_sid", (sid_of(neighbour), "next door"))
        await neighbour.wait_for("heard", lambda data: data == "next door")
        await flushed(sender, target, beside, elsewhere)
        assert heard(target).count("just you") == 1
        for client in (neighbour, beside, elsewhere, sender):
            assert "just you" not in heard(client)
        assert "next door" not in heard(target)
    finally:
        for client in (sender, neighbour, target, beside, elsewhere):
            await client.disconnect()


async def test_a_sid_that_is_gone_or_foreign_is_not_published(nodes: list[Node]) -> None:
    a, _, _ = nodes
    sender, leaving = await a.client(), await a.client()
    gone = sid_of(leaving)
    await leaving.disconnect()
    await eventually(lambda: bool(a.namespace.gone))
    try:
        published = a.bus.stats()["published"]
        await sender.call("to_sid", (gone, "too late"))
        await sender.call("to_sid", ("untagged-sid", "from nowhere"))
        assert a.bus.stats()["published"] == published
    finally:
        await sender.disconnect()


@pytest.fixture
def private_redis() -> Iterator[RedisProcess]:
    with redis_process() as server:
        yield server


async def test_a_redis_outage_drops_packets_quietly_and_the_nodes_recover(
        private_redis: RedisProcess, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    async with AsyncExitStack() as stack:
        a, b = await started(redis_buses(private_redis.url, 2), stack)
        sender, neighbour, far = await a.client(), await a.client(), await b.client()
        try:
            await sender.call("to_room", ("all", "before", True))
            await far.wait_for("heard", lambda data: data == "before")

            private_redis.stop()
            await eventually(lambda: not a.bus.connected and not b.bus.connected)
            for i in range(5):
                ack = await sender.call("to_room", ("all", f"during {i}", True))
                assert ack == {"event": "to_room", "args": ["all", f"during {i}", True]}
            await neighbour.wait_for("heard", lambda data: data == "during 4")
            await eventually(lambda: a.bus.stats()["dropped"] >= 1)

            private_redis.start()
            await eventually(lambda: a.bus.connected and b.bus.connected, timeout_s=15)
            await eventually(lambda: _heard_after(sender, far), timeout_s=15)
            assert all(not str(data).startswith("during") for data in heard(far))
            assert sender.sio.connected and far.sio.connected
            assert not [record for record in caplog.records
                        if record.levelno >= logging.ERROR], "an outage is no error"
        finally:
            for client in (sender, neighbour, far):
                await client.disconnect()


def _heard_after(sender: RecordingClient, far: RecordingClient) -> bool:
    """Emit until one arrives: the publisher may notice the outage only now."""
    if "after" in heard(far):
        return True
    sender.sio.start_background_task(sender.call, "to_room", ("all", "after", True))
    return False


async def test_a_server_alone_mints_untagged_sids() -> None:
    async with serving(front_door=True, ping_interval_s=5, ping_timeout_s=5) as (port, _):
        client = await RecordingClient(f"http://127.0.0.1:{port}", "/echo").connect(auth=AUTH)
        try:
            await client.wait_for("hello")
            assert "." not in sid_of(client)
            await client.call("to_sid", (f"{node_tag('elsewhere')}.x", "nowhere"))
            await client.call("to_room", ("all", "alone", False))
            await client.wait_for("heard", lambda data: data == "alone")
        finally:
            await client.disconnect()
