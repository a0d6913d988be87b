"""Tell waiting citizens their place and wait, and staff the queues, when they change.

Changes are coalesced: however many happen in a burst, one pass runs at most every
``interval_s``, and a citizen is only told when its own position or estimate moved.
"""

import asyncio
import contextlib
from dataclasses import dataclass, field

from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.routing import QueueStat, Router
from rtc_gateway.domain.wait_estimate import HandlingTimes, estimate_wait_s
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.conversation_store import ConversationStore
from rtc_gateway.ports.notifier import AgentOverview, Notifier


@dataclass(slots=True)
class QueueBroadcaster:
    router: Router
    store: ConversationStore
    notifier: Notifier
    clock: Clock
    handling_times: HandlingTimes
    interval_s: float = 0.2
    _told: dict[str, tuple[int, int]] = field(default_factory=dict)
    _last_stats: list[QueueStat] | None = None
    _last_overview: list[AgentOverview] | None = None
    _pending: asyncio.Task[None] | None = None

    def position_of(self, conversation: Conversation) -> tuple[int, int]:
        """(position, estimated wait in seconds) of one waiting conversation."""
        position = self.router.positions().get(conversation.id, 1)
        return position, self._estimate(conversation, position)

    def changed(self) -> None:
        if self._pending is None or self._pending.done():
            self._pending = asyncio.get_running_loop().create_task(self._flush_soon())

    def forget(self, conversation_id: str) -> None:
        self._told.pop(conversation_id, None)

    async def close(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pending

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self.interval_s)
        await self.flush()

    async def flush(self) -> None:
        await self._tell_waiting_citizens()
        await self._tell_staff()

    async def _tell_waiting_citizens(self) -> None:
        positions = self.router.positions()
        for conversation_id in list(self._told):
            if conversation_id not in positions:
                del self._told[conversation_id]
        for conversation_id, position in positions.items():
            conversation = self.store.get(conversation_id)
            if conversation is None:
                continue
            estimate = self._estimate(conversation, position)
            if self._told.get(conversation_id) != (position, estimate):
                self._told[conversation_id] = (position, estimate)
                await self.notifier.queued(conversation, position, estimate)

    async def _tell_staff(self) -> None:
        stats = self.router.queue_stats(self.clock.monotonic())
        rounded = [QueueStat(s.service, s.priority, s.length, round(s.oldest_wait_s))
                   for s in stats]
        if rounded != self._last_stats:
            self._last_stats = rounded
            await self.notifier.queue_stats(rounded)
        overview = [
            AgentOverview(slot.profile, slot.presence.value, slot.load)
            for slot in self.router.agents.values()
        ]
        if overview != self._last_overview:
            self._last_overview = overview
            await self.notifier.agents_overview(overview)

    def _estimate(self, conversation: Conversation, position: int) -> int:
        slots = self.router.serving_slots(conversation.service)
        return estimate_wait_s(position, slots, self.handling_times.mean())
