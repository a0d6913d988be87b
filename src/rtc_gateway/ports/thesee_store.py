"""The THESEE desk's own records beside the cases: one summary per case (what the
queue filters on), the link index (normalised identifier → cases), drafts, and
validations waiting for a second reviewer."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rtc_gateway.domain.cases import CaseStatus
from rtc_gateway.domain.thesee.drafts import Draft
from rtc_gateway.domain.thesee.review import PendingValidation
from rtc_gateway.domain.thesee.summary import CaseSummary

MAX_SERIES = 5000
"""A series is followed up to this many cases (a key shared by too many is noise)."""


@dataclass(frozen=True, slots=True)
class QueueFilter:
    scam_type: str | None = None
    statuses: frozenset[CaseStatus] = frozenset()
    min_loss_eur: float | None = None
    max_loss_eur: float | None = None
    limit: int = 200


class TheseeStore(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def put_summary(self, summary: CaseSummary) -> None:
        """Insert or replace the case's summary and its link keys, at once."""
        ...

    async def summary(self, case_id: str) -> CaseSummary | None: ...

    async def remove(self, case_id: str) -> None:
        """The case's summary, link keys and pending validation."""
        ...

    async def linked(self, case_ids: list[str]) -> dict[str, list[str]]:
        """For each case, the other cases sharing at least one link key, sorted."""
        ...

    async def series(self, case_id: str) -> list[str]:
        """The cases connected to ``case_id`` (itself included), sorted."""
        ...

    async def queue(self, where: QueueFilter) -> list[CaseSummary]:
        """Summaries matching ``where``, oldest first."""
        ...

    async def summaries(self) -> list[CaseSummary]: ...

    async def pairs(self) -> list[tuple[str, str]]:
        """Every ``(link key, case id)`` of the index."""
        ...

    async def changed_before(self, before: datetime) -> list[str]:
        """Cases whose last change is before ``before``."""
        ...

    async def put_draft(self, draft: Draft) -> None: ...

    async def draft(self, draft_id: str) -> Draft | None: ...

    async def drafts_of(self, citizen_ids: frozenset[str]) -> list[Draft]:
        """Newest first."""
        ...

    async def delete_draft(self, draft_id: str) -> None: ...

    async def put_pending(self, pending: PendingValidation) -> None: ...

    async def pending(self, case_id: str) -> PendingValidation | None: ...

    async def delete_pending(self, case_id: str) -> None: ...
