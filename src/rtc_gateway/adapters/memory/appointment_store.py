"""Schedules and appointments in memory (tests and ``--evidence memory``)."""

from collections.abc import Iterable
from datetime import datetime

from rtc_gateway.domain.errors import Conflict
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.video_appointments import Appointment, UnitSchedule


class MemoryAppointmentStore:
    """Implements :class:`rtc_gateway.ports.appointment_store.AppointmentStore` in dicts."""

    def __init__(self) -> None:
        self._schedules: dict[str, UnitSchedule] = {}
        self._appointments: dict[str, Appointment] = {}

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def put_schedule(self, schedule: UnitSchedule) -> None:
        self._schedules[schedule.unit_id] = schedule

    async def schedule(self, unit_id: str) -> UnitSchedule | None:
        return self._schedules.get(unit_id)

    async def schedules(self, force: Force) -> list[UnitSchedule]:
        return [s for _, s in sorted(self._schedules.items()) if s.force is force]

    async def add(self, appointment: Appointment) -> None:
        if appointment.id in self._appointments:
            raise Conflict("this appointment exists already")
        self._check_free(appointment)
        self._appointments[appointment.id] = appointment

    async def replace(self, appointment: Appointment) -> None:
        self._check_free(appointment)
        self._appointments[appointment.id] = appointment

    async def get(self, appointment_id: str) -> Appointment | None:
        return self._appointments.get(appointment_id)

    async def of_citizen(self, citizen_id: str) -> list[Appointment]:
        return self._soonest_first(a for a in self._appointments.values()
                                   if a.citizen_id == citizen_id)

    async def of_unit(self, unit_id: str, after: datetime, until: datetime) -> list[Appointment]:
        return self._soonest_first(a for a in self._appointments.values()
                                   if a.unit_id == unit_id and a.is_live
                                   and after <= a.start < until)

    async def taken(self, unit_id: str, after: datetime, until: datetime) -> set[str]:
        return {a.slot_id for a in await self.of_unit(unit_id, after, until)}

    async def live_until(self, until: datetime) -> list[Appointment]:
        return self._soonest_first(a for a in self._appointments.values()
                                   if a.is_live and a.start < until)

    def _check_free(self, appointment: Appointment) -> None:
        if not appointment.is_live:
            return
        for other in self._appointments.values():
            if (other.id != appointment.id and other.is_live
                    and other.slot_id == appointment.slot_id):
                raise Conflict("this slot is already taken")

    @staticmethod
    def _soonest_first(found: Iterable[Appointment]) -> list[Appointment]:
        return sorted(found, key=lambda a: (a.start, a.id))
