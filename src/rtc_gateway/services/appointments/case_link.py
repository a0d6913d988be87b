"""Linking a case to a live appointment booked without one, so that the call exchanges
that case's documents (``domain/appointment_case.py`` says which case fits).

Who may link: the appointment's citizen, verified, with one of their own cases; the
booked officer (the slot's, or whoever opened the room), any agent of the unit while the
appointment names no officer, and the unit's supervisors. Reviewers, other units and
other forces see no such appointment (404). Each link is an ``appointment.case_linked``
record in the appointment's stream.
"""

from rtc_gateway.domain import appointment_case as rules
from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.case_access import CitizenCaller, staff_sees
from rtc_gateway.domain.cases import Case
from rtc_gateway.domain.errors import Forbidden, NotFound
from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.video_appointments import Appointment
from rtc_gateway.ports.case_store import CaseStore
from rtc_gateway.ports.clock import Clock
from rtc_gateway.services.appointments.booking import Appointments
from rtc_gateway.services.identity.step_up import StepUp

CASE_LINKED = "appointment.case_linked"
MAX_CANDIDATES = 50


def may_link(staff: AgentProfile, appointment: Appointment) -> None:
    """403 for staff of the unit who are not the appointment's officer (nor a supervisor)."""
    if staff.role not in (Role.AGENT, Role.SUPERVISOR):
        raise Forbidden("only the unit's officers link a case to an appointment")
    if (staff.role is Role.AGENT and appointment.officer_id is not None
            and appointment.officer_id != staff.agent_id):
        raise Forbidden("this appointment is booked with another officer")


class CaseLinks:
    def __init__(self, appointments: Appointments, cases: CaseStore, step_up: StepUp,
                 clock: Clock) -> None:
        self._appointments = appointments
        self._cases = cases
        self._step_up = step_up
        self._clock = clock

    async def by_citizen(self, citizen: CitizenCaller, appointment_id: str,
                         case_id: str) -> Appointment:
        if not citizen.verified:
            raise Forbidden("linking a case needs a verified identity (FranceConnect)")
        async with self._appointments.lock(appointment_id):
            appointment = await self._appointments.own(citizen, appointment_id)
            owners = frozenset({citizen.citizen_id, *citizen.also})
            return await self._link(appointment, await self._case(case_id), owners,
                                    "citizen", citizen.citizen_id)

    async def by_staff(self, staff: AgentProfile, appointment_id: str,
                       case_id: str) -> Appointment:
        async with self._appointments.lock(appointment_id):
            appointment = await self._appointments.for_staff(staff, appointment_id)
            may_link(staff, appointment)
            case = await self._case(case_id)
            if not staff_sees(staff, case):
                raise NotFound("no such case")
            return await self._link(appointment, case, await self._owners(appointment),
                                    staff.role.value, staff.agent_id)

    async def candidates(self, staff: AgentProfile, appointment_id: str) -> list[Case]:
        """The cases the officer may link to the appointment, newest first."""
        appointment = await self._appointments.for_staff(staff, appointment_id)
        may_link(staff, appointment)
        owners = await self._owners(appointment)
        found: dict[str, Case] = {}
        for citizen_id in sorted(owners):
            found.update({c.id: c for c in await self._cases.of_citizen(citizen_id)})
        fitting = [c for c in found.values()
                   if rules.fits(appointment, c, owners) and staff_sees(staff, c)]
        return sorted(fitting, key=lambda c: (c.created_at, c.id),
                      reverse=True)[:MAX_CANDIDATES]

    async def _owners(self, appointment: Appointment) -> frozenset[str]:
        """The ids the appointment's verified person holds: its own, and those its live
        verified session vouches for."""
        session = await self._step_up.session_of_citizen(appointment.citizen_id)
        if session is None:
            return frozenset({appointment.citizen_id})
        return frozenset({appointment.citizen_id, session.citizen_id, *session.citizen_ids})

    async def _case(self, case_id: str) -> Case:
        case = await self._cases.get(case_id)
        if case is None:
            raise NotFound("no such case")
        return case

    async def _link(self, appointment: Appointment, case: Case, owners: frozenset[str],
                    role: str, actor_id: str) -> Appointment:
        linked = rules.link(appointment, case, owners, self._clock.now())
        await self._appointments.update(appointment, linked, CASE_LINKED, role, actor_id,
                                        {"case_id": case.id, "reference": case.reference})
        return linked
