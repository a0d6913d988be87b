"""A process that only holds a node registry entry, for tests that SIGKILL it.

Usage: python -m tests.adapters.registry_node REDIS_URL NODE_ID TTL_S PREFIX
Prints ``registered`` once the node is in the registry, then heartbeats until killed.
"""

import asyncio
import sys

from rtc_gateway.adapters.redis.node_registry import RedisNodeRegistry


async def main(url: str, node_id: str, ttl_s: float, prefix: str) -> None:
    registry = RedisNodeRegistry(url, node_id, ttl_s=ttl_s, prefix=prefix)
    await registry.start()
    print("registered", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]))
