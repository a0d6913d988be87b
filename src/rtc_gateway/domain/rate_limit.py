"""Token buckets: a sustained rate with a burst allowance, driven by an explicit clock."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class TokenBucket:
    rate_per_s: float
    burst: float
    tokens: float
    updated_at: float

    @classmethod
    def full(cls, rate_per_s: float, burst: float, now: float) -> "TokenBucket":
        return cls(rate_per_s, burst, burst, now)

    def try_take(self, now: float, cost: float = 1.0) -> bool:
        elapsed = max(0.0, now - self.updated_at)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate_per_s)
        self.updated_at = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False

    def is_full(self, now: float) -> bool:
        """Refilled to its burst: forgetting it and starting a new one changes nothing."""
        return self.tokens + max(0.0, now - self.updated_at) * self.rate_per_s >= self.burst


class BucketTable:
    """One bucket per key (an address, an identity), in bounded memory.

    Buckets that have refilled are forgotten, at most once per ``sweep_every_s`` and only
    when a new key arrives, unless ``held`` says a live connection still uses it. So the
    table holds the keys active in the last ``burst / rate`` seconds, plus held ones.
    """

    def __init__(self, rate_per_s: float, burst: float, *,
                 held: Callable[[str], bool] = lambda _key: False,
                 sweep_every_s: float = 10.0) -> None:
        self._rate_per_s = rate_per_s
        self._burst = burst
        self._held = held
        self._sweep_every_s = sweep_every_s
        self._buckets: dict[str, TokenBucket] = {}
        self._next_sweep_at = 0.0

    def bucket(self, key: str, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if now >= self._next_sweep_at:
                self.forget_idle(now)
            bucket = self._buckets[key] = TokenBucket.full(self._rate_per_s, self._burst, now)
        return bucket

    def try_take(self, key: str, now: float, cost: float = 1.0) -> bool:
        return self.bucket(key, now).try_take(now, cost)

    def forget_idle(self, now: float) -> None:
        self._next_sweep_at = now + self._sweep_every_s
        idle = [key for key, bucket in self._buckets.items()
                if bucket.is_full(now) and not self._held(key)]
        for key in idle:
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)
