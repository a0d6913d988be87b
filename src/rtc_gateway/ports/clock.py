"""Time as the services see it: injectable so tests can move it."""

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Wall-clock instant (UTC), for records and the wire."""
        ...

    def monotonic(self) -> float:
        """Seconds on a monotonic scale, for waits, timeouts and rates."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()
