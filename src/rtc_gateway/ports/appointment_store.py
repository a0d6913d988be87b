"""Where units' schedules and the appointments booked on them are kept."""

from datetime import datetime
from typing import Protocol

from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.video_appointments import Appointment, UnitSchedule


class AppointmentStore(Protocol):
    async def open(self) -> None: ...

    async def put_schedule(self, schedule: UnitSchedule) -> None:
        """Insert or replace the schedule of ``schedule.unit_id``."""
        ...

    async def schedule(self, unit_id: str) -> UnitSchedule | None: ...

    async def schedules(self, force: Force) -> list[UnitSchedule]:
        """Every schedule of the force's units, by unit id."""
        ...

    async def add(self, appointment: Appointment) -> None:
        """Store a new booking; ``Conflict`` when a live booking holds its slot, even one
        another process or node made an instant before."""
        ...

    async def replace(self, appointment: Appointment) -> None:
        """Store a changed booking (moved, cancelled, done); ``Conflict`` when it moved to a
        slot a live booking holds."""
        ...

    async def get(self, appointment_id: str) -> Appointment | None: ...

    async def of_citizen(self, citizen_id: str) -> list[Appointment]:
        """The citizen's appointments, soonest first."""
        ...

    async def of_unit(self, unit_id: str, after: datetime, until: datetime) -> list[Appointment]:
        """The unit's live appointments starting in ``[after, until)``, soonest first."""
        ...

    async def taken(self, unit_id: str, after: datetime, until: datetime) -> set[str]:
        """Slot ids of the unit held by live bookings in ``[after, until)``."""
        ...

    async def live_until(self, until: datetime) -> list[Appointment]:
        """Live appointments starting before ``until`` (for reminders), soonest first."""
        ...

    async def close(self) -> None: ...
