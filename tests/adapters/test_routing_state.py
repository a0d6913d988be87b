"""The routing state port, on both adapters: the same outcomes as the pure Router for
any sequence of operations (compared step by step), and its assignment policy."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from rtc_gateway.adapters.memory.routing_state import MemoryRoutingState
from rtc_gateway.adapters.redis.routing_state import RedisRoutingState
from rtc_gateway.domain.agent import Presence
from rtc_gateway.domain.errors import Conflict, NotFound
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.priority import Priority
from rtc_gateway.domain.routing import Assignment, Router
from rtc_gateway.ports.routing_state import RoutingState
from tests.adapters.routing_ops import (
    on_router,
    on_state,
    operations,
    profile,
    router_view,
    state_view,
)

Maker = Callable[[], RoutingState]


def redis_state(url: str, node: str = "n1", prefix: str | None = None) -> RedisRoutingState:
    return RedisRoutingState(url, node, prefix=prefix or f"test-{uuid.uuid4().hex[:10]}",
                             time_offset_s=0.0)


@pytest.fixture(params=["memory", "redis"])
async def state(request: pytest.FixtureRequest) -> AsyncIterator[RoutingState]:
    made: RoutingState = (MemoryRoutingState() if request.param == "memory"
                          else redis_state(request.getfixturevalue("redis_url")))
    await made.start()
    yield made
    await made.close()


async def queue(state: RoutingState, cid: str, *, service: Force | None = Force.POLICE,
                language: str = "fr", priority: Priority = Priority.NORMAL, now: float = 0.0,
                returning: bool = False) -> None:
    await state.enqueue(cid, service=service, topic="general", language=language,
                        priority=priority, now=now, returning=returning)


async def test_urgent_then_returning_then_first_come(state: RoutingState) -> None:
    await queue(state, "n1")
    await queue(state, "n2")
    await queue(state, "back", returning=True)
    await queue(state, "u1", priority=Priority.URGENT)
    await queue(state, "any", service=None)
    assert [e.conversation_id for e in await state.waiting()] == ["u1", "back", "n1", "n2",
                                                                 "any"]
    assert await state.positions() == {"u1": 1, "back": 2, "n1": 3, "n2": 4, "any": 5}
    assert await state.position("n2") == 4
    await state.agent_online(profile("a0", 2), Presence.AVAILABLE, 1.0)  # police, 3 chats
    assert [a.conversation_id for a in await state.assign(2.0)] == ["u1", "back", "n1"]
    assert await state.waiting_count() == 2


async def test_least_loaded_then_idle_longest(state: RoutingState) -> None:
    await state.agent_online(profile("early", 2), Presence.AVAILABLE, 1.0)
    await state.agent_online(profile("late", 2), Presence.AVAILABLE, 2.0)
    for n, expected in enumerate(["early", "late", "early"]):
        await queue(state, f"c{n}")
        assert (await state.assign(3.0 + n))[0].agent_id == expected


async def test_a_blocked_conversation_does_not_hold_up_the_queue(state: RoutingState) -> None:
    await queue(state, "german", language="de", priority=Priority.URGENT)
    await queue(state, "french")
    await state.agent_online(profile("a0", 0), Presence.AVAILABLE, 0.0)
    assert [a.conversation_id for a in await state.assign(1.0)] == ["french"]


async def test_refusals(state: RoutingState) -> None:
    await queue(state, "c1")
    with pytest.raises(Conflict):
        await queue(state, "c1")
    with pytest.raises(NotFound):
        await state.set_presence("nobody", Presence.AWAY)
    with pytest.raises(NotFound):
        await state.assign_to("unknown", "a0", 1.0)
    await state.agent_online(profile("a0", 0), Presence.AWAY, 0.0)
    with pytest.raises(Conflict):
        await state.assign_to("c1", "a0", 1.0)
    await state.set_presence("a0", Presence.AVAILABLE)
    assert await state.assign_to("c1", "a0", 1.0) == Assignment("c1", "a0")
    assert await state.agent_of("c1") == "a0"
    with pytest.raises(Conflict):
        await queue(state, "c1")
    assert await state.remove_agent("a0") == ["c1"]
    assert await state.agent_of("c1") is None


def test_redis_gives_the_routers_outcomes_for_any_sequence(redis_url: str) -> None:
    @settings(max_examples=120, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(operations)
    def compare(ops: list[tuple[Any, ...]]) -> None:
        asyncio.run(_compare(redis_state(redis_url), ops))

    compare()


async def _compare(state: RoutingState, ops: list[tuple[Any, ...]]) -> None:
    router = Router()
    try:
        for step, op in enumerate(ops, start=1):
            now = step * 1.5
            expected = on_router(router, op, now)
            got = await on_state(state, op, now)
            assert got == expected, f"step {step} {op}"
            assert await state_view(state, now) == router_view(router, now), f"step {step} {op}"
    finally:
        await state.close()


async def test_a_dead_nodes_officers_are_taken_over_and_a_restarted_node_starts_clean(
        redis_url: str) -> None:
    space = f"test-{uuid.uuid4().hex[:10]}"
    doomed = RedisRoutingState(redis_url, "doomed", prefix=space, ttl_s=0.3, time_offset_s=0)
    survivor = RedisRoutingState(redis_url, "survivor", prefix=space, time_offset_s=0)
    await doomed.start()
    await survivor.start()
    try:
        await doomed.agent_online(profile("a0", 2), Presence.AVAILABLE, 0.0)
        await queue(survivor, "held")
        await queue(survivor, "waits", service=Force.GENDARMERIE)
        assert [a.conversation_id for a in await survivor.assign(1.0)] == ["held"]
        assert await survivor.take_over("doomed", 2.0) == [], "a live node is not taken over"
        await doomed.close()
        await asyncio.sleep(0.5)
        assert await survivor.take_over("doomed", 3.0) == ["held"]
        assert await survivor.agents() == []
        entries = await survivor.waiting()
        assert [(e.conversation_id, e.returning, e.enqueued_at) for e in entries] == [
            ("held", True, 3.0), ("waits", False, 0.0)]
        restarted = RedisRoutingState(redis_url, "survivor", prefix=space, time_offset_s=0)
        await restarted.start()
        assert await restarted.waiting() == [], "its conversations come back from the log"
        await restarted.close()
    finally:
        await survivor.close()
