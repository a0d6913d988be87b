"""Node presence in Redis: a key per node with a TTL, renewed by its heartbeat.

``{prefix}:node:{id}`` holds a token random to this process and expires ``ttl_s`` after
the last heartbeat; ``{prefix}:nodes`` is the set of ids ever seen alive. Each beat (a
fifth of the TTL) renews this node's key and looks at the others in one Lua script,
atomic in Redis: an id whose key expired leaves the set and is reported gone. So a node
killed with SIGKILL is noticed within ``ttl_s`` plus two beats, by every other node.
The token makes two processes configured with one id refuse to share it; after a Redis
restart (keys lost) the next beat registers the node again.
"""

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis

from rtc_gateway.adapters.redis.connection import REDIS_FAILURES, Backoff, connect
from rtc_gateway.ports.node_registry import NodeIdInUse, RegistryUnavailable

logger = logging.getLogger(__name__)
DEFAULT_PREFIX = "rtc-gateway"

# KEYS: own key, the set. ARGV: token, ttl ms, own id, key prefix.
# Returns 0 when another process holds the id, else the list of live ids.
_BEAT = """
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
local live = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[4] .. id) == 1 then table.insert(live, id)
  else redis.call('SREM', KEYS[2], id) end
end
return live
"""
# KEYS: own key, the set. ARGV: token, own id.
_LEAVE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[2])
end
return 1
"""


class RedisNodeRegistry:
    """Implements :class:`rtc_gateway.ports.node_registry.NodeRegistry` on Redis."""

    def __init__(self, url: str, node_id: str, ttl_s: float = 5.0,
                 prefix: str = DEFAULT_PREFIX, timeout_s: float = 2.0) -> None:
        self._client: Redis = connect(url, timeout_s)
        self._node_id = node_id
        self._ttl_ms = int(ttl_s * 1000)
        self._interval = ttl_s / 5
        self._node_prefix = f"{prefix}:node:"
        self._key = self._node_prefix + node_id
        self._set = f"{prefix}:nodes"
        self._token = secrets.token_hex(16)
        self._beat = self._client.register_script(_BEAT)
        self._leave = self._client.register_script(_LEAVE)
        self._live: frozenset[str] = frozenset()
        self._absent: dict[str, int] = {}
        self._reachable = False
        self._callbacks: list[Callable[[str], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def node_id(self) -> str:
        return self._node_id

    @property
    def reachable(self) -> bool:
        return self._reachable

    def live_nodes(self) -> frozenset[str]:
        return self._live

    def on_node_gone(self, callback: Callable[[str], None]) -> None:
        self._callbacks.append(callback)

    async def start(self) -> None:
        """Register, waiting up to one TTL for the key of a previous run of this node
        (killed, so it did not leave) to expire; Redis must answer now."""
        deadline = time.monotonic() + self._ttl_ms / 1000 + self._interval
        while not await self._first_beat():
            if time.monotonic() > deadline:
                await self._client.aclose()
                raise NodeIdInUse(f"node id {self._node_id!r} is in use by another live"
                                  " process: give each node its own RTC_GATEWAY_NODE_ID")
            await asyncio.sleep(self._interval)
        self._task = asyncio.create_task(self._heartbeat(), name="node-heartbeat")

    async def close(self) -> None:
        """Stop beating (a cancellation redis-py swallows mid-call still ends the loop
        at its next turn), then leave."""
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        with contextlib.suppress(*REDIS_FAILURES):
            await self._leave(keys=[self._key, self._set], args=[self._token, self._node_id])
        self._reachable = False
        with contextlib.suppress(*REDIS_FAILURES):
            await self._client.aclose()

    async def _first_beat(self) -> bool:
        try:
            return await self._beat_once()
        except REDIS_FAILURES as error:
            await self._client.aclose()
            raise RegistryUnavailable(f"Redis did not answer ({type(error).__name__})"
                                      ) from error

    async def _beat_once(self) -> bool:
        """One heartbeat; False when another process holds this id. Raises when Redis
        does not answer."""
        answer: Any = await self._beat(
            keys=[self._key, self._set],
            args=[self._token, self._ttl_ms, self._node_id, self._node_prefix])
        if answer == 0:
            return False
        self._reachable = True
        self._observe(frozenset(_text(item) for item in answer))
        return True

    async def _heartbeat(self) -> None:
        backoff = Backoff(self._interval, self._interval * 2)
        while not self._closing:
            try:
                if not await self._beat_once():
                    self._reachable = False
                    logger.error("node id taken over by another process",
                                 extra={"node_id": self._node_id})
                wait = self._interval
                backoff.reset()
            except REDIS_FAILURES as error:
                if self._reachable:
                    logger.warning("node registry unreachable",
                                   extra={"error": type(error).__name__})
                self._reachable = False
                wait = backoff.next_wait()
            await asyncio.sleep(wait)

    def _observe(self, live: frozenset[str]) -> None:
        """Report a node gone when two beats in a row missed it: after a Redis restart
        (every key lost) the others register again within one beat, and are not gone."""
        missing = (self._live | self._absent.keys()) - live - {self._node_id}
        self._absent = {node: self._absent.get(node, 0) + 1 for node in missing}
        gone = sorted(node for node, misses in self._absent.items() if misses >= 2)
        for node in gone:
            del self._absent[node]
        self._live = live
        for node in gone:
            logger.warning("node gone", extra={"node_id": node})
            for callback in self._callbacks:
                try:
                    callback(node)
                except Exception:
                    logger.exception("node-gone callback failed", extra={"node_id": node})


def _text(item: Any) -> str:
    return item.decode() if isinstance(item, bytes) else str(item)
