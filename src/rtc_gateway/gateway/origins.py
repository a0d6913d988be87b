"""Which browser origins may open a Socket.IO connection: our own, plus exact configured ones."""

from typing import Any


class OriginPolicy:
    def __init__(self, allowed: tuple[str, ...]) -> None:
        self._allowed = frozenset(origin.rstrip("/") for origin in allowed)

    def __call__(self, origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:
            return True
        if origin in self._allowed:
            return True
        host = environ.get("HTTP_HOST")
        scheme = environ.get("wsgi.url_scheme", "http")
        return host is not None and origin == f"{scheme}://{host}"
