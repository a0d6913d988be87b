"""Where token revocations and citizen-token generations are kept, shared by every node.

Entries are keyed by ``(kind, key)`` and only ever move forward: storing an entry keeps
the larger ``value`` and the later ``expires_us``. Every write gets a new version, so a
node that remembers the last version it read asks for what changed since, cheaply.
The embedded adapter is SQLite in the data directory; a PostgreSQL one (one table, one
sequence) would serve several nodes the same way.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class EntryKind:
    STAFF = "staff"
    """``key`` a staff id; ``value`` the instant (µs) before which its tokens are revoked."""
    TOKEN = "token"
    """``key`` a token id (jti); the token is revoked (``value`` unused, 0)."""
    CITIZEN = "citizen"
    """``key`` a citizen id; ``value`` the generation of its newest token."""
    CITIZEN_GRACE = "citizen-grace"
    """``key`` a citizen id; ``value`` the generation of the token last exchanged for a
    newer one, still accepted until ``expires_us`` (its holder may not have received
    the newer one)."""


@dataclass(frozen=True, slots=True)
class RevocationEntry:
    kind: str
    key: str
    value: int
    expires_us: int
    """After this instant (µs since the epoch) the entry is no longer needed."""


@dataclass(frozen=True, slots=True)
class Changes:
    entries: list[RevocationEntry]
    version: int
    """Pass it to the next ``changes_since`` call."""


class RevocationStore(Protocol):
    async def open(self) -> None: ...

    async def put(self, entries: Sequence[RevocationEntry]) -> None:
        """Store ``entries`` in one transaction (values only grow)."""

    async def changes_since(self, version: int) -> Changes:
        """Every live entry written after ``version`` (0: all of them)."""

    async def purge_expired(self, now_us: int) -> int:
        """Forget entries expired before ``now_us``; how many were removed."""

    async def close(self) -> None: ...
