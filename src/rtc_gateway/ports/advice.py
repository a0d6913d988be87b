"""Ports of the prevention advice: where the articles come from, their full-text index,
the citizens' subscriptions, and how a citizen is told of a new article."""

from collections.abc import Sequence
from typing import Any, Protocol

from rtc_gateway.domain.advice import Advice, Subscription, Theme


class AdviceSource(Protocol):
    def load(self) -> tuple[list[Theme], list[Advice]]:
        """Every theme and article as they are now (published or not yet)."""
        ...


class AdviceIndex(Protocol):
    def replace(self, advice: Sequence[Advice]) -> None:
        """Index exactly these articles."""
        ...

    def search(self, query: str, theme: str | None, limit: int) -> list[str]:
        """Ids of the articles matching every word of ``query``, best first."""
        ...


class SubscriptionStore(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def get(self, citizen_id: str) -> Subscription | None: ...

    async def put(self, subscription: Subscription) -> None: ...

    async def subscribers(self, theme: str) -> list[str]: ...


class AdviceNotifier(Protocol):
    def connected_citizens(self) -> set[str]:
        """Citizen ids with a live socket on this node."""
        ...

    def advice_new(self, citizen_id: str, advice: dict[str, Any]) -> None:
        """Emit ``advice:new`` to that citizen's sockets."""
        ...
