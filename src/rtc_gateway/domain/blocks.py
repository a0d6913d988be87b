"""Sources blocked for a while after abuse: citizen identities and addresses."""

from collections.abc import Iterator


class BlockList:
    """Keys blocked until a monotonic deadline; expired ones are forgotten as met."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def block(self, key: str, until: float) -> None:
        self._until[key] = max(until, self._until.get(key, until))

    def blocked_until(self, key: str, now: float) -> float | None:
        until = self._until.get(key)
        if until is None:
            return None
        if now >= until:
            del self._until[key]
            return None
        return until

    def active(self, now: float) -> Iterator[str]:
        return (key for key, until in list(self._until.items()) if now < until)

    def forget_expired(self, now: float) -> None:
        for key in [k for k, until in self._until.items() if now >= until]:
            del self._until[key]
