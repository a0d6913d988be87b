"""The cases framework: open, read, list, message, withdraw and decide, with the access
rules of ``domain.case_access``; every change is first an evidence record of the case
(its id is the record's conversation id), then stored.

Changes to one case are serialised by a lock per case in this process (a single serving
node writes cases).
"""

import uuid
import weakref
from asyncio import Lock
from collections.abc import Mapping
from typing import Any

import msgspec

from rtc_gateway.domain import cases as rules
from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.case_access import CitizenCaller, staff_may_decide, staff_sees
from rtc_gateway.domain.cases import Case, CaseKind, CaseStatus
from rtc_gateway.domain.errors import BadRequest, Forbidden, NotFound
from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.units import UnitChoice, choose_unit, force_of_unit
from rtc_gateway.domain.zones import PoliceZone
from rtc_gateway.ports.case_store import CaseStore, StaffScope
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.evidence_log import EvidenceEntry, EvidenceLog, RecordKind

STAFF_LIST_LIMIT = 200
Caller = CitizenCaller | AgentProfile
_facts_text = msgspec.json.Encoder(order="sorted").encode


def _actor(caller: Caller) -> tuple[str, str]:
    if isinstance(caller, CitizenCaller):
        return Role.CITIZEN.value, caller.citizen_id
    return caller.role.value, caller.agent_id


class CaseService:
    def __init__(self, store: CaseStore, evidence: EvidenceLog, clock: Clock,
                 zones: tuple[PoliceZone, ...]) -> None:
        self._store = store
        self._evidence = evidence
        self._clock = clock
        self._zones = zones
        self._locks: weakref.WeakValueDictionary[str, Lock] = weakref.WeakValueDictionary()

    async def open(self, citizen: CitizenCaller, kind: CaseKind, facts: Mapping[str, Any],
                   unit: UnitChoice) -> Case:
        force, unit_id = choose_unit(unit, self._zones)
        now = self._clock.now()
        number = await self._store.next_number(kind, now.year)
        case = Case(id=str(uuid.uuid4()), reference=rules.format_reference(kind, now.year, number),
                    kind=kind, status=CaseStatus.RECEIVED, created_at=now, updated_at=now,
                    citizen_id=citizen.citizen_id, citizen_verified=citizen.verified,
                    force=force, unit_id=unit_id, facts=dict(facts))
        await self._record(case, RecordKind.CASE_OPENED, citizen,
                           text=_facts_text(case.facts).decode(),
                           data={"reference": case.reference, "kind": kind.value,
                                 "force": force.value, "unit_id": unit_id,
                                 "citizen_verified": citizen.verified,
                                 "status": case.status.value})
        await self._store.put(case)
        return case

    async def get(self, caller: Caller, case_id: str) -> Case:
        case = await self._store.get(case_id)
        if case is None or not self._sees(caller, case):
            raise NotFound("no such case")
        return case

    async def own(self, citizen: CitizenCaller) -> list[Case]:
        found = {c.id: c for c in await self._store.of_citizen(citizen.citizen_id)}
        for other in sorted(citizen.also - {citizen.citizen_id}):
            found.update({c.id: c for c in await self._store.of_citizen(other)})
        return sorted(found.values(), key=lambda c: (c.created_at, c.id), reverse=True)

    async def staff_list(self, staff: AgentProfile, kind: CaseKind | None,
                         status: CaseStatus | None, unit: str | None) -> list[Case]:
        if staff.role is Role.REVIEWER:
            return []
        if unit is not None:
            force_of_unit(unit)
        scope = StaffScope(staff.service, staff.unit, unit, kind, status)
        return await self._store.in_scope(scope, STAFF_LIST_LIMIT)

    async def post_message(self, caller: Caller, case_id: str, text: str) -> Case:
        async with self._lock(case_id):
            case = await self.get(caller, case_id)
            role, _ = _actor(caller)
            changed = rules.add_message(case, role, text, self._clock.now())
            message = changed.messages[-1]
            await self._record(changed, RecordKind.CASE_MESSAGE, caller, text=text,
                               seq=message.seq, data={"status": changed.status.value})
            await self._store.put(changed)
            return changed

    async def withdraw(self, citizen: CitizenCaller, case_id: str) -> Case:
        async with self._lock(case_id):
            case = await self.get(citizen, case_id)
            changed = rules.withdraw(case, self._clock.now())
            await self._record(changed, RecordKind.CASE_WITHDRAWN, citizen,
                               data={"status": changed.status.value,
                                     "previous_status": case.status.value})
            await self._store.put(changed)
            return changed

    async def decide(self, staff: AgentProfile, case_id: str, decision_name: str,
                     reason: str | None) -> Case:
        async with self._lock(case_id):
            case = await self.get(staff, case_id)
            if not staff_may_decide(staff, case):
                raise Forbidden(f"a {staff.role.value} cannot decide a {case.kind.value} case")
            decision = rules.parse_decision(case.kind, decision_name)
            if decision is rules.Decision.REJECT and not (reason and reason.strip()):
                raise BadRequest("a rejection needs a reason")
            changed = rules.decide(case, decision, self._clock.now())
            await self._record(changed, RecordKind.CASE_DECIDED, staff, text=reason,
                               data={"decision": decision.value,
                                     "status": changed.status.value,
                                     "previous_status": case.status.value})
            await self._store.put(changed)
            return changed

    def _sees(self, caller: Caller, case: Case) -> bool:
        if isinstance(caller, CitizenCaller):
            return caller.owns(case)
        return staff_sees(caller, case)

    def _lock(self, case_id: str) -> Lock:
        lock = self._locks.get(case_id)
        if lock is None:
            lock = self._locks[case_id] = Lock()
        return lock

    async def _record(self, case: Case, kind: str, caller: Caller, *, text: str | None = None,
                      seq: int | None = None, data: Mapping[str, Any]) -> None:
        role, actor_id = _actor(caller)
        await self._evidence.append(EvidenceEntry(
            conversation_id=case.id, kind=kind, actor_role=role, actor_id=actor_id,
            at=case.updated_at, seq=seq, text=text, data=dict(data)))

    # -- decisions with details (outside-the-walls visits) -------------------------

    async def decide_with_details(self, staff: AgentProfile, case_id: str, kind: CaseKind,
                                  decision_name: str, note: str | None,
                                  details: Mapping[str, Any]) -> Case:
        """A decision on a case of ``kind`` (400 for another kind) whose ``details`` (a
        planned visit, its outcome) join the case's facts and the decision's record."""
        async with self._lock(case_id):
            case = await self.get(staff, case_id)
            if case.kind is not kind:
                raise BadRequest(f"this is for {kind.value} cases")
            if not staff_may_decide(staff, case):
                raise Forbidden(f"a {staff.role.value} cannot decide a {case.kind.value} case")
            decision = rules.parse_decision(case.kind, decision_name)
            decided = rules.decide(case, decision, self._clock.now())
            changed = msgspec.structs.replace(decided, facts={**decided.facts, **details})
            await self._record(changed, RecordKind.CASE_DECIDED, staff, text=note,
                               data={"decision": decision.value,
                                     "status": changed.status.value,
                                     "previous_status": case.status.value,
                                     "details": dict(details)})
            await self._store.put(changed)
            return changed
