"""Citizens follow advice themes: a new article of a followed theme is pushed to their
live sockets (``advice:new``), and a later session asks for what it missed.

A citizen's cursor (``seen_until``) moves when it is shown articles: by ``missed``, and
by a push that reached a live socket of it on this node.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from rtc_gateway.domain.advice import Advice, Subscription
from rtc_gateway.domain.errors import BadRequest
from rtc_gateway.ports.advice import AdviceNotifier, SubscriptionStore
from rtc_gateway.ports.clock import Clock
from rtc_gateway.services.advice.catalogue import AdviceCatalogue

log = logging.getLogger(__name__)
MAX_MISSED = 20


class AdviceSubscriptions:
    def __init__(self, catalogue: AdviceCatalogue, store: SubscriptionStore,
                 notifier: AdviceNotifier, clock: Clock,
                 summary: Callable[[Advice], dict[str, Any]]) -> None:
        self.catalogue = catalogue
        self.store = store
        self._notifier = notifier
        self._clock = clock
        self._summary = summary
        self._task: asyncio.Task[None] | None = None

    async def subscribe(self, citizen_id: str, themes: list[str]) -> Subscription:
        """Follow exactly ``themes`` (an empty list follows none); a first subscription
        starts from now, a change keeps the cursor."""
        chosen = frozenset(self.catalogue.check_theme(t) for t in themes)
        if len(themes) > len(self.catalogue.themes()):
            raise BadRequest("a theme is given twice")
        earlier = await self.store.get(citizen_id)
        seen = earlier.seen_until if earlier is not None else self._clock.now()
        subscription = Subscription(citizen_id, chosen, seen)
        await self.store.put(subscription)
        return subscription

    async def of(self, citizen_id: str) -> Subscription | None:
        return await self.store.get(citizen_id)

    async def missed(self, citizen_id: str) -> list[Advice]:
        """The articles of followed themes shown since the last look, newest first (at
        most ``MAX_MISSED``); the cursor moves to now."""
        subscription = await self.store.get(citizen_id)
        if subscription is None:
            return []
        missed = self.catalogue.visible_since(subscription.themes, subscription.seen_until)
        await self.store.put(Subscription(citizen_id, subscription.themes,
                                           self._clock.now()))
        return missed[:MAX_MISSED]

    async def publish(self, new: list[Advice]) -> int:
        """Push each new article to its theme's subscribers with a live socket."""
        if not new:
            return 0
        live = self._notifier.connected_citizens()
        reached: set[str] = set()
        for advice in new:
            for citizen_id in await self.store.subscribers(advice.theme):
                if citizen_id in live:
                    self._notifier.advice_new(citizen_id, self._summary(advice))
                    reached.add(citizen_id)
        now = self._clock.now()
        for citizen_id in sorted(reached):
            subscription = await self.store.get(citizen_id)
            if subscription is None:
                continue
            unseen = self.catalogue.visible_since(subscription.themes,
                                                   subscription.seen_until)
            if all(advice in new for advice in unseen):
                await self.store.put(Subscription(citizen_id, subscription.themes, now))
        return len(reached)

    def start(self, interval_s: float) -> None:
        """Reload the catalogue every ``interval_s`` and push what became visible."""
        if interval_s > 0 and self._task is None:
            self._task = asyncio.create_task(self._watch(interval_s))

    async def _watch(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.publish(self.catalogue.refresh())
            except Exception:
                log.exception("advice reload failed")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
