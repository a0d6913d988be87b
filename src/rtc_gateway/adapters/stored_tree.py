"""Merkle proofs from a log's stored leaves and subtree roots, without loading every leaf.

A log stores the roots of complete subtrees at heights 8, 16, 24... beside its leaf
hashes; any complete subtree is then the fold of at most 256 stored hashes (or leaf
hashes) below it, so a proof costs O(log n) small range reads from the log's storage.
"""

from typing import Protocol

from rtc_gateway.evidence.merkle import STRIDE, TreeView, fold_complete


class HashRanges(Protocol):
    def hashes(self, height: int, first: int, count: int) -> list[bytes] | None:
        """``count`` hashes at ``height`` from ``first`` (height 0: leaf hashes), or None
        when not all are stored; raise ``LookupError`` for leaves the log lacks."""
        ...


class StoredTree(TreeView):
    """The first ``size`` leaves of a log; those never change once written."""

    def __init__(self, ranges: HashRanges, size: int) -> None:
        self._ranges = ranges
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
            stored = self._ranges.hashes(height, index, 1)
            if stored is not None:
                return stored[0]
        base = (height - 1) // STRIDE * STRIDE
        span = height - base
        first, count = index << span, 1 << span
        below = self._ranges.hashes(base, first, count)
        if below is None:  # a log written before nodes were stored
            below = [self.complete_subtree(base, first + j) for j in range(count)]
        return fold_complete(below)
