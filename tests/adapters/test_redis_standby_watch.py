"""RedisStandbyWatch on a real redis-server: it sees the registered nodes without
appearing among them, and of two standbys claiming a takeover one wins until the claim
expires."""

import asyncio
import time
import uuid

from rtc_gateway.adapters.redis.node_registry import RedisNodeRegistry
from rtc_gateway.adapters.redis.standby_watch import RedisStandbyWatch


async def test_a_standby_reads_the_live_nodes_without_registering(redis_url: str) -> None:
    space = f"test-{uuid.uuid4().hex[:10]}"
    serving = RedisNodeRegistry(redis_url, "serving", ttl_s=1.0, prefix=space)
    watch = RedisStandbyWatch(redis_url, "standby", prefix=space)
    await serving.start()
    try:
        assert await watch.live_nodes() == {"serving"}
        await asyncio.sleep(0.5)
        assert serving.live_nodes() == {"serving"}, "the standby is not a live node"
    finally:
        await serving.close()
    assert await watch.live_nodes() == frozenset()
    await watch.close()


async def test_of_two_standbys_one_claims_the_takeover(redis_url: str) -> None:
    space = f"test-{uuid.uuid4().hex[:10]}"
    first = RedisStandbyWatch(redis_url, "b", prefix=space)
    second = RedisStandbyWatch(redis_url, "c", prefix=space)
    try:
        claims = await asyncio.gather(first.claim_takeover(0.5), second.claim_takeover(0.5))
        assert sorted(claims) == [False, True]
        assert not await first.claim_takeover(0.5)
        held_from = time.monotonic()
        while not await first.claim_takeover(0.5):
            assert time.monotonic() - held_from < 10, "the claim never expired"
            await asyncio.sleep(0.05)
        assert time.monotonic() - held_from > 0.2, "the claim held for its TTL"
    finally:
        await first.close()
        await second.close()
