"""Which browser origins may open a Socket.IO connection: our own, plus exact configured ones."""


class OriginPolicy:
    def __init__(self, allowed: tuple[str, ...]) -> None:
        self._allowed = frozenset(origin.rstrip("/") for origin in allowed)

    def __call__(self, origin: str, host: str | None, scheme: str) -> bool:
        if origin in self._allowed:
            return True
        return host is not None and origin == f"{scheme}://{host}"
