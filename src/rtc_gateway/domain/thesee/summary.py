"""What the desk keeps of each THESEE case beside the case itself: the columns its
queue filters on, its link keys, and when it was decided."""

from dataclasses import dataclass
from datetime import datetime

from rtc_gateway.domain.cases import Case, CaseStatus
from rtc_gateway.domain.thesee.filing import keys_of, loss_of

DECIDED_STATUSES = frozenset({CaseStatus.REGISTERED, CaseStatus.REJECTED})
OPEN_STATUSES = frozenset({CaseStatus.RECEIVED, CaseStatus.IN_REVIEW,
                           CaseStatus.NEEDS_INFORMATION})
"""The backlog: cases still waiting on the desk or on the citizen."""


@dataclass(frozen=True, slots=True)
class CaseSummary:
    case_id: str
    scam_type: str
    mode: str
    status: CaseStatus
    loss_eur: float
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None
    keys: frozenset[str]


def summarise(case: Case, previous: CaseSummary | None) -> CaseSummary:
    decided_at = previous.decided_at if previous is not None else None
    if decided_at is None and case.status in DECIDED_STATUSES:
        decided_at = case.updated_at
    return CaseSummary(
        case_id=case.id, scam_type=str(case.facts.get("scam_type", "")),
        mode=str(case.facts.get("mode", "")), status=case.status,
        loss_eur=loss_of(case.facts), created_at=case.created_at, updated_at=case.updated_at,
        decided_at=decided_at, keys=keys_of(case.facts))
