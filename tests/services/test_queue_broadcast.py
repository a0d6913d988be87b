"""What waiting citizens are told about their place, and how often."""

from datetime import UTC, datetime
from typing import Any

from rtc_gateway.adapters.memory.conversation_store import MemoryConversationStore
from rtc_gateway.domain.agent import AgentProfile, Presence
from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.priority import Priority
from rtc_gateway.domain.routing import Router
from rtc_gateway.domain.wait_estimate import HandlingTimes, estimate_wait_s
from rtc_gateway.ports.clock import SystemClock
from rtc_gateway.services.queue_broadcast import QueueBroadcaster


def broadcaster_with(waiting: int, *, service: Force | None = Force.POLICE,
                     interval_s: float = 0.2, updates_per_s: float = 2000.0
                     ) -> tuple[QueueBroadcaster, list[tuple[str, int, int]]]:
    router, store = Router(), MemoryConversationStore()
    for number in range(waiting):
        conversation = Conversation(f"c{number}", f"citizen{number}", "general", service,
                                    Priority.NORMAL, False, "fr", datetime.now(UTC))
        store.add(conversation)
        router.enqueue(conversation.id, service=service, topic="general", language="fr",
                       priority=Priority.NORMAL, now=float(number))
    told: list[tuple[str, int, int]] = []

    class Notifier:
        def __getattr__(self, name: str) -> Any:
            async def record(*args: Any) -> None:
                if name == "queued":
                    conversation, position, estimate = args
                    told.append((conversation.id, position, estimate))
            return record

    notifier: Any = Notifier()
    broadcaster = QueueBroadcaster(router, store, notifier, SystemClock(), HandlingTimes(),
                                   interval_s, updates_per_s)
    return broadcaster, told


def test_a_short_queue_is_told_at_the_coalescing_interval() -> None:
    broadcaster, _ = broadcaster_with(10)
    assert broadcaster.pass_interval_s() == 0.2


def test_a_long_queue_is_told_within_the_update_budget() -> None:
    broadcaster, _ = broadcaster_with(5000, updates_per_s=2000)
    assert broadcaster.pass_interval_s() == 2.5


async def test_each_citizen_is_told_its_place_once_then_only_when_it_moves() -> None:
    broadcaster, told = broadcaster_with(4, service=None)
    broadcaster.router.agent_online(
        AgentProfile("a", "a", Force.POLICE, max_chats=3), Presence.AVAILABLE, 0.0)
    slots = broadcaster.router.serving_slots(None)
    mean = broadcaster.handling_times.mean()
    await broadcaster.flush()
    assert told == [(f"c{n}", n + 1, estimate_wait_s(n + 1, slots, mean)) for n in range(4)]
    assert [broadcaster.position_of(broadcaster.store.get(f"c{n}"))  # type: ignore[arg-type]
            for n in range(4)] == [(position, estimate) for _, position, estimate in told]
    told.clear()
    await broadcaster.flush()
    assert told == [], "nothing moved"
    broadcaster.router.dequeue("c0")
    await broadcaster.flush()
    assert [(cid, position) for cid, position, _ in told] == [("c1", 1), ("c2", 2), ("c3", 3)]
