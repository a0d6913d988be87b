"""Video-complaint appointments (Visioplainte): units' schedules, their slots, bookings.

A unit publishes weekly openings (``weekday``, ``start``, ``end`` in Paris time, an
officer optionally) and day exceptions (a day closed, or opened on other hours); its
slots are cut from them, ``slot_minutes`` each. A slot is not stored: its id names the
unit, its start in UTC and its officer (``police-lyon:20261203T0800Z:p-17``), so that
two nodes computing the same schedule give it the same id and the store's unique
constraint on live bookings is enough to forbid a double booking.
"""

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec

from rtc_gateway.domain.errors import BadRequest, Conflict
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.units import force_of_unit

PARIS = ZoneInfo("Europe/Paris")
OFFICER_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_SLOT_ID = re.compile(
    r"^(?P<unit>(?:police|gendarmerie)-[a-z0-9]+(?:-[a-z0-9]+)*)"
    r":(?P<start>\d{8}T\d{4})Z(?::(?P<officer>[A-Za-z0-9_.-]{1,64}))?$")
MAX_SLOT_ID_CHARS = 160
ClockTime = Annotated[str, msgspec.Meta(pattern=r"^(?:[01]\d|2[0-3]):[0-5]\d$",
                                        description="HH:MM, Paris time")]
MIN_NOTICE = timedelta(hours=1)
"""A slot starting sooner than this cannot be booked (nor moved to)."""
HORIZON_DAYS = 28
"""Slots are offered this many days ahead."""
REMINDER_BEFORE = timedelta(hours=24)
JOIN_EARLY = timedelta(minutes=15)
"""The room may be opened this long before the slot starts."""


class Opening(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Hours a unit takes video appointments, in Paris time."""

    start: ClockTime
    end: ClockTime
    officer_id: str | None = None

    @property
    def opens(self) -> time:
        return time.fromisoformat(self.start)

    @property
    def closes(self) -> time:
        return time.fromisoformat(self.end)

    def __post_init__(self) -> None:
        if self.closes <= self.opens:
            raise ValueError("an opening must end after it starts")
        if self.officer_id is not None and not OFFICER_ID.match(self.officer_id):
            raise ValueError("officer_id must be 1-64 letters, digits, '.', '_' or '-'")


class WeeklyOpening(Opening, frozen=True, forbid_unknown_fields=True, kw_only=True):
    weekday: int
    """0 Monday ... 6 Sunday."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday is 0 (Monday) to 6 (Sunday)")


class DayException(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``day``'s openings instead of the weekly ones; none: the unit is closed that day."""

    day: date
    openings: tuple[Opening, ...] = ()


class UnitSchedule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    unit_id: str
    weekly: tuple[WeeklyOpening, ...] = ()
    exceptions: tuple[DayException, ...] = ()
    slot_minutes: int = 30

    def __post_init__(self) -> None:
        force_of_unit(self.unit_id)
        if not 10 <= self.slot_minutes <= 240:
            raise ValueError("slot_minutes is 10 to 240")
        if len(self.weekly) > 100 or len(self.exceptions) > 400:
            raise ValueError("at most 100 weekly openings and 400 exceptions")

    @property
    def force(self) -> Force:
        return force_of_unit(self.unit_id)

    def openings_on(self, day: date) -> tuple[Opening, ...]:
        for exception in self.exceptions:
            if exception.day == day:
                return exception.openings
        return tuple(w for w in self.weekly if w.weekday == day.weekday())


class Slot(msgspec.Struct, frozen=True):
    id: str
    unit_id: str
    start: datetime
    end: datetime
    officer_id: str | None = None


def slot_id(unit_id: str, start: datetime, officer_id: str | None) -> str:
    stamp = start.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    return f"{unit_id}:{stamp}" + (f":{officer_id}" if officer_id else "")


def parse_slot_id(text: str) -> tuple[str, datetime, str | None]:
    """The unit, start (UTC) and officer a slot id names; 400 when it is not one."""
    match = _SLOT_ID.match(text) if len(text) <= MAX_SLOT_ID_CHARS else None
    if match is None:
        raise BadRequest("slot_id is not a slot id from /api/v1/appointments/slots")
    try:
        start = datetime.strptime(match["start"], "%Y%m%dT%H%M").replace(tzinfo=UTC)
    except ValueError:
        raise BadRequest("slot_id is not a slot id from /api/v1/appointments/slots") from None
    return match["unit"], start, match["officer"]


def _slots_of_day(schedule: UnitSchedule, day: date) -> Iterator[Slot]:
    length = timedelta(minutes=schedule.slot_minutes)
    for opening in schedule.openings_on(day):
        start = datetime.combine(day, opening.opens, PARIS)
        close = datetime.combine(day, opening.closes, PARIS)
        while start + length <= close:
            utc_start = start.astimezone(UTC)
            yield Slot(slot_id(schedule.unit_id, utc_start, opening.officer_id),
                       schedule.unit_id, utc_start, (start + length).astimezone(UTC),
                       opening.officer_id)
            start += length


def slots_between(schedule: UnitSchedule, after: datetime, until: datetime) -> list[Slot]:
    """The schedule's slots starting in ``[after, until)``, in order."""
    found: list[Slot] = []
    day = after.astimezone(PARIS).date()
    last = until.astimezone(PARIS).date()
    while day <= last:
        found.extend(s for s in _slots_of_day(schedule, day) if after <= s.start < until)
        day += timedelta(days=1)
    return sorted(found, key=lambda s: (s.start, s.id))


def bookable_window(now: datetime) -> tuple[datetime, datetime]:
    return now + MIN_NOTICE, now + timedelta(days=HORIZON_DAYS)


def find_slot(schedule: UnitSchedule, wanted: str, now: datetime) -> Slot:
    """The bookable slot ``wanted``; 400 if the schedule has no such slot, 409 if it is
    too soon or past."""
    unit_id, start, _ = parse_slot_id(wanted)
    if unit_id != schedule.unit_id:
        raise BadRequest("slot_id names another unit")
    for slot in _slots_of_day(schedule, start.astimezone(PARIS).date()):
        if slot.id == wanted:
            earliest, latest = bookable_window(now)
            if not earliest <= slot.start < latest:
                raise Conflict("this slot can no longer be booked")
            return slot
    raise BadRequest("the unit offers no such slot")


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    DONE = "done"


class Appointment(msgspec.Struct, frozen=True):
    id: str
    slot_id: str
    unit_id: str
    force: Force
    start: datetime
    end: datetime
    citizen_id: str
    status: AppointmentStatus
    created_at: datetime
    updated_at: datetime
    officer_id: str | None = None
    """The slot's officer, or whoever first opened the room."""
    case_id: str | None = None
    """The case the call's documents are attached to."""
    email: str | None = None
    phone: str | None = None
    identity: dict[str, str] = msgspec.field(default_factory=dict)
    """given_name, family_name, birthdate as the identity provider vouched for them."""
    sequence: int = 0
    """iCalendar SEQUENCE: grows with each change the citizen is mailed about."""
    reminded: bool = False
    statement: str | None = None
    """The officer's written statement of the call, once written (then ``done``)."""
    statement_by: str | None = None
    statement_at: datetime | None = None

    @property
    def is_live(self) -> bool:
        return self.status is AppointmentStatus.BOOKED


def book(appointment_id: str, slot: Slot, citizen_id: str, at: datetime, *,
         case_id: str | None, email: str | None, phone: str | None,
         identity: dict[str, str]) -> Appointment:
    return Appointment(
        id=appointment_id, slot_id=slot.id, unit_id=slot.unit_id,
        force=force_of_unit(slot.unit_id), start=slot.start, end=slot.end,
        citizen_id=citizen_id, status=AppointmentStatus.BOOKED, created_at=at, updated_at=at,
        officer_id=slot.officer_id, case_id=case_id, email=email, phone=phone,
        identity=identity)


def _live(appointment: Appointment) -> None:
    if not appointment.is_live:
        raise Conflict(f"the appointment is {appointment.status.value}")


def move(appointment: Appointment, slot: Slot, at: datetime) -> Appointment:
    """Reschedule to ``slot`` of the same unit."""
    _live(appointment)
    if slot.unit_id != appointment.unit_id:
        raise BadRequest("an appointment moves within its unit; cancel and book another")
    if slot.id == appointment.slot_id:
        raise Conflict("the appointment is already at that slot")
    return msgspec.structs.replace(
        appointment, slot_id=slot.id, start=slot.start, end=slot.end,
        officer_id=slot.officer_id, updated_at=at, sequence=appointment.sequence + 1,
        reminded=False)


def cancel(appointment: Appointment, at: datetime) -> Appointment:
    _live(appointment)
    return msgspec.structs.replace(appointment, status=AppointmentStatus.CANCELLED,
                                   updated_at=at, sequence=appointment.sequence + 1)


def may_open_room(appointment: Appointment, now: datetime) -> None:
    """409 unless the appointment is live and its time has come (or is under way)."""
    _live(appointment)
    if now < appointment.start - JOIN_EARLY:
        raise Conflict("the appointment has not started yet")
    if now > appointment.end + timedelta(hours=2):
        raise Conflict("the appointment is over")


def reminder_due(appointment: Appointment, now: datetime) -> bool:
    return (appointment.is_live and not appointment.reminded
            and now < appointment.start <= now + REMINDER_BEFORE)


MAX_STATEMENT_CHARS = 20_000


def write_statement(appointment: Appointment, text: str, officer_id: str,
                    at: datetime) -> Appointment:
    """The statement of a live or done appointment (rewritten until signed)."""
    if appointment.status is AppointmentStatus.CANCELLED:
        raise Conflict("the appointment is cancelled")
    if not text.strip():
        raise BadRequest("the statement is empty")
    return msgspec.structs.replace(appointment, statement=text, statement_by=officer_id,
                                   statement_at=at, status=AppointmentStatus.DONE,
                                   updated_at=at)
