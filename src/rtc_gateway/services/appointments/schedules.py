"""Units' video-appointment schedules: set by the unit's supervisors through the API, or
read at start from a JSON file (``{"schedules": [UnitSchedule, ...]}``, see
docs/operations.md). A change is an evidence record of the stream ``schedule:UNIT``."""

from pathlib import Path

import msgspec

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.errors import Forbidden, NotFound
from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.video_appointments import UnitSchedule
from rtc_gateway.ports.appointment_store import AppointmentStore
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.evidence_log import EvidenceEntry, EvidenceLog
from rtc_gateway.services.appointments.booking import staff_in_scope

SCHEDULE_RECORD = "appointment.schedule"


class ScheduleFile(msgspec.Struct, forbid_unknown_fields=True):
    schedules: list[UnitSchedule]


def read_schedule_file(path: Path) -> list[UnitSchedule]:
    """The schedules of ``path``; ``ValueError`` naming what is wrong otherwise."""
    try:
        return msgspec.json.decode(path.read_bytes(), type=ScheduleFile).schedules
    except (OSError, msgspec.DecodeError) as error:
        raise ValueError(f"appointment schedules {path}: {error}") from error
    except Exception as error:
        raise ValueError(f"appointment schedules {path}: {error}") from error


class Schedules:
    def __init__(self, store: AppointmentStore, evidence: EvidenceLog, clock: Clock) -> None:
        self._store = store
        self._evidence = evidence
        self._clock = clock

    async def set(self, staff: AgentProfile, schedule: UnitSchedule) -> UnitSchedule:
        if staff.role is not Role.SUPERVISOR:
            raise Forbidden("a unit's supervisors set its video appointments' schedule")
        if not staff_in_scope(staff, schedule.unit_id):
            raise Forbidden("this unit is not yours")
        await self._store.put_schedule(schedule)
        await self._evidence.append(EvidenceEntry(
            conversation_id=f"schedule:{schedule.unit_id}", kind=SCHEDULE_RECORD,
            actor_role=staff.role.value, actor_id=staff.agent_id, at=self._clock.now(),
            text=msgspec.json.encode(schedule).decode(), data={"unit_id": schedule.unit_id}))
        return schedule

    async def get(self, unit_id: str) -> UnitSchedule:
        schedule = await self._store.schedule(unit_id)
        if schedule is None:
            raise NotFound("this unit publishes no video appointments")
        return schedule

    async def load(self, schedules: list[UnitSchedule]) -> None:
        """Schedules from the operator's file; they replace what the API had set."""
        for schedule in schedules:
            await self._store.put_schedule(schedule)
