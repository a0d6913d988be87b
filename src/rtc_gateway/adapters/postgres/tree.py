"""Merkle proofs over the PostgreSQL evidence log, reading only the hashes a proof needs.

:class:`StoredTree` is synchronous; the ranges it asks for are read here on demand: a
range not read yet stops the computation with :class:`RangeNotRead`, the range is
fetched, and the computation starts again with everything already computed kept.
A proof costs O(log n) small range queries, as on SQLite.
"""

from collections.abc import Callable
from typing import TypeVar

import asyncpg

from rtc_gateway.adapters.stored_tree import StoredTree

_T = TypeVar("_T")
Range = tuple[int, int, int]
"""height, first index, count."""


class RangeNotRead(Exception):
    def __init__(self, wanted: Range) -> None:
        super().__init__(wanted)
        self.wanted = wanted


class ReadRanges:
    """Hash ranges fetched so far; asks for the others by raising :class:`RangeNotRead`."""

    def __init__(self) -> None:
        self._read: dict[Range, list[bytes] | None] = {}

    def hashes(self, height: int, first: int, count: int) -> list[bytes] | None:
        wanted = (height, first, count)
        if wanted not in self._read:
            raise RangeNotRead(wanted)
        return self._read[wanted]

    async def fetch(self, connection: asyncpg.Connection, wanted: Range) -> None:
        height, first, count = wanted
        if height == 0:
            rows = await connection.fetch(
                "SELECT leaf_hash FROM evidence_records WHERE idx >= $1 AND idx < $2"
                " ORDER BY idx", first, first + count)
            if len(rows) != count:
                raise LookupError(f"leaves {first} to {first + count - 1} are not all in the log")
        else:
            rows = await connection.fetch(
                "SELECT hash FROM evidence_nodes WHERE height = $1 AND idx >= $2 AND idx < $3"
                " ORDER BY idx", height, first, first + count)
        self._read[wanted] = [bytes(row[0]) for row in rows] if len(rows) == count else None


async def on_tree(connection: asyncpg.Connection, size: int,
                  job: Callable[[StoredTree], _T]) -> _T:
    """``job`` over the first ``size`` leaves, fetching the ranges it needs."""
    ranges = ReadRanges()
    tree = StoredTree(ranges, size)
    while True:
        try:
            return job(tree)
        except RangeNotRead as missing:
            await ranges.fetch(connection, missing.wanted)
