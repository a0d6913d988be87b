"""Which browser origins may open a Socket.IO connection: the gateway's public one
(``RTC_GATEWAY_PUBLIC_URL``) and the exact configured ones, never one derived from the
request's ``Host`` (a client chooses it: an attacker's DNS name pointed at the gateway
would pass). Without a public URL, loopback origins are allowed, for development."""

from __future__ import annotations

from urllib.parse import urlsplit

from rtc_gateway.realtime.client_address import is_loopback

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, as a browser writes it in ``Origin``."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        raise ValueError(f"not an http(s) URL: {url!r}")
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) \
        else f"{scheme}://{host}:{port}"


def is_loopback_origin(origin: str) -> bool:
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018 - a malformed port raises
    except ValueError:
        return False
    host = parts.hostname or ""
    return parts.scheme in _DEFAULT_PORTS and (host == "localhost" or is_loopback(host))


class OriginPolicy:
    def __init__(self, allowed: tuple[str, ...], public_url: str | None = None) -> None:
        origins = {origin.rstrip("/") for origin in allowed}
        if public_url:
            origins.add(origin_of(public_url))
        self._allowed = frozenset(origins)
        self._loopback = not public_url

    def __call__(self, origin: str, host: str | None = None, scheme: str = "") -> bool:
        """``host`` and ``scheme`` (the request's) are not looked at."""
        if origin in self._allowed:
            return True
        return self._loopback and is_loopback_origin(origin)
