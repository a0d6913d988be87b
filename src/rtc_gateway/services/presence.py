"""Whether a conversation's citizen is still connected, and since when.

A citizen may have several tabs or devices: it counts as connected while at least one
``/citizen`` connection of its identity is open. Each change is told for every open
conversation of the citizen (to its officer and to supervisors), so a quick exit or a
closed tab is seen.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.conversation_store import ConversationStore


@dataclass(frozen=True, slots=True)
class CitizenPresence:
    connected: bool
    at: datetime
    """When the citizen connected, or when its last connection closed."""


PresenceListener = Callable[[Conversation, CitizenPresence], Awaitable[None]]


class PresenceService:
    def __init__(self, store: ConversationStore, clock: Clock,
                 listener: PresenceListener) -> None:
        self._store = store
        self._clock = clock
        self._listener = listener
        self._connections: dict[str, int] = {}
        self._last: dict[str, CitizenPresence] = {}

    def of(self, citizen_id: str) -> CitizenPresence | None:
        """``None`` when this process has not seen the citizen (e.g. after a restart)."""
        return self._last.get(citizen_id)

    async def connected(self, citizen_id: str) -> None:
        count = self._connections.get(citizen_id, 0) + 1
        self._connections[citizen_id] = count
        if count == 1:
            await self._changed(citizen_id, CitizenPresence(True, self._clock.now()))

    async def disconnected(self, citizen_id: str) -> None:
        count = self._connections.get(citizen_id, 0) - 1
        if count > 0:
            self._connections[citizen_id] = count
            return
        self._connections.pop(citizen_id, None)
        await self._changed(citizen_id, CitizenPresence(False, self._clock.now()))

    async def conversation_closed(self, conversation: Conversation) -> None:
        """Forget a gone citizen once none of its conversations is open."""
        citizen_id = conversation.citizen_id
        if citizen_id not in self._connections and not self._store.of_citizen(citizen_id):
            self._last.pop(citizen_id, None)

    async def _changed(self, citizen_id: str, presence: CitizenPresence) -> None:
        conversations = self._store.of_citizen(citizen_id)
        if conversations or presence.connected:
            self._last[citizen_id] = presence
        else:
            self._last.pop(citizen_id, None)
        for conversation in conversations:
            if conversation.is_open:
                await self._listener(conversation, presence)
