"""RedisBus on a real redis-server: delivery between nodes, its own packets ignored, a Redis
restart survived without help, publishing during an outage harmless; and MemoryBus."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from redis.asyncio import Redis

from rtc_gateway.adapters.memory.bus import MemoryBus, MemoryBusHub
from rtc_gateway.adapters.redis.bus import RedisBus, decode, encode
from rtc_gateway.ports.bus import BusPacket, Target
from tests.support.services import RedisProcess, redis_process
from tests.support.waiting import eventually


def packet(text: str, target: Target = Target.ROOM) -> BusPacket:
    return BusPacket(target, "/citizen", "conversation:c1", f'42/citizen,["m",{{"t":"{text}"}}]',
                     skip_sid="sid-1")


class Node:
    def __init__(self, url: str, node_id: str, channel: str) -> None:
        self.bus = RedisBus(url, node_id, channel=channel)
        self.got: list[BusPacket] = []
        self.handler: Callable[[BusPacket], None] = self.got.append

    async def start(self) -> None:
        await self.bus.start(lambda received: self.handler(received))
        await eventually(lambda: self.bus.connected)


@pytest.fixture
async def pair(redis_url: str) -> AsyncIterator[tuple[Node, Node]]:
    channel = f"test-bus:{uuid.uuid4().hex}"
    a, b = Node(redis_url, "node-a", channel), Node(redis_url, "node-b", channel)
    await a.start()
    await b.start()
    yield a, b
    await a.bus.close()
    await b.bus.close()


def test_envelopes_keep_text_and_binary_frames_apart() -> None:
    text = packet("é")
    binary = BusPacket(Target.CLIENT, "/agent", "sid-9", b"\x00\x01msgpack")
    assert decode(encode("n", text)) == ("n", text)
    assert decode(encode("n", binary)) == ("n", binary)


async def test_two_nodes_deliver_to_each_other_and_not_to_themselves(
        pair: tuple[Node, Node]) -> None:
    a, b = pair
    for i in range(50):
        a.bus.publish(packet(f"a{i}"))
    b.bus.publish(packet("b0", Target.CLIENT))
    await eventually(lambda: len(b.got) == 50 and len(a.got) == 1)
    assert b.got == [packet(f"a{i}") for i in range(50)]
    assert a.got == [packet("b0", Target.CLIENT)]
    await asyncio.sleep(0.2)
    assert len(a.got) == 1 and len(b.got) == 50
    assert a.bus.stats()["published"] == 50 and b.bus.stats()["received"] == 50


async def test_malformed_envelopes_are_counted_and_skipped(pair: tuple[Node, Node],
                                                           redis_url: str) -> None:
    a, b = pair
    raw = Redis.from_url(redis_url)
    await raw.publish(a.bus._channel, b"\xc1not msgpack")
    await raw.publish(a.bus._channel, b"\x93\x01\x02\x03")
    await raw.aclose()
    a.bus.publish(packet("after"))
    await eventually(lambda: b.got == [packet("after")])
    assert b.bus.stats()["malformed"] == 2


async def test_a_receiver_that_raises_does_not_stop_the_bus(pair: tuple[Node, Node]) -> None:
    a, b = pair
    calls: list[BusPacket] = []

    def fragile(received: BusPacket) -> None:
        calls.append(received)
        if len(calls) == 1:
            raise RuntimeError("receiver bug")
    b.handler = fragile
    a.bus.publish(packet("one"))
    a.bus.publish(packet("two"))
    await eventually(lambda: len(calls) == 2)


@pytest.fixture
def private_redis() -> Iterator[RedisProcess]:
    with redis_process() as server:
        yield server


async def test_the_bus_recovers_by_itself_after_a_redis_restart(
        private_redis: RedisProcess) -> None:
    a = Node(private_redis.url, "node-a", "svc:bus")
    b = Node(private_redis.url, "node-b", "svc:bus")
    await a.start()
    await b.start()
    try:
        a.bus.publish(packet("before"))
        await eventually(lambda: b.got == [packet("before")])

        private_redis.stop()
        await eventually(lambda: not a.bus.connected and not b.bus.connected)
        started = time.monotonic()
        for i in range(100):
            a.bus.publish(packet(f"lost{i}"))
        assert time.monotonic() - started < 0.05, "publish waited on a Redis that is down"

        private_redis.start()
        await eventually(lambda: a.bus.connected and b.bus.connected, timeout_s=15)
        await eventually(lambda: _delivered_after_restart(a, b), timeout_s=15)
        assert a.bus.stats()["reconnects"] >= 1 and b.bus.stats()["reconnects"] >= 1
        assert a.bus.stats()["dropped"] >= 1
    finally:
        await a.bus.close()
        await b.bus.close()


def _delivered_after_restart(a: Node, b: Node) -> bool:
    """Publish again until one arrives: the publisher may notice the outage only now."""
    if b.got and b.got[-1] == packet("after"):
        return True
    a.bus.publish(packet("after"))
    return False


async def test_publishing_before_redis_is_reachable_does_not_raise() -> None:
    with redis_process() as server:
        url = server.url
        server.stop()
        bus = RedisBus(url, "lonely", channel="svc:bus")
        await bus.start(lambda _: None)
        for i in range(10):
            bus.publish(packet(str(i)))
        await asyncio.sleep(0.5)
        assert not bus.connected and bus.stats()["published"] == 0
        server.start()
        await eventually(lambda: bus.connected, timeout_s=15)
        await bus.close()


async def test_memory_buses_on_one_hub_deliver_to_the_others_only() -> None:
    hub = MemoryBusHub()
    a, b, alone = MemoryBus("a", hub), MemoryBus("b", hub), MemoryBus("c")
    got_a: list[BusPacket] = []
    got_b: list[BusPacket] = []
    got_alone: list[BusPacket] = []
    await a.start(got_a.append)
    await b.start(got_b.append)
    await alone.start(got_alone.append)
    a.publish(packet("x"))
    alone.publish(packet("y"))
    assert got_b == [packet("x")] and got_a == [] and got_alone == []
    await b.close()
    a.publish(packet("z"))
    assert got_b == [packet("x")]


async def test_a_burst_beyond_the_send_queue_is_dropped_and_counted(redis_url: str) -> None:
    bus = RedisBus(redis_url, "bursty", channel=f"test-bus:{uuid.uuid4().hex}", max_queued=100)
    await bus.start(lambda _: None)
    await eventually(lambda: bus.connected)
    started = time.monotonic()
    for i in range(20_000):
        bus.publish(packet(str(i)))
    assert time.monotonic() - started < 1.0
    assert bus.stats()["dropped"] == 19_900
    await eventually(lambda: bus.stats()["published"] == 100)
    await bus.close()
