"""What an operator sees when a limit trips: a metric each time, a log line now and then.

Under attack a limit trips thousands of times a second; one line per limit every
``every_s`` (with how many were not logged) says as much without flooding the log.
Lines name the limit and the address or identity id, never message text or tokens.
"""

import logging
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger("rtc_gateway.limits")


class LimitMetrics(Protocol):
    def limit_tripped(self, limit: str) -> None: ...


class LimitLog:
    def __init__(self, metrics: LimitMetrics, monotonic: Callable[[], float],
                 every_s: float = 10.0) -> None:
        self._metrics = metrics
        self._monotonic = monotonic
        self._every_s = every_s
        self._next_at: dict[str, float] = {}
        self._unlogged: dict[str, int] = {}

    def tripped(self, limit: str, **ids: str) -> None:
        self._metrics.limit_tripped(limit)
        now = self._monotonic()
        if now < self._next_at.get(limit, float("-inf")):
            self._unlogged[limit] = self._unlogged.get(limit, 0) + 1
            return
        self._next_at[limit] = now + self._every_s
        log.warning("limit tripped", extra={"limit": limit, **ids,
                                            "not_logged_since_last": self._unlogged.pop(limit, 0)})
