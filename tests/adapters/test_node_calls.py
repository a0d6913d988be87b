"""Node calls, in memory and on a real redis-server: answers matched to their calls, a
failing handler, a callee that never answers, a node that is not listening, the bounds
on waiting and serving, closing; on Redis, a silent subscriber, malformed envelopes and a
Redis restart survived without help."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from redis.asyncio import Redis

from rtc_gateway.adapters.memory.node_calls import MemoryNodeCalls, MemoryNodeHub
from rtc_gateway.adapters.redis.node_calls import RedisNodeCalls
from rtc_gateway.ports.node_calls import (
    NodeCallError,
    NodeCallFailed,
    NodeCalls,
    NodeCallTimeout,
    NodeUnreachable,
    TooManyCalls,
)
from tests.support.services import RedisProcess, redis_process
from tests.support.waiting import eventually

Factory = Callable[..., NodeCalls]


class Callee:
    """A node's handler: ``echo`` answers, ``sleep`` waits, ``hang`` never answers,
    ``boom`` raises; it records what it served and what was cancelled."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.cancelled: list[str] = []

    async def __call__(self, method: str, payload: Any) -> Any:
        try:
            if method == "echo":
                return {"node": self.name, "payload": payload}
            if method == "sleep":
                await asyncio.sleep(payload["s"])
                return payload["n"]
            if method == "hang":
                await asyncio.Event().wait()
            if method == "unsendable":
                return object()
            raise RuntimeError("boom")
        except asyncio.CancelledError:
            self.cancelled.append(method)
            raise


@pytest.fixture(params=["memory", "redis"])
async def make(request: pytest.FixtureRequest) -> AsyncIterator[Factory]:
    """Makes nodes of one service, on one memory hub or one Redis prefix."""
    made: list[NodeCalls] = []
    hub = MemoryNodeHub()
    prefix = f"test-calls:{uuid.uuid4().hex}"
    url = request.getfixturevalue("redis_url") if request.param == "redis" else ""

    def factory(node_id: str, **options: Any) -> NodeCalls:
        calls: NodeCalls
        if request.param == "redis":
            calls = RedisNodeCalls(url, node_id, prefix=prefix, **options)
        else:
            calls = MemoryNodeCalls(node_id, hub, **options)
        made.append(calls)
        return calls

    yield factory
    for calls in made:
        await calls.close()


async def started(calls: NodeCalls, callee: Callee | None = None) -> NodeCalls:
    await calls.start(callee or Callee(calls.node_id))
    await eventually(lambda: calls.connected)
    return calls


async def test_calls_are_answered_and_matched_both_ways(make: Factory) -> None:
    a, b = await started(make("a")), await started(make("b"))
    payload = {"text": "bonjour é", "list": [1, 2.5, None, True], "raw": b"\x00\xff"}
    assert await a.call("b", "echo", payload) == {"node": "b", "payload": payload}
    assert await b.call("a", "echo") == {"node": "a", "payload": None}
    answers = await asyncio.gather(*(
        (a if n % 2 else b).call("b" if n % 2 else "a", "sleep", {"s": (n % 5) / 100, "n": n})
        for n in range(40)))
    assert answers == list(range(40))
    assert a.stats()["answered"] == 21 and b.stats()["served"] == 21


async def test_a_failing_handler_is_a_clear_error(make: Factory,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    a, _ = await started(make("a")), await started(make("b"))
    with pytest.raises(NodeCallFailed) as failed:
        await a.call("b", "boom", timeout_s=5)
    assert (failed.value.node, failed.value.method) == ("b", "boom")
    assert "RuntimeError" in str(failed.value) and "'boom' to node 'b'" in str(failed.value)
    with pytest.raises(NodeCallFailed, match="TypeError"):
        await a.call("b", "unsendable", timeout_s=5)
    assert "node call handler failed" in caplog.text
    assert await a.call("b", "echo", 1) == {"node": "b", "payload": 1}


async def test_a_callee_that_never_answers_times_out_and_is_cancelled(make: Factory) -> None:
    callee = Callee("b")
    a, _ = await started(make("a")), await started(make("b"), callee)
    started_at = time.monotonic()
    with pytest.raises(NodeCallTimeout, match=r"no answer within 0\.3 s"):
        await a.call("b", "hang", timeout_s=0.3)
    assert 0.3 <= time.monotonic() - started_at < 1.5
    await eventually(lambda: callee.cancelled == ["hang"])
    assert a.stats()["timeouts"] == 1


async def test_a_node_that_is_not_listening_is_known_at_once(make: Factory) -> None:
    a = await started(make("a"))
    b = await started(make("b"))
    await b.close()
    for absent in ("b", "never-was"):
        started_at = time.monotonic()
        with pytest.raises(NodeUnreachable, match="no such node is listening"):
            await a.call(absent, "echo", timeout_s=5)
        assert time.monotonic() - started_at < 1.0
    assert a.stats()["unreachable"] == 2


async def test_waiting_and_serving_are_bounded(make: Factory) -> None:
    a = await started(make("a", max_waiting=2))
    await started(make("b", max_serving=1))
    first = asyncio.ensure_future(a.call("b", "sleep", {"s": 0.3, "n": 1}))
    await asyncio.sleep(0.1)
    with pytest.raises(NodeCallFailed, match="serving as many calls as it allows"):
        await a.call("b", "echo", timeout_s=5)
    second = asyncio.ensure_future(a.call("b", "sleep", {"s": 0.3, "n": 2}))
    await asyncio.sleep(0)
    with pytest.raises(TooManyCalls, match="2 calls already wait"):
        await a.call("b", "echo")
    assert await first == 1
    with pytest.raises(NodeCallFailed):
        await second  # b was still serving the first one
    assert await a.call("b", "echo", 3) == {"node": "b", "payload": 3}


async def test_closing_a_node_fails_the_calls_it_waits_on(make: Factory) -> None:
    a, _ = await started(make("a")), await started(make("b"))
    waiting = asyncio.ensure_future(a.call("b", "hang", timeout_s=10))
    await asyncio.sleep(0.1)
    await a.close()
    with pytest.raises(NodeUnreachable, match="closing"):
        await asyncio.wait_for(waiting, 2)


# Redis only

async def test_a_subscriber_that_never_answers_times_out(redis_url: str) -> None:
    prefix = f"test-calls:{uuid.uuid4().hex}"
    a = await started(RedisNodeCalls(redis_url, "a", prefix=prefix))
    silent = Redis.from_url(redis_url).pubsub()
    await silent.subscribe(a.requests_channel("mute"))  # type: ignore[attr-defined]
    try:
        with pytest.raises(NodeCallTimeout):
            await a.call("mute", "echo", timeout_s=0.3)
        # garbage and wrong versions are counted; an answer nobody waits for too
        raw = Redis.from_url(redis_url)
        await raw.publish(a.replies_channel("a"), b"\xc1")  # type: ignore[attr-defined]
        await raw.publish(a.replies_channel("a"), b"\x93\x07\x01\x90")  # type: ignore[attr-defined]
        await raw.publish(a.requests_channel("a"), b"\x96\x02\xa1x\x01\xa4echo\x01\xc0")  # type: ignore[attr-defined]
        await raw.publish(a.replies_channel("a"), b"\x93\x01\xcd\x03\xe7\x93\xc3\xc0\xa0")  # type: ignore[attr-defined]
        await raw.aclose()
        await eventually(lambda: a.stats()["malformed"] == 3)
        await eventually(lambda: a.stats()["late_replies"] == 1)
    finally:
        await silent.aclose()  # type: ignore[no-untyped-call]
        await a.close()


@pytest.fixture
def private_redis() -> Iterator[RedisProcess]:
    with redis_process() as server:
        yield server


async def test_calls_fail_fast_during_a_redis_restart_and_work_again_after(
        private_redis: RedisProcess) -> None:
    a = await started(RedisNodeCalls(private_redis.url, "a"))
    b = await started(RedisNodeCalls(private_redis.url, "b"))
    try:
        assert await a.call("b", "echo", "before") == {"node": "b", "payload": "before"}
        private_redis.stop()
        await eventually(lambda: not a.connected and not b.connected)
        started_at = time.monotonic()
        with pytest.raises(NodeUnreachable, match="Redis is unreachable"):
            await a.call("b", "echo", "during", timeout_s=5)
        assert time.monotonic() - started_at < 0.1
        private_redis.start()
        await eventually(lambda: a.connected and b.connected, timeout_s=15)
        await _answered_again(a)
        assert a.stats()["reconnects"] >= 1 and b.stats()["reconnects"] >= 1
    finally:
        await a.close()
        await b.close()


async def _answered_again(a: NodeCalls, timeout_s: float = 15.0) -> None:
    """Call until one is answered: a pooled connection may notice the restart only now."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            assert await a.call("b", "echo", "after", timeout_s=1) == {
                "node": "b", "payload": "after"}
            return
        except NodeCallError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)
