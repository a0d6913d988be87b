"""Conversation homes, in memory and in a real Redis: one home at a time, moved once."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from rtc_gateway.adapters.memory.conversation_homes import MemoryConversationHomes
from rtc_gateway.adapters.redis.conversation_homes import RedisConversationHomes
from rtc_gateway.ports.conversation_homes import ConversationHomes, Home

NodeHomes = Callable[[str], ConversationHomes]


@pytest.fixture(params=["memory", "redis"])
async def homes_of(request: pytest.FixtureRequest) -> AsyncIterator[NodeHomes]:
    """``homes_of(node)``: that node's view of one shared set of homes."""
    made: list[ConversationHomes] = []
    if request.param == "memory":
        shared = MemoryConversationHomes()

        def memory(node: str) -> ConversationHomes:
            return shared.for_node(node)
        yield memory
        return
    url = request.getfixturevalue("redis_url")
    prefix = f"test-{uuid.uuid4().hex[:8]}"

    def redis_homes(node: str) -> ConversationHomes:
        homes = RedisConversationHomes(url, node, prefix=prefix)
        made.append(homes)
        return homes
    yield redis_homes
    for homes in made:
        await homes.close()


async def test_a_new_conversation_is_homed_where_it_was_opened(homes_of: NodeHomes) -> None:
    a, b = homes_of("a"), homes_of("b")
    assert await a.settle("cv_1") == Home("a", 1)
    assert await b.home_of("cv_1") == Home("a", 1)
    assert await b.home_of("cv_unknown") is None
    assert await b.homed_at("a") == ["cv_1"]
    assert await b.homed_at("b") == []


async def test_a_home_moves_only_from_the_home_the_mover_saw(homes_of: NodeHomes) -> None:
    a, b, c = homes_of("a"), homes_of("b"), homes_of("c")
    seen = await a.settle("cv_1")
    assert await b.move_here("cv_1", seen) == Home("b", 2)
    assert await c.move_here("cv_1", seen) is None  # b was first
    assert await c.home_of("cv_1") == Home("b", 2)
    assert await c.homed_at("a") == []
    assert await c.homed_at("b") == ["cv_1"]
    assert await c.move_here("cv_1", Home("b", 2)) == Home("c", 3)


async def test_of_survivors_racing_for_a_dead_nodes_conversations_one_wins_each(
        homes_of: NodeHomes) -> None:
    dead = homes_of("dead")
    for i in range(20):
        await dead.settle(f"cv_{i}")
    survivors = [homes_of(f"s{n}") for n in range(4)]

    async def take_all(homes: ConversationHomes) -> list[str]:
        won = []
        for cid in await homes.homed_at("dead"):
            seen = await homes.home_of(cid)
            if seen is not None and seen.node == "dead" and await homes.move_here(cid, seen):
                won.append(cid)
        return won

    won = await asyncio.gather(*(take_all(h) for h in survivors))
    taken = [cid for part in won for cid in part]
    assert sorted(taken) == sorted(f"cv_{i}" for i in range(20))
    assert await dead.homed_at("dead") == []


async def test_only_the_home_forgets_a_closed_conversation(homes_of: NodeHomes) -> None:
    a, b = homes_of("a"), homes_of("b")
    await a.settle("cv_1")
    await b.leave("cv_1")
    assert await a.home_of("cv_1") == Home("a", 1)
    await a.leave("cv_1")
    assert await b.home_of("cv_1") is None
    assert await b.homed_at("a") == []
    assert await b.move_here("cv_1", None) == Home("b", 1)  # a homeless one can be taken
