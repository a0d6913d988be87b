"""Advice subscriptions in memory (a memory evidence log keeps nothing either)."""

from rtc_gateway.domain.advice import Subscription


class MemorySubscriptionStore:
    def __init__(self) -> None:
        self._by_citizen: dict[str, Subscription] = {}

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def get(self, citizen_id: str) -> Subscription | None:
        return self._by_citizen.get(citizen_id)

    async def put(self, subscription: Subscription) -> None:
        self._by_citizen[subscription.citizen_id] = subscription

    async def subscribers(self, theme: str) -> list[str]:
        return sorted(c for c, s in self._by_citizen.items() if theme in s.themes)
