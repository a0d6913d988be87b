"""Whether this node can serve now: the shared services it depends on answer.

``/healthz`` asks on each request, but a check's answer is reused for a short while
so that a load balancer polling every node often (or anyone hammering the endpoint)
costs one probe per interval, not one per request.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping

Check = Callable[[], Awaitable[bool]]


class Readiness:
    def __init__(self, checks: Mapping[str, Check], monotonic: Callable[[], float],
                 timeout_s: float = 1.0, reuse_s: float = 0.5) -> None:
        self._checks = dict(checks)
        self._monotonic = monotonic
        self._timeout = timeout_s
        self._reuse = reuse_s
        self._last: tuple[float, list[str]] | None = None
        self._lock = asyncio.Lock()

    async def unreachable(self) -> list[str]:
        """Names of the services that did not answer (empty: ready)."""
        async with self._lock:
            if self._last is None or self._monotonic() - self._last[0] >= self._reuse:
                self._last = (self._monotonic(), await self._probe())
            return self._last[1]

    async def _probe(self) -> list[str]:
        names = list(self._checks)
        answers = await asyncio.gather(*(self._ask(self._checks[n]) for n in names))
        return [name for name, ok in zip(names, answers, strict=True) if not ok]

    async def _ask(self, check: Check) -> bool:
        try:
            return await asyncio.wait_for(check(), self._timeout)
        except TimeoutError:
            return False
