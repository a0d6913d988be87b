"""Merkle proofs straight from the SQLite evidence log, without loading every leaf.

The log stores the roots of complete subtrees at heights 8, 16, 24... (table
``nodes``); any complete subtree is then the fold of at most 256 stored hashes (or
leaf hashes) below it, so a proof costs O(log n) small range queries.
"""

import sqlite3

from rtc_gateway.evidence.merkle import STRIDE, TreeView, fold_complete


class StoredTree(TreeView):
    """The first ``size`` leaves of the log in ``con``; those never change once written."""

    def __init__(self, con: sqlite3.Connection, size: int) -> None:
        self._con = con
        self._size = size
        self._cache: dict[tuple[int, int], bytes] = {}

    @property
    def size(self) -> int:
        return self._size

    def complete_subtree(self, height: int, index: int) -> bytes:
        key = (height, index)
        value = self._cache.get(key)
        if value is None:
            value = self._compute(height, index)
            self._cache[key] = value
        return value

    def _compute(self, height: int, index: int) -> bytes:
        if height % STRIDE == 0:
            stored = self._range(height, index, 1)
            if stored is not None:
                return stored[0]
        base = (height - 1) // STRIDE * STRIDE
        span = height - base
        first, count = index << span, 1 << span
        below = self._range(base, first, count)
        if below is None:  # a log written before nodes were stored
            below = [self.complete_subtree(base, first + j) for j in range(count)]
        return fold_complete(below)

    def _range(self, height: int, first: int, count: int) -> list[bytes] | None:
        """Hashes at ``height`` from ``first``, or None when not all are stored."""
        if height == 0:
            rows = self._con.execute(
                "SELECT leaf_hash FROM records WHERE idx >= ? AND idx < ? ORDER BY idx",
                (first, first + count),
            ).fetchall()
        else:
            rows = self._con.execute(
                "SELECT hash FROM nodes WHERE height = ? AND idx >= ? AND idx < ? ORDER BY idx",
                (height, first, first + count),
            ).fetchall()
        if len(rows) != count:
            if height == 0:
                raise LookupError(f"leaves {first} to {first + count - 1} are not all in the log")
            return None
        return [bytes(row[0]) for row in rows]
