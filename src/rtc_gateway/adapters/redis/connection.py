"""Redis clients for the nodes: short timeouts, no hidden retries, and our own back-off.

The adapters reconnect by themselves after a Redis restart; redis-py's built-in retries
would only hide how long a call can take, so they are off and each adapter decides.
"""

import random

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

REDIS_FAILURES: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
"""What a call to an unreachable or restarting Redis raises."""


def connect(url: str, timeout_s: float = 2.0, health_check_s: int = 0) -> Redis:
    """A client for ``url``; it opens its connections lazily, on first use."""
    return Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s,
                          retry=Retry(NoBackoff(), 0), health_check_interval=health_check_s)


class Backoff:
    """Exponential waits with jitter between reconnection attempts, reset on success."""

    def __init__(self, first_s: float = 0.1, most_s: float = 5.0) -> None:
        self._first = first_s
        self._most = most_s
        self._next = first_s

    def next_wait(self) -> float:
        wait = self._next
        self._next = min(self._next * 2, self._most)
        return wait * random.uniform(0.5, 1.0)

    def reset(self) -> None:
        self._next = self._first
