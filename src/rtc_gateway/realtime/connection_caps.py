"""How many TCP connections are open, in all and per client address: a cap on each, so
one address cannot hold every connection slot and the process never runs out of file
descriptors.

A connection is counted when it is accepted and released when it closes, never per
message. It counts under its TCP peer's address (IPv6: its /64), except when the peer
is a trusted proxy: a proxy carries many clients, so its connections are counted under
the client its first request's ``X-Forwarded-For`` names, once that head is read, and
not per address at all when the header names no client beyond trusted proxies. Every
connection counts against the global cap.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import cast

from rtc_gateway.domain.addresses import address_key
from rtc_gateway.realtime.client_address import AddressSet, normalised

log = logging.getLogger(__name__)

MAX_CONNECTIONS_PER_ADDRESS = 500
"""The default of ``RTC_GATEWAY_MAX_CONNECTIONS_PER_ADDRESS``: hundreds of subscribers
share one address behind carrier-grade NAT, each holding a connection or two."""
FILE_DESCRIPTORS_KEPT = 256
"""File descriptors left to everything but client connections (the evidence log,
recordings, Redis and PostgreSQL, logs) when the global cap follows the process limit."""
LOG_EVERY_S = 10.0


def raise_file_limit() -> None:
    """The soft file-descriptor limit raised to the hard one: the usual soft default
    (1024) dates from ``select()`` and would cap a gateway at a few hundred clients."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            log.warning("file-descriptor limit not raised", extra={"soft": soft, "hard": hard})


def default_max_connections() -> int:
    """The process's file-descriptor limit less what the gateway needs besides clients."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return 10_000
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1_000_000
    return max(64, soft - FILE_DESCRIPTORS_KEPT)


class Place:
    """One open connection's place in the counts; released once, when it closes."""

    __slots__ = ("_caps", "key")

    def __init__(self, caps: ConnectionCaps, key: str | None) -> None:
        self._caps: ConnectionCaps | None = caps
        self.key = key

    def release(self) -> None:
        caps, self._caps = self._caps, None
        if caps is not None:
            caps.released(self)


class ConnectionCaps:
    __slots__ = ("_logged_at", "_per_address", "_trusted", "_unlogged", "max_per_address",
                 "max_total", "open", "refused_per_address", "refused_total")

    def __init__(self, *, max_total: int | None = None,
                 max_per_address: int = MAX_CONNECTIONS_PER_ADDRESS,
                 trusted_proxies: AddressSet | None = None) -> None:
        self.max_total = max_total or default_max_connections()
        self.max_per_address = max_per_address
        self._trusted = trusted_proxies or AddressSet()
        self._per_address: dict[str, int] = {}
        self.open = 0
        self.refused_total = 0
        self.refused_per_address = 0
        self._logged_at = {"total": -LOG_EVERY_S, "per_address": -LOG_EVERY_S}
        self._unlogged = {"total": 0, "per_address": 0}

    def admit(self, peer: str | None) -> Place | None:
        """A place for a connection just accepted from ``peer``, or None: refuse it."""
        if self.open >= self.max_total:
            self.refused_total += 1
            self._log_refusal("total")
            return None
        key = None if peer is None or peer in self._trusted else address_key(normalised(peer))
        if key is not None and not self._take(key):
            return None
        self.open += 1
        return Place(self, key)

    def identify(self, place: Place, client: str) -> bool:
        """The connection of a trusted proxy now counts under ``client`` (from its first
        head); False when that address holds its share already: refuse it."""
        if place.key is not None or client in self._trusted:
            return True
        key = address_key(normalised(client))
        if not self._take(key):
            return False
        place.key = key
        return True

    def released(self, place: Place) -> None:
        self.open -= 1
        key = place.key
        if key is None:
            return
        left = self._per_address[key] - 1
        if left:
            self._per_address[key] = left
        else:
            del self._per_address[key]

    def addresses(self) -> int:
        return len(self._per_address)

    def _take(self, key: str) -> bool:
        count = self._per_address.get(key, 0)
        if count >= self.max_per_address:
            self.refused_per_address += 1
            self._log_refusal("per_address")
            return False
        self._per_address[key] = count + 1
        return True

    def _log_refusal(self, limit: str) -> None:
        """One line per limit every ``LOG_EVERY_S`` at most, with the refusals since the
        last one: a flood must not flood the log."""
        self._unlogged[limit] += 1
        now = time.monotonic()
        if now - self._logged_at[limit] < LOG_EVERY_S:
            return
        log.warning("connections refused: too many open", extra={
            "limit": limit, "refused": self._unlogged[limit], "open": self.open})
        self._logged_at[limit] = now
        self._unlogged[limit] = 0


class ReleasedOnClose:
    """Stands in for a connection's protocol only to release its place when it closes.
    The transport calls the protocol's own bound methods for everything else (they are
    this object's attributes), so reading and writing cost nothing more."""

    __slots__ = ("_connection_lost", "_release", "data_received", "eof_received",
                 "pause_writing", "resume_writing")

    def __init__(self, protocol: asyncio.BaseProtocol, release: Callable[[], None]) -> None:
        inner = cast(asyncio.Protocol, protocol)
        self.data_received = inner.data_received
        self.eof_received = inner.eof_received
        self.pause_writing = inner.pause_writing
        self.resume_writing = inner.resume_writing
        self._connection_lost = inner.connection_lost
        self._release = release

    def connection_lost(self, exc: Exception | None) -> None:
        self._release()
        self._connection_lost(exc)


def released_on_close(transport: asyncio.Transport, place: Place) -> None:
    """From now on ``place`` is released when ``transport`` closes, whatever protocol
    serves it."""
    protocol = transport.get_protocol()
    transport.set_protocol(cast(asyncio.BaseProtocol, ReleasedOnClose(protocol, place.release)))
