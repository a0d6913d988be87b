"""Where cases are kept, and where their references are numbered."""

from typing import Protocol

import msgspec

from rtc_gateway.domain.cases import Case, CaseKind, CaseStatus
from rtc_gateway.domain.forces import Force


class StaffScope(msgspec.Struct, frozen=True):
    """Which cases a staff list may return: one force; with ``unit_id``, that unit's and
    the force's cases with no unit yet; optionally exactly one unit (``only_unit``), one
    kind, one status."""

    force: Force
    unit_id: str | None = None
    only_unit: str | None = None
    kind: CaseKind | None = None
    status: CaseStatus | None = None


class CaseStore(Protocol):
    async def open(self) -> None: ...

    async def next_number(self, kind: CaseKind, year: int) -> int:
        """1, 2, ... for each call with the same kind and year, never twice the same,
        even across restarts and processes sharing the store."""
        ...

    async def put(self, case: Case) -> None:
        """Insert ``case`` or replace the stored case of the same id."""
        ...

    async def get(self, case_id: str) -> Case | None: ...

    async def of_citizen(self, citizen_id: str) -> list[Case]:
        """The citizen's cases, newest first."""
        ...

    async def in_scope(self, scope: StaffScope, limit: int) -> list[Case]:
        """The cases of ``scope``, newest first, at most ``limit``."""
        ...

    async def of_kind(self, kind: CaseKind) -> list[Case]:
        """Every case of ``kind``, oldest first (the purge of pre-complaints reads them)."""
        ...

    async def delete(self, case_id: str) -> None:
        """Forget the case (end of its retention; its reference number stays used);
        nothing when it is not stored."""
        ...

    async def close(self) -> None: ...
