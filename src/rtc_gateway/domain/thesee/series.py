"""Series: the cases connected through shared identifiers (a case shares a key with
another, which shares one with a third, ...), with their total declared loss."""

from collections.abc import Iterable, Mapping


class UnionFind:
    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        parent = self._parent.setdefault(item, item)
        while parent != self._parent[parent]:
            self._parent[parent] = self._parent[self._parent[parent]]
            parent = self._parent[parent]
        self._parent[item] = parent
        return parent

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)


def all_series(pairs: Iterable[tuple[str, str]], cases: Iterable[str]) -> list[list[str]]:
    """The connected groups of ``cases`` given ``(key, case_id)`` pairs, largest first."""
    groups = UnionFind()
    first_of_key: dict[str, str] = {}
    for case_id in cases:
        groups.find(case_id)
    for key, case_id in pairs:
        other = first_of_key.setdefault(key, case_id)
        groups.union(other, case_id)
    members: dict[str, list[str]] = {}
    for case_id in list(groups._parent):
        members.setdefault(groups.find(case_id), []).append(case_id)
    return sorted((sorted(m) for m in members.values()), key=lambda m: (-len(m), m[0]))


def size_histogram(series: Iterable[list[str]]) -> dict[str, int]:
    """``{"1": n, "2": n, "3-5": n, "6-10": n, "11+": n}``: how many series of each size."""
    buckets = {"1": 0, "2": 0, "3-5": 0, "6-10": 0, "11+": 0}
    for members in series:
        size = len(members)
        label = ("1" if size == 1 else "2" if size == 2 else "3-5" if size <= 5
                 else "6-10" if size <= 10 else "11+")
        buckets[label] += 1
    return buckets


def total_loss(members: Iterable[str], losses: Mapping[str, float]) -> float:
    return round(sum(losses.get(m, 0.0) for m in members), 2)
