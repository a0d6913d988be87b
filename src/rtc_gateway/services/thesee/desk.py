"""The reviewers' desk: the queue, claims, decisions under the four-eyes rule, linked
cases and series; it keeps the desk's summary of every THESEE case up to date.

Claims live in this process (a single serving node writes cases) and expire on their
own; every claim, release and decision is an evidence record of the case.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec

from rtc_gateway.domain import cases as rules
from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.cases import Case, CaseKind, CaseStatus, Decision
from rtc_gateway.domain.errors import BadRequest, Conflict, Forbidden
from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.thesee.review import (
    CLAIM_TTL,
    Claim,
    PendingValidation,
    check_second_reviewer,
    needs_second_reviewer,
    take_claim,
)
from rtc_gateway.domain.thesee.series import total_loss
from rtc_gateway.domain.thesee.summary import CaseSummary, summarise
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.thesee_store import QueueFilter, TheseeStore
from rtc_gateway.services.cases.cases import CaseService
from rtc_gateway.services.thesee.observed_store import ObservedCaseStore

SHOWN_REASONS = frozenset({Decision.REJECT, Decision.REQUEST_INFO})
"""Decisions whose reason the citizen reads, as a message of the case."""


class TheseeRecord:
    """Evidence record kinds of the desk (beside the cases framework's own)."""

    CLAIMED = "case.claimed"
    RELEASED = "case.released"
    VALIDATION_PENDING = "case.validation_pending"
    COMPLETED = "case.completed"
    PURGED = "case.purged"


@dataclass(frozen=True, slots=True)
class QueueItem:
    summary: CaseSummary
    claim: Claim | None
    pending: PendingValidation | None


@dataclass(frozen=True, slots=True)
class Series:
    case_ids: list[str]
    total_loss_eur: float


def require_reviewer(staff: AgentProfile) -> None:
    if staff.role is not Role.REVIEWER:
        raise Forbidden("the THESEE desk is for reviewers")


class ReviewDesk:
    def __init__(self, cases: CaseService, observed: ObservedCaseStore, store: TheseeStore,
                 clock: Clock, four_eyes_above_eur: float | None,
                 claim_ttl: timedelta = CLAIM_TTL) -> None:
        self._cases = cases
        self._store = store
        self._clock = clock
        self.four_eyes_above_eur = four_eyes_above_eur
        self._claim_ttl = claim_ttl
        self._claims: dict[str, Claim] = {}
        cases.deciders[CaseKind.THESEE] = self._prepare
        observed.observers.append(self.case_stored)

    async def case_stored(self, case: Case) -> None:
        """Keep the summary and link keys of ``case`` as stored (a new case joins its
        series at once); a case leaving review frees its claim."""
        if case.kind is not CaseKind.THESEE:
            return
        await self._store.put_summary(summarise(case, await self._store.summary(case.id)))
        if case.status not in (CaseStatus.RECEIVED, CaseStatus.IN_REVIEW):
            self._claims.pop(case.id, None)

    async def queue(self, staff: AgentProfile, where: QueueFilter) -> list[QueueItem]:
        require_reviewer(staff)
        now = self._clock.now()
        return [QueueItem(s, self._live_claim(s.case_id, now), await self._store.pending(s.case_id))
                for s in await self._store.queue(where)]

    async def linked(self, case_ids: list[str]) -> dict[str, list[str]]:
        return await self._store.linked(case_ids)

    async def series(self, staff: AgentProfile, case_id: str) -> Series:
        require_reviewer(staff)
        await self._cases.get(staff, case_id)
        members = await self._store.series(case_id)
        losses = {}
        for member in members:
            summary = await self._store.summary(member)
            losses[member] = summary.loss_eur if summary else 0.0
        return Series(members, total_loss(members, losses))

    async def claim(self, staff: AgentProfile, case_id: str) -> Claim:
        require_reviewer(staff)
        async with self._cases.lock(case_id):
            case = await self._cases.get(staff, case_id)
            if case.is_final:
                raise Conflict(f"the case is {case.status.value}")
            claim = await self._claim(staff, case)
            return claim

    async def release(self, staff: AgentProfile, case_id: str) -> None:
        require_reviewer(staff)
        async with self._cases.lock(case_id):
            case = await self._cases.get(staff, case_id)
            held = self._live_claim(case_id, self._clock.now())
            if held is None or held.reviewer_id != staff.agent_id:
                raise Conflict("you do not hold this case")
            del self._claims[case_id]
            await self._cases.save(staff, self._touched(case), TheseeRecord.RELEASED,
                                   {"status": case.status.value})

    def now(self) -> datetime:
        return self._clock.now()

    def claim_of(self, case_id: str) -> Claim | None:
        return self._live_claim(case_id, self._clock.now())

    async def _claim(self, staff: AgentProfile, case: Case) -> Claim:
        now = self._clock.now()
        held = self._live_claim(case.id, now)
        claim = take_claim(held, case.id, staff.agent_id, now, self._claim_ttl)
        self._claims[case.id] = claim
        if held is None:
            changed = self._touched(case, CaseStatus.IN_REVIEW
                                    if case.status is CaseStatus.RECEIVED else None)
            await self._cases.save(staff, changed, TheseeRecord.CLAIMED,
                                   {"status": changed.status.value,
                                    "previous_status": case.status.value,
                                    "expires_at": claim.expires_at.isoformat()})
        return claim

    async def _prepare(self, staff: AgentProfile, case: Case, decision: Decision,
                       reason: str | None) -> tuple[Case, bool]:
        """Under the case's lock, before the cases framework decides: the reviewer holds
        (or takes) the claim; a validation above the threshold waits for a second
        reviewer (settled here); a reason the citizen reads becomes a message."""
        if decision is Decision.REJECT and not (reason and reason.strip()):
            raise BadRequest("a rejection needs a reason")
        pending = await self._store.pending(case.id)
        if decision is Decision.VALIDATE and pending is not None:
            check_second_reviewer(pending, staff.agent_id)
        await self._claim(staff, case)
        case = await self._cases.get(staff, case.id)
        if (decision is Decision.VALIDATE and pending is None
                and needs_second_reviewer(await self._loss(case), self.four_eyes_above_eur)):
            return await self._first_validation(staff, case), True
        if pending is not None:
            await self._store.delete_pending(case.id)
        if reason and reason.strip() and decision in SHOWN_REASONS:
            case = rules.add_message(case, staff.role.value, reason.strip(), self._clock.now())
        return case, False

    async def _first_validation(self, staff: AgentProfile, case: Case) -> Case:
        now = self._clock.now()
        await self._store.put_pending(PendingValidation(case.id, staff.agent_id, now))
        self._claims.pop(case.id, None)
        changed = self._touched(case, CaseStatus.IN_REVIEW)
        await self._cases.save(staff, changed, TheseeRecord.VALIDATION_PENDING,
                               {"status": changed.status.value,
                                "previous_status": case.status.value,
                                "threshold_eur": self.four_eyes_above_eur})
        return changed

    async def _loss(self, case: Case) -> float:
        summary = await self._store.summary(case.id)
        return summary.loss_eur if summary else 0.0

    def _touched(self, case: Case, status: CaseStatus | None = None) -> Case:
        return msgspec.structs.replace(case, status=status or case.status,
                                       updated_at=self._clock.now())

    def _live_claim(self, case_id: str, now: datetime) -> Claim | None:
        held = self._claims.get(case_id)
        if held is not None and not held.live(now):
            del self._claims[case_id]
            return None
        return held
