"""The THESEE desk's records in dicts (tests and ``--evidence memory``)."""

from collections import defaultdict
from datetime import datetime

from rtc_gateway.domain.thesee.drafts import Draft
from rtc_gateway.domain.thesee.review import PendingValidation
from rtc_gateway.domain.thesee.summary import CaseSummary
from rtc_gateway.ports.thesee_store import MAX_SERIES, QueueFilter


def matches(summary: CaseSummary, where: QueueFilter) -> bool:
    return ((where.scam_type is None or summary.scam_type == where.scam_type)
            and (not where.statuses or summary.status in where.statuses)
            and (where.min_loss_eur is None or summary.loss_eur >= where.min_loss_eur)
            and (where.max_loss_eur is None or summary.loss_eur <= where.max_loss_eur))


class MemoryTheseeStore:
    """Implements :class:`rtc_gateway.ports.thesee_store.TheseeStore` in memory."""

    def __init__(self) -> None:
        self._summaries: dict[str, CaseSummary] = {}
        self._cases_of_key: defaultdict[str, set[str]] = defaultdict(set)
        self._drafts: dict[str, Draft] = {}
        self._pending: dict[str, PendingValidation] = {}

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def put_summary(self, summary: CaseSummary) -> None:
        self._unlink(summary.case_id)
        self._summaries[summary.case_id] = summary
        for key in summary.keys:
            self._cases_of_key[key].add(summary.case_id)

    async def summary(self, case_id: str) -> CaseSummary | None:
        return self._summaries.get(case_id)

    async def remove(self, case_id: str) -> None:
        self._unlink(case_id)
        self._summaries.pop(case_id, None)
        self._pending.pop(case_id, None)

    async def linked(self, case_ids: list[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for case_id in case_ids:
            summary = self._summaries.get(case_id)
            others = set().union(*(self._cases_of_key[k] for k in summary.keys)) \
                if summary else set()
            found[case_id] = sorted(others - {case_id})
        return found

    async def series(self, case_id: str) -> list[str]:
        if case_id not in self._summaries:
            return []
        seen, frontier = {case_id}, [case_id]
        while frontier and len(seen) < MAX_SERIES:
            keys = {k for c in frontier for k in self._summaries[c].keys}
            frontier = sorted(set().union(*(self._cases_of_key[k] for k in keys)) - seen)
            seen.update(frontier)
        return sorted(seen)

    async def queue(self, where: QueueFilter) -> list[CaseSummary]:
        found = [s for s in self._summaries.values() if matches(s, where)]
        return sorted(found, key=lambda s: (s.created_at, s.case_id))[:where.limit]

    async def summaries(self) -> list[CaseSummary]:
        return list(self._summaries.values())

    async def pairs(self) -> list[tuple[str, str]]:
        return [(key, case_id) for key, cases in self._cases_of_key.items()
                for case_id in cases]

    async def changed_before(self, before: datetime) -> list[str]:
        return sorted(s.case_id for s in self._summaries.values() if s.updated_at < before)

    async def put_draft(self, draft: Draft) -> None:
        self._drafts[draft.id] = draft

    async def draft(self, draft_id: str) -> Draft | None:
        return self._drafts.get(draft_id)

    async def drafts_of(self, citizen_ids: frozenset[str]) -> list[Draft]:
        return sorted((d for d in self._drafts.values() if d.citizen_id in citizen_ids),
                      key=lambda d: (d.updated_at, d.id), reverse=True)

    async def delete_draft(self, draft_id: str) -> None:
        self._drafts.pop(draft_id, None)

    async def put_pending(self, pending: PendingValidation) -> None:
        self._pending[pending.case_id] = pending

    async def pending(self, case_id: str) -> PendingValidation | None:
        return self._pending.get(case_id)

    async def delete_pending(self, case_id: str) -> None:
        self._pending.pop(case_id, None)

    def _unlink(self, case_id: str) -> None:
        old = self._summaries.get(case_id)
        for key in old.keys if old else ():
            self._cases_of_key[key].discard(case_id)
            if not self._cases_of_key[key]:
                del self._cases_of_key[key]
