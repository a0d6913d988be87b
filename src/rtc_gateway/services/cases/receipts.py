"""The receipt (récépissé) of a registered complaint.

Only the case's citizen and the staff in charge of it (who see it and may decide it)
get it, once a ``validate`` decision registered the complaint: before that, 409. The
receipt names the evidence record of that decision (its index in the log, its place in
the case's chain and its leaf hash), so anyone holding the case's evidence bundle can
check the receipt against the log.
"""

from dataclasses import dataclass
from datetime import datetime

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.case_access import CitizenCaller, staff_may_decide
from rtc_gateway.domain.cases import Case, CaseKind, Decision
from rtc_gateway.domain.errors import Conflict, NotFound
from rtc_gateway.ports.evidence_log import EvidenceLog, RecordKind
from rtc_gateway.services.cases.cases import CaseService

RECEIPT_KINDS = frozenset({CaseKind.COMPLAINT, CaseKind.THESEE})


@dataclass(frozen=True, slots=True)
class Registration:
    """The evidence record that registered the complaint."""

    at: datetime
    index: int
    conversation_index: int
    leaf_hash: bytes


@dataclass(frozen=True, slots=True)
class Receipt:
    case: Case
    registration: Registration


class Receipts:
    def __init__(self, cases: CaseService, evidence: EvidenceLog) -> None:
        self._cases = cases
        self._evidence = evidence

    async def of(self, caller: CitizenCaller | AgentProfile, case_id: str) -> Receipt:
        case = await self._cases.get(caller, case_id)
        if isinstance(caller, AgentProfile) and not staff_may_decide(caller, case):
            raise NotFound("no such case")
        if case.kind not in RECEIPT_KINDS:
            raise Conflict(f"a {case.kind.value} case has no receipt")
        registration = await self._registration(case)
        if registration is None:
            raise Conflict("the complaint is not registered yet: no receipt before it is")
        return Receipt(case, registration)

    async def _registration(self, case: Case) -> Registration | None:
        for record in await self._evidence.conversation_records(case.id,
                                                                [RecordKind.CASE_DECIDED]):
            if record.data.get("decision") == Decision.VALIDATE.value:
                return Registration(record.at, record.index, record.conversation_index,
                                    record.leaf_hash)
        return None
