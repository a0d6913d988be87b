"""Tell waiting citizens their place and wait, and staff the queues, when they change.

Changes are coalesced: however many happen in a burst, one pass runs at most every
``interval_s``, and a citizen is only told when its own position or estimate moved.
While the queue drains every waiting citizen's place moves at each pass, so a long
queue stretches the interval to stay within ``updates_per_s``: during a surge the event
loop keeps relaying messages and assigning, and each citizen still sees its current
place within ``waiting / updates_per_s`` seconds.

Each force's staffing is watched too: from the moment no agent of a force is
available, its waiting citizens are told since when (``no_agent_since``), and their
estimate is unknown rather than made up.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime

from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.errors import Unavailable
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.routing import QueueStat
from rtc_gateway.domain.wait_estimate import HandlingTimes, QueuePlace, estimate_wait_s
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.conversation_store import ConversationStore
from rtc_gateway.ports.notifier import AgentOverview, Notifier
from rtc_gateway.ports.routing_state import RoutingState

log = logging.getLogger(__name__)


@dataclass(slots=True)
class QueueBroadcaster:
    state: RoutingState
    store: ConversationStore
    notifier: Notifier
    clock: Clock
    handling_times: HandlingTimes
    interval_s: float = 0.2
    updates_per_s: float = 2000.0
    _told: dict[str, QueuePlace] = field(default_factory=dict)
    _no_agent_since: dict[Force | None, datetime] = field(default_factory=dict)
    _last_stats: list[QueueStat] | None = None
    _last_overview: list[AgentOverview] | None = None
    _pending: asyncio.Task[None] | None = None
    _dirty: bool = False
    """A change since the running pass read the state: one more pass after it."""

    def __post_init__(self) -> None:
        started = self.clock.now()
        self._no_agent_since = {service: started for service in (None, *Force)}

    async def place_of(self, conversation: Conversation) -> QueuePlace:
        """Position, estimated wait and staffing of one waiting conversation."""
        position = await self.state.position(conversation.id) or 1
        slots = await self._watch_staffing(conversation.service)
        return QueuePlace(position, estimate_wait_s(position, slots, self.handling_times.mean()),
                          self._no_agent_since.get(conversation.service))

    async def _watch_staffing(self, service: Force | None) -> int:
        """Serving slots for ``service``; notes when the last available agent left."""
        slots = await self.state.serving_slots(service)
        if slots:
            self._no_agent_since.pop(service, None)
        else:
            self._no_agent_since.setdefault(service, self.clock.now())
        return slots

    def changed(self) -> None:
        self._dirty = True
        if self._pending is None or self._pending.done():
            self._pending = asyncio.get_running_loop().create_task(self._flush_soon())

    def forget(self, conversation_id: str) -> None:
        self._told.pop(conversation_id, None)

    async def close(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pending

    async def pass_interval_s(self) -> float:
        """Seconds between two passes: ``interval_s``, longer for a long queue."""
        return max(self.interval_s, await self.state.waiting_count() / self.updates_per_s)

    async def _flush_soon(self) -> None:
        try:
            while self._dirty:
                await asyncio.sleep(await self.pass_interval_s())
                self._dirty = False
                await self.flush()
        except Unavailable:
            log.warning("routing state unreachable: waiting citizens not told this time")

    async def flush(self) -> None:
        await self._tell_waiting_citizens()
        await self._tell_staff()

    async def _tell_waiting_citizens(self) -> None:
        positions = await self.state.positions()
        for conversation_id in list(self._told):
            if conversation_id not in positions:
                del self._told[conversation_id]
        slots = {service: await self._watch_staffing(service) for service in (None, *Force)}
        mean_handling_s = self.handling_times.mean()
        for conversation_id, position in positions.items():
            conversation = self.store.get(conversation_id)
            if conversation is None:
                continue
            service = conversation.service
            place = QueuePlace(position,
                               estimate_wait_s(position, slots[service], mean_handling_s),
                               self._no_agent_since.get(service))
            if self._told.get(conversation_id) != place:
                self._told[conversation_id] = place
                await self.notifier.queued(conversation, place)

    async def _tell_staff(self) -> None:
        stats = await self.state.queue_stats(self.clock.monotonic())
        rounded = [QueueStat(s.service, s.priority, s.length, round(s.oldest_wait_s))
                   for s in stats]
        if rounded != self._last_stats:
            self._last_stats = rounded
            await self.notifier.queue_stats(rounded)
        overview = [
            AgentOverview(slot.profile, slot.presence.value, slot.load)
            for slot in await self.state.agents()
        ]
        if overview != self._last_overview:
            self._last_overview = overview
            await self.notifier.agents_overview(overview)
