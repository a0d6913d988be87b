"""Tell waiting citizens their place and wait, and staff the queues, when they change.

Changes are coalesced: however many happen in a burst, one pass runs at most every
``interval_s``, and a citizen is only told when its own position or estimate moved.
While the queue drains every waiting citizen's place moves at each pass, so a long
queue stretches the interval to stay within ``updates_per_s``: during a surge the event
loop keeps relaying messages and assigning, and each citizen still sees its current
place within ``waiting / updates_per_s`` seconds.
"""

import asyncio
import contextlib
from dataclasses import dataclass, field

from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.forces import Force
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
    updates_per_s: float = 2000.0
    _told: dict[str, tuple[int, int]] = field(default_factory=dict)
    _last_stats: list[QueueStat] | None = None
    _last_overview: list[AgentOverview] | None = None
    _pending: asyncio.Task[None] | None = None

    def position_of(self, conversation: Conversation) -> tuple[int, int]:
        """(position, estimated wait in seconds) of one waiting conversation."""
        position = self.router.position(conversation.id) or 1
        slots = self.router.serving_slots(conversation.service)
        return position, estimate_wait_s(position, slots, self.handling_times.mean())

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

    def pass_interval_s(self) -> float:
        """Seconds between two passes: ``interval_s``, longer for a long queue."""
        return max(self.interval_s, self.router.waiting_count() / self.updates_per_s)

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self.pass_interval_s())
        await self.flush()

    async def flush(self) -> None:
        await self._tell_waiting_citizens()
        await self._tell_staff()

    async def _tell_waiting_citizens(self) -> None:
        positions = self.router.positions()
        for conversation_id in list(self._told):
            if conversation_id not in positions:
                del self._told[conversation_id]
        slots = {service: self.router.serving_slots(service) for service in (None, *Force)}
        mean_handling_s = self.handling_times.mean()
        for conversation_id, position in positions.items():
            conversation = self.store.get(conversation_id)
            if conversation is None:
                continue
            estimate = estimate_wait_s(position, slots[conversation.service], mean_handling_s)
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
