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
from datetime import UTC, datetime
from typing import Any, Protocol

import msgspec

from rtc_gateway.domain import cases as rules
from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.appointments import appointment_notice, check_appointment
from rtc_gateway.domain.attachments import add_attachment
from rtc_gateway.domain.case_access import CitizenCaller, staff_may_decide, staff_sees
from rtc_gateway.domain.case_reading import noticed, seen
from rtc_gateway.domain.cases import AttachmentMeta, Case, CaseKind, CaseStatus
from rtc_gateway.domain.complaint_notices import begin_review, complaint_notice
from rtc_gateway.domain.errors import BadRequest, Forbidden, NotFound
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.domain.units import UnitChoice, force_of_unit
from rtc_gateway.ports.case_store import CaseStore, StaffScope
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.evidence_log import EvidenceEntry, EvidenceLog, LoggedRecord, RecordKind
from rtc_gateway.ports.notifier import CaseNotifier
from rtc_gateway.services.units import UnitFinder

STAFF_LIST_LIMIT = 200
Caller = CitizenCaller | AgentProfile
_facts_text = msgspec.json.Encoder(order="sorted").encode


def _appointment_data(case: Case) -> dict[str, Any]:
    return {} if case.appointment_at is None else {
        "appointment_at": format_utc(case.appointment_at)}


class Decider(Protocol):
    """A kind's own decision rules (the THESEE desk's claims and four-eyes), called
    under the case's lock once the caller may decide and the decision exists: the case
    to decide (maybe changed), and whether the decider already settled it."""

    async def __call__(self, staff: AgentProfile, case: Case, decision: rules.Decision,
                       reason: str | None) -> tuple[Case, bool]: ...


def _actor(caller: Caller) -> tuple[str, str]:
    if isinstance(caller, CitizenCaller):
        return Role.CITIZEN.value, caller.citizen_id
    return caller.role.value, caller.agent_id


class CaseService:
    def __init__(self, store: CaseStore, evidence: EvidenceLog, clock: Clock,
                 units: UnitFinder, notifier: CaseNotifier | None = None) -> None:
        self._store = store
        self._notifier = notifier
        self._evidence = evidence
        self._clock = clock
        self._units = units
        self._locks: weakref.WeakValueDictionary[str, Lock] = weakref.WeakValueDictionary()
        self.deciders: dict[CaseKind, Decider] = {}

    async def open(self, citizen: CitizenCaller, kind: CaseKind, facts: Mapping[str, Any],
                   unit: UnitChoice, placed: tuple[Force, str | None] | None = None, *,
                   identity: Mapping[str, str] | None = None,
                   appointment_at: datetime | None = None) -> Case:
        """``placed``: the force and unit chosen by the service itself (a national desk)
        instead of from ``unit``."""
        force, unit_id = placed or self._units.choose(unit)
        now = self._clock.now()
        if appointment_at is not None:
            check_appointment(appointment_at, now)
        number = await self._store.next_number(kind, now.year)
        case = Case(id=str(uuid.uuid4()), reference=rules.format_reference(kind, now.year, number),
                    kind=kind, status=CaseStatus.RECEIVED, created_at=now, updated_at=now,
                    citizen_id=citizen.citizen_id, citizen_verified=citizen.verified,
                    force=force, unit_id=unit_id, facts=dict(facts),
                    citizen_identity=dict(identity) if identity is not None else None,
                    appointment_at=appointment_at.astimezone(UTC) if appointment_at else None)
        await self._record(case, RecordKind.CASE_OPENED, citizen,
                           text=_facts_text(case.facts).decode(),
                           data={**_appointment_data(case),
                                 "reference": case.reference, "kind": kind.value,
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
            return await self._reviewer_list(kind, status)
        if unit is not None:
            force_of_unit(unit)
        scope = StaffScope(staff.service, staff.unit, unit, kind, status)
        return await self._store.in_scope(scope, STAFF_LIST_LIMIT)

    async def post_message(self, caller: Caller, case_id: str, text: str) -> Case:
        async with self._lock(case_id):
            case = await self.get(caller, case_id)
            role, _ = _actor(caller)
            changed = noticed(rules.add_message(case, role, text, self._clock.now()), role)
            message = changed.messages[-1]
            await self._record(changed, RecordKind.CASE_MESSAGE, caller, text=text,
                               seq=message.seq, data={"status": changed.status.value})
            await self._store.put(changed)
        await self._notify(changed, "message")
        return changed

    async def withdraw(self, citizen: CitizenCaller, case_id: str) -> Case:
        async with self._lock(case_id):
            case = await self.get(citizen, case_id)
            changed = rules.withdraw(case, self._clock.now())
            await self._record(changed, RecordKind.CASE_WITHDRAWN, citizen,
                               data={"status": changed.status.value,
                                     "previous_status": case.status.value})
            await self._store.put(changed)
        await self._notify(changed, "withdrawn")
        return changed

    async def decide(self, staff: AgentProfile, case_id: str, decision_name: str,
                     reason: str | None, appointment_at: datetime | None = None) -> Case:
        async with self._lock(case_id):
            case = await self.get(staff, case_id)
            if not staff_may_decide(staff, case):
                raise Forbidden(f"a {staff.role.value} cannot decide a {case.kind.value} case")
            decision = rules.parse_decision(case.kind, decision_name)
            decider = self.deciders.get(case.kind)
            if decider is not None:
                case, settled = await decider(staff, case, decision, reason)
                if settled:
                    return case
            if decision is rules.Decision.REJECT and not (reason and reason.strip()):
                raise BadRequest("a rejection needs a reason")
            now = self._clock.now()
            notice = appointment_notice(case, decision, reason, appointment_at, now)
            changed = noticed(rules.decide(case, decision, now), staff.role.value)
            if notice is not None:
                changed = rules.with_appointment(changed, notice.at, now)
            await self._record(changed, RecordKind.CASE_DECIDED, staff, text=reason,
                               data={"decision": decision.value,
                                     "status": changed.status.value,
                                     "previous_status": case.status.value,
                                     **_appointment_data(changed)})
            told = notice.text if notice is not None else complaint_notice(changed, reason)
            if told is not None:
                changed = await self._tell_citizen(changed, staff, told, now)
            await self._store.put(changed)
        await self._notify(changed, "decision")
        return changed

    async def open_for_staff(self, staff: AgentProfile, case_id: str) -> Case:
        """The case, as :meth:`get`; an officer of the unit in charge opening a received
        complaint starts its review (a record, and the citizen is told)."""
        case = await self.get(staff, case_id)
        if not staff_may_decide(staff, case) or begin_review(case, case.updated_at) is None:
            return case
        async with self._lock(case_id):
            case = await self.get(staff, case_id)
            now = self._clock.now()
            changed = begin_review(case, now)
            if changed is None:
                return case
            await self._record(changed, RecordKind.CASE_REVIEW_STARTED, staff, data={
                "status": changed.status.value, "previous_status": case.status.value})
            told = complaint_notice(changed, None)
            if told is not None:
                changed = await self._tell_citizen(changed, staff, told, now)
            await self._store.put(changed)
        await self._notify(changed, "decision")
        return changed

    async def _tell_citizen(self, case: Case, staff: AgentProfile, text: str,
                            now: datetime) -> Case:
        """A ``system`` message to the citizen on ``case``, recorded (not yet stored)."""
        changed = noticed(rules.system_message(case, text, now), staff.role.value)
        await self._record(changed, RecordKind.CASE_MESSAGE, staff, text=text,
                           seq=changed.messages[-1].seq,
                           data={"status": changed.status.value, "notice": True})
        return changed

    async def attach(self, caller: Caller, case_id: str, meta: AttachmentMeta,
                     max_per_case: int, original_sha256: str) -> Case:
        """Add a stored file to the case (an evidence record of its hash first)."""
        async with self._lock(case_id):
            case = await self.get(caller, case_id)
            role, _ = _actor(caller)
            changed = noticed(add_attachment(case, meta, max_per_case, self._clock.now()), role)
            await self._record(changed, RecordKind.CASE_ATTACHMENT, caller, data={
                "sha256": meta.sha256, "bytes": meta.size, "content_type": meta.content_type,
                "metadata_stripped": meta.metadata_stripped,
                "original_sha256": original_sha256, "status": changed.status.value})
            await self._store.put(changed)
        await self._notify(changed, "attachment")
        return changed

    async def read(self, caller: Caller, case_id: str) -> Case:
        """The case, as :meth:`get`; its citizen reading it clears its unread mark."""
        case = await self.get(caller, case_id)
        if not isinstance(caller, CitizenCaller) or not case.unread:
            return case
        async with self._lock(case_id):
            case = seen(await self.get(caller, case_id))
            await self._store.put(case)
            return case

    async def _notify(self, case: Case, change: str) -> None:
        if self._notifier is not None:
            await self._notifier.case_updated(case, change)

    def _sees(self, caller: Caller, case: Case) -> bool:
        if isinstance(caller, CitizenCaller):
            return caller.owns(case)
        return staff_sees(caller, case)

    def lock(self, case_id: str) -> Lock:
        """The lock every change to ``case_id`` holds (the purge takes it too)."""
        return self._lock(case_id)

    def _lock(self, case_id: str) -> Lock:
        lock = self._locks.get(case_id)
        if lock is None:
            lock = self._locks[case_id] = Lock()
        return lock

    async def _record(self, case: Case, kind: str, caller: Caller, *, text: str | None = None,
                      seq: int | None = None, data: Mapping[str, Any]) -> LoggedRecord:
        role, actor_id = _actor(caller)
        return await self._evidence.append(EvidenceEntry(
            conversation_id=case.id, kind=kind, actor_role=role, actor_id=actor_id,
            at=case.updated_at, seq=seq, text=text, data=dict(data)))

    async def save(self, caller: Caller, changed: Case, kind: str,
                   data: Mapping[str, Any], text: str | None = None) -> None:
        """Record ``kind`` on ``changed`` then store it: for services built on cases
        (the caller holds the case's :meth:`lock`)."""
        await self._record(changed, kind, caller, text=text, data=data)
        await self._store.put(changed)

    async def _reviewer_list(self, kind: CaseKind | None,
                             status: CaseStatus | None) -> list[Case]:
        """Reviewers: THESEE cases of both forces (the desk is national)."""
        if kind not in (None, CaseKind.THESEE):
            return []
        found: list[Case] = []
        for force in Force:
            found += await self._store.in_scope(
                StaffScope(force, kind=CaseKind.THESEE, status=status), STAFF_LIST_LIMIT)
        found.sort(key=lambda c: (c.created_at, c.id), reverse=True)
        return found[:STAFF_LIST_LIMIT]

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
