"""The routing, waiting and restart tests again, with the routing state in a real Redis
(each test in a Redis database of its own)."""

import itertools
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from tests.gateway.conftest import RunningGateway, StartGateway
from tests.gateway.test_restart import *  # noqa: F403
from tests.gateway.test_routing import *  # noqa: F403
from tests.gateway.test_waiting_citizen import *  # noqa: F403

pytestmark = pytest.mark.single_node  # one node with Redis routing; two nodes run elsewhere
_databases = itertools.cycle(range(1, 16))


@pytest.fixture
async def start_gateway(start_gateway: StartGateway,
                        redis_url: str) -> AsyncIterator[StartGateway]:
    url = f"{redis_url.rstrip('/')}/{next(_databases)}"
    client = Redis.from_url(url)
    await client.flushdb()

    async def start(*args: Any, **overrides: Any) -> RunningGateway:
        return await start_gateway(*args, redis_url=url, **overrides)

    starting: Callable[..., Any] = start
    yield starting
    assert await client.keys("rtc-gateway:routing:*"), "the routing state was in Redis"
    await client.aclose()
