"""Estimated wait from recent handling times rather than a constant."""

from collections import deque
from dataclasses import dataclass, field

DEFAULT_HANDLING_S = 300.0
"""Assumed handling time of a conversation before any has been closed."""


@dataclass(slots=True)
class HandlingTimes:
    """The most recent handling durations (assignment to close), in seconds."""

    window: int = 50
    durations: deque[float] = field(default_factory=deque)

    def add(self, seconds: float) -> None:
        self.durations.append(max(0.0, seconds))
        while len(self.durations) > self.window:
            self.durations.popleft()

    def mean(self) -> float:
        if not self.durations:
            return DEFAULT_HANDLING_S
        return sum(self.durations) / len(self.durations)


def estimate_wait_s(position: int, serving_slots: int, mean_handling_s: float) -> int:
    """Seconds until a conversation at ``position`` (1 = next) is likely taken.

    Each of ``serving_slots`` (free or busy chat slots of present agents) frees up on
    average once per ``mean_handling_s``; with no slot at all, the wait is one full
    handling time per position.
    """
    slots = max(1, serving_slots)
    return rounded_for_people(position * mean_handling_s / slots)


def rounded_for_people(seconds: float) -> int:
    """5 s steps under a minute, 30 s under ten minutes, whole minutes beyond.

    A waiting citizen reads "about 2 min", not "127 s"; coarser steps also mean a
    position update is pushed only when the wait really moved.
    """
    step = 5 if seconds < 60 else 30 if seconds < 600 else 60
    return max(step, round(seconds / step) * step)
