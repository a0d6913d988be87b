"""Merkle tree hashing and proofs exactly as RFC 6962 §2.1 and RFC 9162 §2.1.

Standard library only, so an expert can check it against the RFCs line by line.

- leaf hash: SHA-256(0x00 || leaf data)
- node hash: SHA-256(0x01 || left || right)
- the tree over n leaves splits at the largest power of two smaller than n.
"""

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Sequence

HASH_SIZE = 32
STRIDE = 8
"""Heights of the subtree roots a log stores (8, 16, 24...), so proofs need no full scan."""
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof does not hold; the message says why."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """Largest k = 2^i with k < n, for n > 1 (the split point of RFC 6962)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 §2.1, computed bottom-up in O(n)."""
    return MerkleTree(leaf_hashes).root(len(leaf_hashes))


def reference_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH written as the RFC's recursive definition (slow; for tests and reading)."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = _largest_power_of_two_below(n)
    return node_hash(reference_root(leaf_hashes[:k]), reference_root(leaf_hashes[k:]))


class TreeView(ABC):
    """Proofs over a log from any source of complete subtree hashes (RFC 9162 §2.1)."""

    @property
    @abstractmethod
    def size(self) -> int:
        """Leaves available."""

    @abstractmethod
    def complete_subtree(self, height: int, index: int) -> bytes:
        """Root of the complete subtree of 2^height leaves starting at index * 2^height."""

    def root(self, size: int) -> bytes:
        """Root of the tree over the first ``size`` leaves."""
        self._check_size(size)
        if size == 0:
            return EMPTY_ROOT
        return self._subtree(0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[size]) of RFC 9162 §2.1.3.1."""
        self._check_size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
        return self._path(index, 0, size)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """PROOF(old_size, D[new_size]) of RFC 9162 §2.1.4.1."""
        self._check_size(new_size)
        if not 0 <= old_size <= new_size:
            raise ValueError(f"no consistency proof from {old_size} to {new_size}")
        if old_size in (0, new_size):
            return []
        return self._subproof(old_size, 0, new_size, True)

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self.size:
            raise ValueError(f"tree has {self.size} leaves, not {size}")

    def _subtree(self, start: int, end: int) -> bytes:
        """MTH of leaves [start, end): complete aligned subtrees, or the RFC's split."""
        width = end - start
        if width & (width - 1) == 0:
            height = width.bit_length() - 1
            return self.complete_subtree(height, start >> height)
        k = _largest_power_of_two_below(width)
        return node_hash(self._subtree(start, start + k), self._subtree(start + k, end))

    def _path(self, index: int, start: int, end: int) -> list[bytes]:
        width = end - start
        if width == 1:
            return []
        k = _largest_power_of_two_below(width)
        if index < start + k:
            return [*self._path(index, start, start + k), self._subtree(start + k, end)]
        return [*self._path(index, start + k, end), self._subtree(start, start + k)]

    def _subproof(self, m: int, start: int, end: int, complete: bool) -> list[bytes]:
        width = end - start
        if m == width:
            return [] if complete else [self._subtree(start, end)]
        k = _largest_power_of_two_below(width)
        if m <= k:
            return [*self._subproof(m, start, start + k, complete), self._subtree(start + k, end)]
        return [*self._subproof(m - k, start + k, end, False), self._subtree(start, start + k)]


class MerkleTree(TreeView):
    """All levels of the tree over a list of leaf hashes, held in memory.

    Level 0 holds the leaf hashes; level h holds the roots of the complete subtrees of
    2^h leaves, in order.
    """

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self._levels: list[list[bytes]] = [list(leaf_hashes)]
        level = self._levels[0]
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            self._levels.append(level)

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def complete_subtree(self, height: int, index: int) -> bytes:
        return self._levels[height][index]


def fold_complete(hashes: Sequence[bytes]) -> bytes:
    """Root of a complete subtree from its 2^k bottom hashes, in order."""
    level = list(hashes)
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` leads to from ``leaf`` (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of {size} leaves")
    _check_hashes([leaf, *proof])
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise :class:`ProofError` unless ``leaf`` is at ``index`` in the tree of ``root``."""
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise ProofError(f"inclusion proof of leaf {index} does not lead to the root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise :class:`ProofError` unless the tree of ``new_root`` extends that of ``old_root``.

    The algorithm of RFC 9162 §2.1.4.2.
    """
    if not 0 <= old_size <= new_size:
        raise ProofError(f"tree of {new_size} leaves cannot extend one of {old_size}")
    if old_size == new_size:
        if proof:
            raise ProofError("consistency proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError("trees of equal size have different roots")
        return
    if old_size == 0:
        if proof:
            raise ProofError("consistency proof from an empty tree must be empty")
        return
    _check_hashes(proof)
    if not proof:
        raise ProofError("consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than expected")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than expected")
    if fr != old_root:
        raise ProofError("consistency proof does not lead to the earlier root")
    if sr != new_root:
        raise ProofError("consistency proof does not lead to the later root")


def _check_hashes(hashes: Sequence[bytes]) -> None:
    for h in hashes:
        if len(h) != HASH_SIZE:
            raise ProofError(f"a proof hash has {len(h)} bytes, not {HASH_SIZE}")


class Frontier:
    """The roots of the complete subtrees covering a log (its right edge), to extend it.

    Enough to compute the root after every append without the leaves, in O(log n).
    """

    __slots__ = ("_peaks", "size")

    def __init__(self, size: int = 0, peaks: Sequence[bytes] = ()) -> None:
        if len(peaks) != size.bit_count():
            raise ValueError(f"a log of {size} leaves has {size.bit_count()} peaks")
        self.size = size
        self._peaks = list(peaks)

    def append(self, leaf: bytes, completed: list[tuple[int, int, bytes]] | None = None) -> None:
        """Add a leaf; subtrees it completes at heights that are multiples of
        ``STRIDE`` are added to ``completed`` as (height, index, hash)."""
        h = leaf
        n = self.size
        height = 0
        while n & 1:
            h = node_hash(self._peaks.pop(), h)
            n >>= 1
            height += 1
            if completed is not None and height % STRIDE == 0:
                completed.append((height, ((self.size + 1) >> height) - 1, h))
        self._peaks.append(h)
        self.size += 1

    def root(self) -> bytes:
        if not self._peaks:
            return EMPTY_ROOT
        r = self._peaks[-1]
        for peak in reversed(self._peaks[:-1]):
            r = node_hash(peak, r)
        return r

    def copy(self) -> "Frontier":
        return Frontier(self.size, self._peaks)

    def to_bytes(self) -> bytes:
        return self.size.to_bytes(8, "big") + b"".join(self._peaks)

    @classmethod
    def from_bytes(cls, blob: bytes) -> "Frontier":
        size = int.from_bytes(blob[:8], "big")
        body = blob[8:]
        peaks = [body[i : i + HASH_SIZE] for i in range(0, len(body), HASH_SIZE)]
        return cls(size, peaks)
