"""A cap on new anonymous citizen identities per IP address in a sliding window."""

from collections import deque


class AnonymousQuota:
    def __init__(self, max_per_window: int, window_s: float) -> None:
        self._max = max_per_window
        self._window_s = window_s
        self._issued: dict[str, deque[float]] = {}

    def try_issue(self, address: str, now: float) -> bool:
        issued = self._issued.setdefault(address, deque())
        while issued and now - issued[0] > self._window_s:
            issued.popleft()
        if len(issued) >= self._max:
            return False
        issued.append(now)
        if len(self._issued) > 100_000:
            self._forget_idle(now)
        return True

    def _forget_idle(self, now: float) -> None:
        for address in [a for a, d in self._issued.items()
                        if not d or now - d[-1] > self._window_s]:
            del self._issued[address]
