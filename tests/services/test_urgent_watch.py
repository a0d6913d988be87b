"""Urgent conversations queued past the threshold raise one alert per stay in the queue."""

from datetime import UTC, datetime

from rtc_gateway.adapters.memory.conversation_store import MemoryConversationStore
from rtc_gateway.adapters.memory.routing_state import MemoryRoutingState
from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.priority import Priority
from rtc_gateway.domain.routing import Router
from rtc_gateway.services.urgent_watch import UrgentWait, UrgentWaitWatch


class SteppedClock:
    def __init__(self) -> None:
        self.mono = 100.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return self.mono


def queue(router: Router, store: MemoryConversationStore, cid: str, priority: Priority,
          at: float) -> None:
    store.add(Conversation(cid, f"citizen-{cid}", "general", Force.POLICE, priority,
                           False, "fr", datetime.now(UTC)))
    router.enqueue(cid, service=Force.POLICE, topic="general", language="fr",
                   priority=priority, now=at)


async def test_one_alert_per_urgent_wait_over_the_threshold() -> None:
    router, store, clock = Router(), MemoryConversationStore(), SteppedClock()
    alerts: list[UrgentWait] = []

    async def listen(alert: UrgentWait) -> None:
        alerts.append(alert)

    watch = UrgentWaitWatch(MemoryRoutingState(router), store, clock, listen, threshold_s=60)
    queue(router, store, "urgent", Priority.URGENT, 100.0)
    queue(router, store, "normal", Priority.NORMAL, 100.0)
    clock.mono = 159.0
    await watch.check()
    assert alerts == []
    clock.mono = 161.0
    await watch.check()
    await watch.check()
    assert [a.conversation.id for a in alerts] == ["urgent"]
    assert alerts[0].waited_s == 61.0 and alerts[0].serving_slots == 0
    assert watch.alerts == 1

    router.dequeue("urgent")
    await watch.check()
    router.enqueue("urgent", service=Force.POLICE, topic="general", language="fr",
                   priority=Priority.URGENT, now=161.0, returning=True)
    clock.mono = 222.0
    await watch.check()
    assert [a.conversation.id for a in alerts] == ["urgent", "urgent"], "queued again"
