"""Several nodes (RedisRoutingState instances, each its own connection) on one real Redis,
racing random openings, closings, officers coming and going, capacity and presence
changes and assignment passes: never a conversation with two officers, never an officer
over its capacity, never a conversation lost."""

import asyncio
import contextlib
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field

from rtc_gateway.adapters.redis.routing_state import RedisRoutingState
from rtc_gateway.domain.agent import AgentProfile, Presence
from rtc_gateway.domain.errors import Conflict, NotFound
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.priority import Priority

NODES = 4
ROUNDS = 40
OPS_PER_NODE = 12
AGENTS = [f"officer{n}" for n in range(6)]


@dataclass
class World:
    """What the test did, to check the shared state against."""

    opened: set[str] = field(default_factory=set)
    closed: set[str] = field(default_factory=set)
    capacity: dict[str, int] = field(default_factory=dict)
    round_assignments: list[str] = field(default_factory=list)
    round_requeued: set[str] = field(default_factory=set)


async def node_burst(state: RedisRoutingState, world: World, rng: random.Random,
                     now: float) -> None:
    for _ in range(OPS_PER_NODE):
        roll = rng.random()
        agent = rng.choice(AGENTS)
        if roll < 0.3:
            cid = f"c{uuid.uuid4().hex[:8]}"
            world.opened.add(cid)
            await state.enqueue(cid, service=rng.choice([None, *Force]), topic="general",
                                language="fr", priority=rng.choice(list(Priority)), now=now)
        elif roll < 0.4 and world.opened - world.closed:
            cid = rng.choice(sorted(world.opened - world.closed))
            world.closed.add(cid)
            await state.dequeue(cid)
            await state.release(cid)
        elif roll < 0.55:
            world.capacity[agent] = world.capacity.get(agent, 1) + rng.randint(0, 1)
            profile = AgentProfile(agent, agent, rng.choice(list(Force)),
                                   max_chats=world.capacity[agent])
            await state.agent_online(profile, rng.choice([Presence.AVAILABLE, Presence.AWAY]),
                                     now)
        elif roll < 0.65:
            for cid in await state.remove_agent(agent):
                world.round_requeued.add(cid)
                if cid not in world.closed:
                    await state.enqueue(cid, service=None, topic="general", language="fr",
                                        priority=Priority.NORMAL, now=now, returning=True)
        elif roll < 0.75:
            with contextlib.suppress(NotFound):
                await state.set_presence(agent, rng.choice([Presence.AVAILABLE,
                                                            Presence.AWAY]))
        elif roll < 0.8 and world.opened - world.closed:
            try:
                await state.assign_to(rng.choice(sorted(world.opened - world.closed)),
                                      agent, now)
                world.round_assignments.append("named")
            except (NotFound, Conflict):
                pass
        else:
            world.round_assignments.extend(
                a.conversation_id for a in await state.assign(now))


async def check(state: RedisRoutingState, world: World) -> None:
    agents = await state.agents()
    holders: dict[str, str] = {}
    for slot in agents:
        assert slot.load <= world.capacity[slot.profile.agent_id], "capacity overrun"
        assert slot.load <= slot.profile.max_chats, "capacity overrun"
        for cid in slot.conversations:
            assert cid not in holders, f"{cid} held by {holders[cid]} and another"
            holders[cid] = slot.profile.agent_id
            assert await state.agent_of(cid) == slot.profile.agent_id
    waiting = {e.conversation_id for e in await state.waiting()}
    assert not waiting & set(holders), "waiting and assigned at once"
    open_now = world.opened - world.closed
    assert open_now <= waiting | set(holders), f"lost: {open_now - waiting - set(holders)}"
    assert waiting <= open_now and set(holders) <= open_now, "a closed one came back"
    given = Counter(c for c in world.round_assignments if c != "named")
    twice = {c for c, n in given.items() if n > 1} - world.round_requeued
    assert not twice, f"given twice in one round: {twice}"


async def test_nodes_racing_on_one_redis_keep_the_routing_invariants(redis_url: str) -> None:
    prefix = f"test-race-{uuid.uuid4().hex[:8]}"
    nodes = [RedisRoutingState(redis_url, f"node{n}", prefix=prefix, time_offset_s=0.0)
             for n in range(NODES)]
    for node in nodes:
        await node.start()
    world = World()
    rng = random.Random(20261202)
    try:
        for round_number in range(ROUNDS):
            world.round_assignments, world.round_requeued = [], set()
            seeds = [rng.random() for _ in nodes]
            await asyncio.gather(*(node_burst(node, world, random.Random(seed),
                                              float(round_number))
                                   for node, seed in zip(nodes, seeds, strict=True)))
            for node in nodes:
                world.round_assignments.extend(
                    a.conversation_id for a in await node.assign(float(round_number)))
            await check(nodes[0], world)
        assert len(world.opened) > 100 and await nodes[0].agents(), "the race was too tame"
        assert len(world.opened - world.closed) > await nodes[0].waiting_count(), \
            "nothing was ever assigned"
    finally:
        for node in nodes:
            await node.close()
