"""A case store that tells observers of every case it stores: how the THESEE desk keeps
its summaries and link keys in step with the cases, whoever changed them."""

from collections.abc import Awaitable, Callable

from rtc_gateway.domain.cases import Case, CaseKind
from rtc_gateway.ports.case_store import CaseStore, StaffScope

Observer = Callable[[Case], Awaitable[None]]


class ObservedCaseStore:
    """Implements :class:`rtc_gateway.ports.case_store.CaseStore` over another one."""

    def __init__(self, inner: CaseStore) -> None:
        self.inner = inner
        self.observers: list[Observer] = []
        """Called, in order, with every case once it is stored."""

    async def open(self) -> None:
        await self.inner.open()

    async def next_number(self, kind: CaseKind, year: int) -> int:
        return await self.inner.next_number(kind, year)

    async def put(self, case: Case) -> None:
        await self.inner.put(case)
        for observer in self.observers:
            await observer(case)

    async def get(self, case_id: str) -> Case | None:
        return await self.inner.get(case_id)

    async def of_citizen(self, citizen_id: str) -> list[Case]:
        return await self.inner.of_citizen(citizen_id)

    async def in_scope(self, scope: StaffScope, limit: int) -> list[Case]:
        return await self.inner.in_scope(scope, limit)

    async def of_kind(self, kind: CaseKind) -> list[Case]:
        return await self.inner.of_kind(kind)

    async def delete(self, case_id: str) -> None:
        await self.inner.delete(case_id)

    async def close(self) -> None:
        await self.inner.close()
