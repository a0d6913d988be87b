"""What waiting citizens are told about their place, and how often."""

from datetime import UTC, datetime, timedelta
from typing import Any

from rtc_gateway.adapters.memory.conversation_store import MemoryConversationStore
from rtc_gateway.adapters.memory.routing_state import MemoryRoutingState
from rtc_gateway.domain.agent import AgentProfile, Presence
from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.priority import Priority
from rtc_gateway.domain.routing import Router
from rtc_gateway.domain.wait_estimate import HandlingTimes, QueuePlace, estimate_wait_s
from rtc_gateway.services.queue_broadcast import QueueBroadcaster

START = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)


class SteppedClock:
    """Wall time that moves only when a test says so."""

    def __init__(self) -> None:
        self.at = START

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return (self.at - START).total_seconds()


def router_of(broadcaster: QueueBroadcaster) -> Router:
    state = broadcaster.state
    assert isinstance(state, MemoryRoutingState)
    return state.router


def broadcaster_with(waiting: int, *, service: Force | None = Force.POLICE,
                     interval_s: float = 0.2, updates_per_s: float = 2000.0
                     ) -> tuple[QueueBroadcaster, list[tuple[str, QueuePlace]]]:
    router, store = Router(), MemoryConversationStore()
    for number in range(waiting):
        conversation = Conversation(f"c{number}", f"citizen{number}", "general", service,
                                    Priority.NORMAL, False, "fr", START)
        store.add(conversation)
        router.enqueue(conversation.id, service=service, topic="general", language="fr",
                       priority=Priority.NORMAL, now=float(number))
    told: list[tuple[str, QueuePlace]] = []

    class Notifier:
        def __getattr__(self, name: str) -> Any:
            async def record(*args: Any) -> None:
                if name == "queued":
                    conversation, place = args
                    told.append((conversation.id, place))
            return record

    notifier: Any = Notifier()
    broadcaster = QueueBroadcaster(MemoryRoutingState(router), store, notifier, SteppedClock(),
                                   HandlingTimes(), interval_s, updates_per_s)
    return broadcaster, told


async def test_a_short_queue_is_told_at_the_coalescing_interval() -> None:
    broadcaster, _ = broadcaster_with(10)
    assert await broadcaster.pass_interval_s() == 0.2


async def test_a_long_queue_is_told_within_the_update_budget() -> None:
    broadcaster, _ = broadcaster_with(5000, updates_per_s=2000)
    assert await broadcaster.pass_interval_s() == 2.5


async def test_each_citizen_is_told_its_place_once_then_only_when_it_moves() -> None:
    broadcaster, told = broadcaster_with(4, service=None)
    broadcaster.handling_times.add(240)
    router_of(broadcaster).agent_online(
        AgentProfile("a", "a", Force.POLICE, max_chats=3), Presence.AVAILABLE, 0.0)
    slots = router_of(broadcaster).serving_slots(None)
    await broadcaster.flush()
    assert told == [(f"c{n}", QueuePlace(n + 1, estimate_wait_s(n + 1, slots, 240.0)))
                    for n in range(4)]
    assert [await broadcaster.place_of(broadcaster.store.get(f"c{n}"))  # type: ignore[arg-type]
            for n in range(4)] == [place for _, place in told]
    told.clear()
    await broadcaster.flush()
    assert told == [], "nothing moved"
    router_of(broadcaster).dequeue("c0")
    await broadcaster.flush()
    assert [(cid, place.position) for cid, place in told] == [("c1", 1), ("c2", 2), ("c3", 3)]


async def test_with_nobody_available_the_estimate_is_unknown_and_dated() -> None:
    broadcaster, told = broadcaster_with(1)
    broadcaster.handling_times.add(240)
    await broadcaster.flush()
    assert told == [("c0", QueuePlace(1, None, START))], "nobody since the gateway started"

    clock: Any = broadcaster.clock
    clock.at = START + timedelta(minutes=5)
    router_of(broadcaster).agent_online(
        AgentProfile("a", "a", Force.GENDARMERIE, max_chats=2), Presence.AVAILABLE, 0.0)
    told.clear()
    await broadcaster.flush()
    assert told == [], "a gendarme changes nothing for a police conversation"

    police = router_of(broadcaster).agent_online(
        AgentProfile("p", "p", Force.POLICE, max_chats=2), Presence.AVAILABLE, 0.0)
    await broadcaster.flush()
    assert told == [("c0", QueuePlace(1, 120, None))]

    told.clear()
    clock.at = START + timedelta(minutes=9)
    police.presence = Presence.AWAY
    await broadcaster.flush()
    assert told == [("c0", QueuePlace(1, None, START + timedelta(minutes=9)))]
