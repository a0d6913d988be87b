"""Estimated wait from recent handling times, or none when there is nothing to base it on."""

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class HandlingTimes:
    """The most recent handling durations (assignment to close), in seconds."""

    window: int = 50
    durations: deque[float] = field(default_factory=deque)

    def add(self, seconds: float) -> None:
        self.durations.append(max(0.0, seconds))
        while len(self.durations) > self.window:
            self.durations.popleft()

    def mean(self) -> float | None:
        """``None`` before any conversation was closed: no figure is made up."""
        if not self.durations:
            return None
        return sum(self.durations) / len(self.durations)


@dataclass(frozen=True, slots=True)
class QueuePlace:
    """What a waiting citizen is told about its place in line."""

    position: int
    estimated_wait_s: int | None
    """``None`` when unknown: nobody can serve the conversation, or no history yet."""
    no_agent_since: datetime | None = None
    """Since when no agent of the requested force has been available; ``None`` while one is."""


def estimate_wait_s(position: int, serving_slots: int, mean_handling_s: float | None) -> int | None:
    """Seconds until a conversation at ``position`` (1 = next) is likely taken.

    Each of ``serving_slots`` (free or busy chat slots of present agents) frees up on
    average once per ``mean_handling_s``. With no slot at all, or no handling time
    measured yet, there is no honest figure: ``None``.
    """
    if serving_slots <= 0 or mean_handling_s is None:
        return None
    return rounded_for_people(position * mean_handling_s / serving_slots)


def rounded_for_people(seconds: float) -> int:
    """5 s steps under a minute, 30 s under ten minutes, whole minutes beyond.

    A waiting citizen reads "about 2 min", not "127 s"; coarser steps also mean a
    position update is pushed only when the wait really moved.
    """
    step = 5 if seconds < 60 else 30 if seconds < 600 else 60
    return max(step, round(seconds / step) * step)
