"""RedisNodeRegistry on a real redis-server: nodes see each other, a SIGKILLed node is
reported gone within seconds, a clean leave too, one id is never shared by two live
processes, and a Redis restart is survived without false deaths."""

import asyncio
import os
import signal
import sys
import time
import uuid

import pytest

from rtc_gateway.adapters.redis.node_registry import RedisNodeRegistry
from rtc_gateway.ports.node_registry import NodeIdInUse, RegistryUnavailable
from tests.support.services import redis_process
from tests.support.waiting import eventually

TTL_S = 2.0
SLACK_S = 2.0
"""A loaded machine (CI, shared cores) may run a beat late."""


def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


async def test_a_node_killed_with_sigkill_is_noticed_within_seconds(redis_url: str) -> None:
    space = prefix()
    observer = RedisNodeRegistry(redis_url, "observer", ttl_s=TTL_S, prefix=space)
    gone: list[tuple[str, float]] = []
    observer.on_node_gone(lambda node: gone.append((node, time.monotonic())))
    await observer.start()
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.adapters.registry_node", redis_url, "doomed",
        str(TTL_S), space, stdout=asyncio.subprocess.PIPE, env=os.environ.copy())
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 30)
        assert line.strip() == b"registered"
        await eventually(lambda: observer.live_nodes() == {"observer", "doomed"})
        await asyncio.sleep(TTL_S * 2)
        assert gone == [], "a live node was reported gone"
        child.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        await eventually(lambda: bool(gone), timeout_s=TTL_S * 5)
        assert gone[0][0] == "doomed"
        assert gone[0][1] - killed_at < TTL_S + 2 * TTL_S / 5 + SLACK_S
        assert observer.live_nodes() == {"observer"}
        await asyncio.sleep(TTL_S)
        assert len(gone) == 1, "a dead node is reported gone once"
    finally:
        if child.returncode is None:
            child.kill()
        await child.wait()
        await observer.close()


async def test_a_clean_leave_is_seen_and_the_id_can_be_taken_again(redis_url: str) -> None:
    space = prefix()
    a = RedisNodeRegistry(redis_url, "a", ttl_s=TTL_S, prefix=space)
    b = RedisNodeRegistry(redis_url, "b", ttl_s=TTL_S, prefix=space)
    gone: list[str] = []
    a.on_node_gone(gone.append)
    await a.start()
    await b.start()
    await eventually(lambda: a.live_nodes() == {"a", "b"})
    await b.close()
    await eventually(lambda: gone == ["b"], timeout_s=TTL_S * 2)
    again = RedisNodeRegistry(redis_url, "b", ttl_s=TTL_S, prefix=space)
    started = time.monotonic()
    await again.start()
    assert time.monotonic() - started < 0.5
    await again.close()
    await a.close()


async def test_two_live_processes_never_share_one_node_id(redis_url: str) -> None:
    space = prefix()
    first = RedisNodeRegistry(redis_url, "same", ttl_s=TTL_S, prefix=space)
    await first.start()
    second = RedisNodeRegistry(redis_url, "same", ttl_s=TTL_S, prefix=space)
    with pytest.raises(NodeIdInUse, match="RTC_GATEWAY_NODE_ID"):
        await second.start()
    assert first.reachable
    await first.close()


async def test_a_redis_restart_is_survived_without_false_deaths() -> None:
    with redis_process() as server:
        a = RedisNodeRegistry(server.url, "a", ttl_s=TTL_S, prefix="svc")
        b = RedisNodeRegistry(server.url, "b", ttl_s=TTL_S, prefix="svc")
        gone: list[str] = []
        a.on_node_gone(gone.append)
        b.on_node_gone(gone.append)
        await a.start()
        await b.start()
        await eventually(lambda: a.live_nodes() == {"a", "b"} == b.live_nodes())
        server.stop()
        await eventually(lambda: not a.reachable and not b.reachable)
        server.start()
        await eventually(lambda: a.reachable and b.reachable, timeout_s=15)
        await eventually(lambda: a.live_nodes() == {"a", "b"} == b.live_nodes())
        await asyncio.sleep(TTL_S)
        assert gone == []
        await a.close()
        await b.close()


async def test_start_fails_clearly_when_redis_is_unreachable() -> None:
    with redis_process() as server:
        url = server.url
        server.stop()
        registry = RedisNodeRegistry(url, "a", ttl_s=TTL_S, prefix="svc")
        with pytest.raises(RegistryUnavailable):
            await registry.start()
