"""A citizen counts as present while any of its connections is open."""

from datetime import UTC, datetime

from rtc_gateway.adapters.memory.conversation_store import MemoryConversationStore
from rtc_gateway.domain.conversation import Conversation, Status
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.priority import Priority
from rtc_gateway.ports.clock import SystemClock
from rtc_gateway.services.presence import CitizenPresence, PresenceService


async def test_presence_is_told_to_the_holding_officer_and_forgotten_after_close() -> None:
    store = MemoryConversationStore()
    conversation = Conversation("cv_1", "c_1", "general", Force.POLICE, Priority.NORMAL,
                                False, "fr", datetime.now(UTC), status=Status.ASSIGNED,
                                agent_id="a1")
    store.add(conversation)
    told: list[tuple[str, bool]] = []

    async def listen(held: Conversation, presence: CitizenPresence) -> None:
        told.append((held.id, presence.connected))

    presence = PresenceService(store, SystemClock(), listen)
    await presence.connected("c_1")
    await presence.connected("c_1")
    await presence.disconnected("c_1")
    assert told == [("cv_1", True)]
    await presence.disconnected("c_1")
    assert told == [("cv_1", True), ("cv_1", False)]
    known = presence.of("c_1")
    assert known is not None and known.connected is False

    store.remove("cv_1")
    await presence.conversation_closed(conversation)
    assert presence.of("c_1") is None
