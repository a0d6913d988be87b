"""Random routing operations, applied alike to the pure Router and to a RoutingState,
with everything observable about the state afterwards (for the contract tests)."""

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from rtc_gateway.domain.agent import AgentProfile, Presence
from rtc_gateway.domain.errors import DomainError
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.priority import Priority
from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.routing import Router
from rtc_gateway.ports.routing_state import RoutingState

AGENT_IDS = ["a0", "a1", "a2", "a3"]
CONVERSATIONS = [f"c{n}" for n in range(8)]
SERVICES: list[Force | None] = [None, Force.POLICE, Force.GENDARMERIE]


def profile(agent_id: str, variant: int) -> AgentProfile:
    """A few different officers per id, so that coming online again changes a profile."""
    service = Force.GENDARMERIE if variant == 3 else Force.POLICE
    topics = (frozenset(), frozenset({"general"}), frozenset({"cyber", "general"}))[variant % 3]
    languages = (frozenset({"fr"}), frozenset({"fr", "en"}), frozenset())[variant % 3]
    role = Role.SUPERVISOR if variant == 5 else Role.AGENT
    return AgentProfile(agent_id, f"Officer {agent_id}", service, role, topics, languages,
                        max_chats=1 + variant % 3, unit=None if variant % 2 else "unit-1")


agent_ids = st.sampled_from(AGENT_IDS)
conversation_ids = st.sampled_from(CONVERSATIONS)
presences = st.sampled_from([Presence.AVAILABLE] * 3 + [Presence.AWAY, Presence.DISCONNECTED])
online = st.tuples(st.just("online"), agent_ids, st.integers(0, 5), presences)
enqueue = st.tuples(st.just("enqueue"), conversation_ids, st.sampled_from(SERVICES),
                    st.sampled_from(["general", "cyber"]), st.sampled_from(["fr", "en"]),
                    st.sampled_from(list(Priority)), st.booleans())
operation = st.one_of(
    online, online, online, enqueue, enqueue, enqueue,
    st.tuples(st.just("presence"), agent_ids, presences),
    st.tuples(st.just("remove"), agent_ids),
    st.tuples(st.just("dequeue"), conversation_ids),
    st.tuples(st.just("release"), conversation_ids),
    st.tuples(st.just("adopt"), conversation_ids, agent_ids),
    st.tuples(st.just("assign")), st.tuples(st.just("assign")),
    st.tuples(st.just("assign_to"), conversation_ids, agent_ids),
)
operations = st.lists(operation, min_size=15, max_size=60)


@dataclass
class Outcome:
    value: Any
    error: type[DomainError] | None = None


def on_router(router: Router, op: tuple[Any, ...], now: float) -> Outcome:
    try:
        return Outcome(_router_call(router, op, now))
    except DomainError as error:
        return Outcome(None, type(error))


def _router_call(router: Router, op: tuple[Any, ...], now: float) -> Any:
    name, *args = op
    if name == "online":
        router.agent_online(profile(args[0], args[1]), args[2], now)
        return None
    if name == "presence":
        return router.set_presence(args[0], args[1])
    if name == "remove":
        return router.remove_agent(args[0])
    if name == "enqueue":
        router.enqueue(args[0], service=args[1], topic=args[2], language=args[3],
                       priority=args[4], now=now, returning=args[5])
        return None
    if name == "dequeue":
        return router.dequeue(args[0])
    if name == "release":
        return router.release(args[0])
    if name == "adopt":
        return router.adopt(args[0], args[1])
    if name == "assign":
        return router.assign(now)
    return router.assign_to(args[0], args[1], now)


async def on_state(state: RoutingState, op: tuple[Any, ...], now: float) -> Outcome:
    try:
        return Outcome(await _state_call(state, op, now))
    except DomainError as error:
        return Outcome(None, type(error))


async def _state_call(state: RoutingState, op: tuple[Any, ...], now: float) -> Any:
    name, *args = op
    if name == "online":
        return await state.agent_online(profile(args[0], args[1]), args[2], now)
    if name == "presence":
        return await state.set_presence(args[0], args[1])
    if name == "remove":
        return await state.remove_agent(args[0])
    if name == "enqueue":
        return await state.enqueue(args[0], service=args[1], topic=args[2], language=args[3],
                                   priority=args[4], now=now, returning=args[5])
    if name == "dequeue":
        return await state.dequeue(args[0])
    if name == "release":
        return await state.release(args[0])
    if name == "adopt":
        return await state.adopt(args[0], args[1])
    if name == "assign":
        return await state.assign(now)
    return await state.assign_to(args[0], args[1], now)


def router_view(router: Router, now: float) -> dict[str, Any]:
    return {
        "waiting": router.waiting(),
        "count": router.waiting_count(),
        "positions": router.positions(),
        "position": {cid: router.position(cid) for cid in CONVERSATIONS},
        "agents": [_slot(s) for s in router.agents.values()],
        "agent_of": {cid: router.agent_of(cid) for cid in CONVERSATIONS},
        "slots": {s: router.serving_slots(s) for s in SERVICES},
        "stats": router.queue_stats(now),
    }


async def state_view(state: RoutingState, now: float) -> dict[str, Any]:
    return {
        "waiting": await state.waiting(),
        "count": await state.waiting_count(),
        "positions": await state.positions(),
        "position": {cid: await state.position(cid) for cid in CONVERSATIONS},
        "agents": [_slot(s) for s in await state.agents()],
        "agent_of": {cid: await state.agent_of(cid) for cid in CONVERSATIONS},
        "slots": {s: await state.serving_slots(s) for s in SERVICES},
        "stats": await state.queue_stats(now),
    }


def _slot(slot: Any) -> tuple[Any, ...]:
    return (slot.profile, slot.presence, slot.idle_since, sorted(slot.conversations))
