"""What a standby node reads in Redis while it waits: the live nodes, without registering.

A standby is not in the node registry (the serving node would report it as a second
node serving alongside it). It reads the registry's keys, and when the live node's key
has expired it claims the takeover (``{prefix}:takeover``, ``SET NX`` with a TTL) so
that of several standbys one starts and the others go on waiting.
"""

from typing import Any

from redis.asyncio import Redis

from rtc_gateway.adapters.redis.connection import connect
from rtc_gateway.adapters.redis.node_registry import DEFAULT_PREFIX

# KEYS: the set. ARGV: key prefix. The ids in the set whose key has not expired.
_LIVE = """
local live = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. id) == 1 then table.insert(live, id) end
end
return live
"""


class RedisStandbyWatch:
    """Raises redis-py's errors (``REDIS_FAILURES``) when Redis does not answer."""

    def __init__(self, url: str, node_id: str, prefix: str = DEFAULT_PREFIX,
                 timeout_s: float = 2.0) -> None:
        self._client: Redis = connect(url, timeout_s)
        self._node_id = node_id
        self._set = f"{prefix}:nodes"
        self._node_prefix = f"{prefix}:node:"
        self._claim_key = f"{prefix}:takeover"
        self._live = self._client.register_script(_LIVE)

    async def live_nodes(self) -> frozenset[str]:
        answer: Any = await self._live(keys=[self._set], args=[self._node_prefix])
        return frozenset(item.decode() if isinstance(item, bytes) else str(item)
                         for item in answer)

    async def claim_takeover(self, hold_s: float) -> bool:
        """Whether this node may start now: no other standby claimed it in ``hold_s``."""
        claimed = await self._client.set(self._claim_key, self._node_id, nx=True,
                                         px=int(hold_s * 1000))
        return bool(claimed)

    async def close(self) -> None:
        await self._client.aclose()
