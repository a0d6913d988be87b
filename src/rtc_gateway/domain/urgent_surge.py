"""Detects a surge of urgent openings: at least ``threshold`` within ``window_s``."""

from collections import deque


class SurgeDetector:
    """Counts urgent openings in a sliding window and alarms at most once per window."""

    def __init__(self, threshold: int, window_s: float) -> None:
        self.threshold = threshold
        self.window_s = window_s
        self._opened_at: deque[float] = deque()
        self._quiet_until = float("-inf")

    def opened(self, now: float) -> int | None:
        """Record one urgent opening; the count in the window when this is a new alarm."""
        self._opened_at.append(now)
        count = self.count(now)
        if count >= self.threshold and now >= self._quiet_until:
            self._quiet_until = now + self.window_s
            return count
        return None

    def count(self, now: float) -> int:
        while self._opened_at and now - self._opened_at[0] > self.window_s:
            self._opened_at.popleft()
        return len(self._opened_at)
