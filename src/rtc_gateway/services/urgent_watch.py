"""Alert supervisors when an urgent conversation has waited in the queue too long.

Checked every ``interval_s``; each conversation raises at most one alert per time it
is queued (a conversation re-queued later may raise another).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from rtc_gateway.background import stop_task
from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.errors import Unavailable
from rtc_gateway.domain.priority import Priority
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.conversation_store import ConversationStore
from rtc_gateway.ports.routing_state import RoutingState

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class UrgentWait:
    conversation: Conversation
    waited_s: float
    serving_slots: int
    """Chat slots of available agents of the conversation's force (0: nobody online)."""


AlertListener = Callable[[UrgentWait], Awaitable[None]]


class UrgentWaitWatch:
    def __init__(self, state: RoutingState, store: ConversationStore, clock: Clock,
                 listener: AlertListener, *, threshold_s: float,
                 interval_s: float = 1.0) -> None:
        self._state = state
        self._store = store
        self._clock = clock
        self._listener = listener
        self.threshold_s = threshold_s
        self._interval_s = min(interval_s, threshold_s)
        self._alerted: dict[str, float] = {}
        """Conversation id -> the ``enqueued_at`` it was alerted for."""
        self.alerts = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        await stop_task(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await self.check()
            except Unavailable:
                log.warning("routing state unreachable: urgent waits not checked")
            except Exception:
                log.exception("urgent wait check failed")

    async def check(self) -> None:
        now = self._clock.monotonic()
        waiting = {e.conversation_id: e for e in await self._state.waiting()
                   if e.priority is Priority.URGENT}
        for conversation_id in [c for c in self._alerted if c not in waiting]:
            del self._alerted[conversation_id]
        for entry in waiting.values():
            waited = now - entry.enqueued_at
            already = self._alerted.get(entry.conversation_id) == entry.enqueued_at
            if waited < self.threshold_s or already:
                continue
            conversation = self._store.get(entry.conversation_id)
            if conversation is None:
                continue
            self._alerted[entry.conversation_id] = entry.enqueued_at
            self.alerts += 1
            slots = await self._state.serving_slots(entry.service)
            log.warning("urgent conversation waiting over threshold", extra={
                "conversation_id": entry.conversation_id, "waited_s": round(waited),
                "threshold_s": self.threshold_s, "serving_slots": slots})
            await self._listener(UrgentWait(conversation, waited, slots))
