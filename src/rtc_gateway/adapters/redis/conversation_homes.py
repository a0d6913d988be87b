"""Conversation homes in Redis, shared by the nodes of a service.

``{prefix}:homes`` maps each open conversation to ``epoch|node``, and
``{prefix}:homes:at:{node}`` lists a node's conversations, so a survivor finds what a
dead node held. Moving a home is one Lua script comparing the home the caller saw, so
two survivors never both take one conversation over. Redis that does not answer
raises :class:`rtc_gateway.domain.errors.Unavailable`.
"""

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from redis.asyncio import Redis

from rtc_gateway.adapters.redis.connection import REDIS_FAILURES, connect
from rtc_gateway.domain.errors import Unavailable
from rtc_gateway.ports.conversation_homes import Home

DEFAULT_PREFIX = "rtc-gateway"
T = TypeVar("T")

# KEYS: the homes hash. ARGV: conversation id, the home seen ("" for none), this node,
# the per-node set prefix. Returns the new home, or false when the home changed.
_MOVE = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if (current or '') ~= ARGV[2] then return false end
local epoch = 0
if current then
  local sep = string.find(current, '|', 1, true)
  epoch = tonumber(string.sub(current, 1, sep - 1))
  redis.call('SREM', ARGV[4] .. string.sub(current, sep + 1), ARGV[1])
end
local home = tostring(epoch + 1) .. '|' .. ARGV[3]
redis.call('HSET', KEYS[1], ARGV[1], home)
redis.call('SADD', ARGV[4] .. ARGV[3], ARGV[1])
return home
"""
# KEYS: the homes hash, this node's set. ARGV: conversation id, this node.
_LEAVE = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current and string.sub(current, string.find(current, '|', 1, true) + 1) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
end
redis.call('SREM', KEYS[2], ARGV[1])
return 1
"""


class RedisConversationHomes:
    """Implements :class:`rtc_gateway.ports.conversation_homes.ConversationHomes`."""

    def __init__(self, url: str, node_id: str, *, prefix: str = DEFAULT_PREFIX,
                 timeout_s: float = 2.0) -> None:
        self._client: Redis = connect(url, timeout_s)
        self._node_id = node_id
        self._homes = f"{prefix}:homes"
        self._at = f"{prefix}:homes:at:"
        self._move = self._client.register_script(_MOVE)
        self._leave = self._client.register_script(_LEAVE)

    @property
    def node_id(self) -> str:
        return self._node_id

    async def settle(self, conversation_id: str) -> Home:
        home = Home(self._node_id, 1)
        await _answer(self._settle(conversation_id, home))
        return home

    async def _settle(self, conversation_id: str, home: Home) -> None:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hset(self._homes, conversation_id, _text_of(home))
            pipe.sadd(self._at + self._node_id, conversation_id)
            await pipe.execute()

    async def home_of(self, conversation_id: str) -> Home | None:
        return _home(await _answer(self._client.hget(self._homes, conversation_id)))

    async def move_here(self, conversation_id: str, seen: Home | None) -> Home | None:
        value = await _answer(self._move(keys=[self._homes], args=[
            conversation_id, _text_of(seen) if seen else "", self._node_id, self._at]))
        return _home(value) if value else None

    async def leave(self, conversation_id: str) -> None:
        await _answer(self._leave(keys=[self._homes, self._at + self._node_id],
                                  args=[conversation_id, self._node_id]))

    async def homed_at(self, node: str) -> list[str]:
        members = await _answer(self._client.smembers(self._at + node))
        return sorted(_decoded(member) for member in members)

    async def close(self) -> None:
        await self._client.aclose()


def _text_of(home: Home) -> str:
    return f"{home.epoch}|{home.node}"


def _home(value: Any) -> Home | None:
    if value is None:
        return None
    epoch, _, node = _decoded(value).partition("|")
    return Home(node, int(epoch))


def _decoded(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def _answer(call: Awaitable[T]) -> T:
    """In a task of its own (event handlers run eagerly, with no current task, where
    redis-py's timeouts cannot work), shielded so a cancelled caller leaves the
    connection whole."""
    try:
        return await asyncio.shield(asyncio.ensure_future(call))
    except REDIS_FAILURES as error:
        raise Unavailable(f"conversation homes unreachable ({type(error).__name__})"
                          ) from error
