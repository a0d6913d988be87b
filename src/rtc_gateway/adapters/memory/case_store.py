"""Cases in memory (tests and ``--evidence memory``)."""

from collections import Counter
from collections.abc import Iterable

from rtc_gateway.domain.cases import Case, CaseKind
from rtc_gateway.ports.case_store import StaffScope


def in_scope(case: Case, scope: StaffScope) -> bool:
    return (case.force is scope.force
            and (scope.unit_id is None or case.unit_id in (None, scope.unit_id))
            and (scope.only_unit is None or case.unit_id == scope.only_unit)
            and (scope.kind is None or case.kind is scope.kind)
            and (scope.status is None or case.status is scope.status))


class MemoryCaseStore:
    """Implements :class:`rtc_gateway.ports.case_store.CaseStore` in a dict."""

    def __init__(self) -> None:
        self._cases: dict[str, Case] = {}
        self._numbers: Counter[tuple[CaseKind, int]] = Counter()

    async def open(self) -> None:
        return None

    async def next_number(self, kind: CaseKind, year: int) -> int:
        self._numbers[kind, year] += 1
        return self._numbers[kind, year]

    async def put(self, case: Case) -> None:
        self._cases[case.id] = case

    async def get(self, case_id: str) -> Case | None:
        return self._cases.get(case_id)

    async def of_citizen(self, citizen_id: str) -> list[Case]:
        return self._newest_first(c for c in self._cases.values() if c.citizen_id == citizen_id)

    async def in_scope(self, scope: StaffScope, limit: int) -> list[Case]:
        return self._newest_first(c for c in self._cases.values() if in_scope(c, scope))[:limit]

    async def delete(self, case_id: str) -> None:
        self._cases.pop(case_id, None)

    @staticmethod
    def _newest_first(cases: Iterable[Case]) -> list[Case]:
        return sorted(cases, key=lambda c: (c.created_at, c.id), reverse=True)

    async def close(self) -> None:
        return None
