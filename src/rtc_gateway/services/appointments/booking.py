"""Booking video-complaint appointments: the slots a unit offers, and a verified
citizen's bookings, moves and cancellations; staff read their unit's agenda.

Every change is stored, then an evidence record of the appointment (its id is the
record's conversation id): the store is the one that refuses a slot a live booking
holds, whichever node booked it, and a refused booking leaves no record.
"""

import uuid
import weakref
from asyncio import Lock
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec

from rtc_gateway.domain import video_appointments as rules
from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.appointment_case import check_unit
from rtc_gateway.domain.case_access import CitizenCaller
from rtc_gateway.domain.conversation import Location
from rtc_gateway.domain.errors import BadRequest, Conflict, Forbidden, NotFound
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.identity import CitizenIdentity
from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.domain.units import force_of_unit
from rtc_gateway.domain.video_appointments import Appointment, Slot
from rtc_gateway.ports.appointment_store import AppointmentStore
from rtc_gateway.ports.case_store import CaseStore
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.evidence_log import EvidenceEntry, EvidenceLog
from rtc_gateway.services.appointments.notices import Notices
from rtc_gateway.services.units import UnitFinder

BOOKED = "appointment.booked"
MOVED = "appointment.moved"
CANCELLED = "appointment.cancelled"
MAX_UNITS_PER_RESIDENCE = 30
"""Units whose slots a residence's search computes (a gendarmerie area may have many)."""
MAX_LIVE_PER_CITIZEN = 3
"""Live bookings one citizen may hold at once."""
IDENTITY_KEPT = ("given_name", "family_name", "birthdate")
"""What the statement names the citizen by."""


def staff_in_scope(staff: AgentProfile, unit_id: str) -> bool:
    return (staff.role is not Role.REVIEWER and force_of_unit(unit_id) is staff.service
            and staff.unit in (None, unit_id))


class Appointments:
    def __init__(self, store: AppointmentStore, cases: CaseStore, evidence: EvidenceLog,
                 clock: Clock, notices: Notices, units: UnitFinder) -> None:
        self._store = store
        self._cases = cases
        self._evidence = evidence
        self._clock = clock
        self.notices = notices
        self._units = units
        self._locks: weakref.WeakValueDictionary[str, Lock] = weakref.WeakValueDictionary()

    def lock(self, appointment_id: str) -> Lock:
        """Serialises the changes of one appointment in this process (read, change,
        store): a reminder pass never stores an appointment cancelled meanwhile."""
        lock = self._locks.get(appointment_id)
        if lock is None:
            lock = self._locks[appointment_id] = Lock()
        return lock

    # -- slots -------------------------------------------------------------------

    async def competent_units(self, residence: Location) -> tuple[Force, list[str]]:
        """The force competent at the residence (the units' directory, as for cases and
        chats) and its units that publish a schedule, nearest first: the stations near
        the residence, then the force's other units."""
        found = self._units.at(residence, limit=10)
        scheduled = {s.unit_id for s in await self._store.schedules(found.force)}
        near = [n.station.id for n in found.units if n.station.id in scheduled]
        others = sorted(scheduled - set(near))
        return found.force, (near + others)[:MAX_UNITS_PER_RESIDENCE]

    async def free_slots(self, unit_ids: list[str]) -> list[Slot]:
        after, until = rules.bookable_window(self._clock.now())
        found: list[Slot] = []
        for unit_id in unit_ids:
            schedule = await self._store.schedule(unit_id)
            if schedule is None:
                continue
            taken = await self._store.taken(unit_id, after, until)
            found.extend(s for s in rules.slots_between(schedule, after, until)
                         if s.id not in taken)
        return sorted(found, key=lambda s: (s.start, s.id))

    # -- citizens ----------------------------------------------------------------

    async def book(self, citizen: CitizenCaller, identity: CitizenIdentity | None,
                   slot_id: str, *, case_id: str | None = None, phone: str | None = None,
                   residence: Location | None = None) -> Appointment:
        if not citizen.verified or identity is None:
            raise Forbidden("a video appointment needs a verified identity (FranceConnect)")
        slot = await self._slot(slot_id)
        if residence is not None:
            force = self._units.force_at(residence)
            if force is not force_of_unit(slot.unit_id):
                raise BadRequest(f"your residence is the {force.value}'s: "
                                 "book a slot of one of its units")
        if case_id is not None:
            await self._own_case(citizen, case_id, slot.unit_id)
        live = [a for a in await self._store.of_citizen(citizen.citizen_id) if a.is_live]
        if len(live) >= MAX_LIVE_PER_CITIZEN:
            raise Conflict(f"at most {MAX_LIVE_PER_CITIZEN} appointments at once: "
                                 "cancel one first")
        now = self._clock.now()
        appointment = rules.book(
            str(uuid.uuid4()), slot, citizen.citizen_id, now, case_id=case_id,
            email=identity.claims.get("email"), phone=phone,
            identity={k: v for k, v in identity.claims.items() if k in IDENTITY_KEPT})
        await self._store.add(appointment)
        await self._record(appointment, BOOKED, "citizen", citizen.citizen_id,
                           {"slot_id": slot.id, "unit_id": slot.unit_id,
                            "start": format_utc(slot.start), "end": format_utc(slot.end),
                            "case_id": case_id, "officer_id": slot.officer_id,
                            "email": appointment.email is not None,
                            "phone": appointment.phone is not None})
        self.notices.send("booked", appointment)
        return appointment

    async def move(self, citizen: CitizenCaller, appointment_id: str,
                   slot_id: str) -> Appointment:
        async with self.lock(appointment_id):
            appointment = await self.own(citizen, appointment_id)
            slot = await self._slot(slot_id)
            moved = rules.move(appointment, slot, self._clock.now())
            await self._store.replace(moved)
            await self._record(moved, MOVED, "citizen", citizen.citizen_id,
                               {"slot_id": slot.id, "previous_slot_id": appointment.slot_id,
                                "start": format_utc(slot.start), "end": format_utc(slot.end)})
        self.notices.send("moved", moved)
        return moved

    async def cancel(self, citizen: CitizenCaller, appointment_id: str) -> Appointment:
        async with self.lock(appointment_id):
            appointment = await self.own(citizen, appointment_id)
            cancelled = rules.cancel(appointment, self._clock.now())
            await self._store.replace(cancelled)
            await self._record(cancelled, CANCELLED, "citizen", citizen.citizen_id,
                               {"slot_id": cancelled.slot_id})
        self.notices.send("cancelled", cancelled)
        return cancelled

    async def own(self, citizen: CitizenCaller, appointment_id: str) -> Appointment:
        """The citizen's appointment; someone else's is answered 403, an unknown id 404."""
        appointment = await self._store.get(appointment_id)
        if appointment is None:
            raise NotFound("no such appointment")
        if not (appointment.citizen_id == citizen.citizen_id
                or appointment.citizen_id in citizen.also):
            raise Forbidden("not your appointment")
        return appointment

    async def of_citizen(self, citizen: CitizenCaller) -> list[Appointment]:
        found: dict[str, Appointment] = {}
        for citizen_id in sorted({citizen.citizen_id, *citizen.also}):
            found.update({a.id: a for a in await self._store.of_citizen(citizen_id)})
        return sorted(found.values(), key=lambda a: (a.start, a.id))

    # -- staff -------------------------------------------------------------------

    async def for_staff(self, staff: AgentProfile, appointment_id: str) -> Appointment:
        appointment = await self._store.get(appointment_id)
        if appointment is None or not staff_in_scope(staff, appointment.unit_id):
            raise NotFound("no such appointment")
        return appointment

    async def agenda(self, staff: AgentProfile, unit_id: str, after: datetime,
                     until: datetime) -> list[Appointment]:
        if not staff_in_scope(staff, unit_id):
            raise Forbidden("this unit is not yours")
        return await self._store.of_unit(unit_id, after, until)

    async def staff_update(self, staff: AgentProfile, appointment: Appointment,
                           changed: Appointment, kind: str, data: Mapping[str, Any],
                           text: str | None = None) -> None:
        """Store a change made by staff (the room opened, the statement written); the
        caller holds :meth:`lock` from reading ``appointment`` to here."""
        await self.update(appointment, changed, kind, staff.role.value, staff.agent_id, data,
                          text)

    async def update(self, appointment: Appointment, changed: Appointment, kind: str,
                     role: str, actor_id: str, data: Mapping[str, Any],
                     text: str | None = None) -> None:
        """Store a change and its evidence record (``previous_status`` added to ``data``);
        the caller holds :meth:`lock` from reading ``appointment`` to here."""
        await self._store.replace(changed)
        await self._record(changed, kind, role, actor_id,
                           {"previous_status": appointment.status.value, **data}, text)

    # -- reminders ---------------------------------------------------------------

    async def send_due_reminders(self) -> int:
        now = self._clock.now()
        sent = 0
        for due in await self._store.live_until(now + rules.REMINDER_BEFORE):
            if not rules.reminder_due(due, now):
                continue
            async with self.lock(due.id):
                appointment = await self._store.get(due.id)
                if appointment is None or not rules.reminder_due(appointment, now):
                    continue
                reminded = msgspec.structs.replace(appointment, reminded=True)
                await self._store.replace(reminded)
            self.notices.send("reminder", reminded)
            sent += 1
        return sent

    # -- helpers -----------------------------------------------------------------

    async def _slot(self, slot_id: str) -> Slot:
        unit_id, _, _ = rules.parse_slot_id(slot_id)
        schedule = await self._store.schedule(unit_id)
        if schedule is None:
            raise BadRequest("this unit takes no video appointments")
        return rules.find_slot(schedule, slot_id, self._clock.now())

    async def _own_case(self, citizen: CitizenCaller, case_id: str, unit_id: str) -> None:
        """The citizen's case, handled by the slot's unit (or, for a case with no unit yet,
        by its force): the booked officer must be able to see the case's documents."""
        case = await self._cases.get(case_id)
        if case is None or not citizen.owns(case):
            raise NotFound("no such case")
        check_unit(case, unit_id)

    async def _record(self, appointment: Appointment, kind: str, role: str, actor_id: str,
                      data: Mapping[str, Any], text: str | None = None) -> None:
        await self._evidence.append(EvidenceEntry(
            conversation_id=appointment.id, kind=kind, actor_role=role, actor_id=actor_id,
            at=appointment.updated_at, text=text,
            data={"status": appointment.status.value, "sequence": appointment.sequence,
                  **data}))


