"""The officer writes the statement of a video appointment; the PDF is for the citizen's
signature, downloaded by that citizen or the unit's staff. Writing it is an evidence
record holding its text and the PDF's SHA-256."""

import hashlib

from rtc_gateway.domain import video_appointments as rules
from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.case_access import CitizenCaller
from rtc_gateway.domain.errors import Forbidden, NotFound
from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.video_appointments import Appointment
from rtc_gateway.ports.clock import Clock
from rtc_gateway.services.appointments.booking import Appointments
from rtc_gateway.services.appointments.statement import render_statement

STATEMENT_RECORD = "appointment.statement"


def statement_pdf(appointment: Appointment) -> bytes:
    if (appointment.statement is None or appointment.statement_by is None
            or appointment.statement_at is None):
        raise NotFound("no statement has been written yet")
    return render_statement(appointment, appointment.statement, appointment.statement_by,
                            appointment.statement_at)


class Statements:
    def __init__(self, appointments: Appointments, clock: Clock) -> None:
        self._appointments = appointments
        self._clock = clock

    async def write(self, staff: AgentProfile, appointment_id: str,
                    text: str) -> tuple[Appointment, str]:
        """The appointment with its statement, and the PDF's SHA-256."""
        async with self._appointments.lock(appointment_id):
            return await self._write(staff, appointment_id, text)

    async def _write(self, staff: AgentProfile, appointment_id: str,
                     text: str) -> tuple[Appointment, str]:
        appointment = await self._appointments.for_staff(staff, appointment_id)
        if staff.role not in (Role.AGENT, Role.SUPERVISOR):
            raise Forbidden("only the unit's officers write a statement")
        changed = rules.write_statement(appointment, text, staff.agent_id, self._clock.now())
        sha256 = hashlib.sha256(statement_pdf(changed)).hexdigest()
        await self._appointments.staff_update(staff, appointment, changed, STATEMENT_RECORD,
                                              {"pdf_sha256": sha256}, text)
        return changed, sha256

    async def for_citizen(self, citizen: CitizenCaller, appointment_id: str) -> bytes:
        return statement_pdf(await self._appointments.own(citizen, appointment_id))

    async def for_staff(self, staff: AgentProfile, appointment_id: str) -> bytes:
        return statement_pdf(await self._appointments.for_staff(staff, appointment_id))
