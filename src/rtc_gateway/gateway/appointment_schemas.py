"""Request and response bodies of the appointments API (msgspec structs: the decoders,
and the source of ``/api/v1/openapi.json``'s schemas)."""

from typing import Annotated

import msgspec
from msgspec import Meta

from rtc_gateway.domain.video_appointments import (
    MAX_SLOT_ID_CHARS,
    MAX_STATEMENT_CHARS,
    DayException,
    WeeklyOpening,
)

SlotId = Annotated[str, Meta(min_length=1, max_length=MAX_SLOT_ID_CHARS,
                             description="an id from /api/v1/appointments/slots")]
Phone = Annotated[str, Meta(pattern=r"^\+?[0-9 .-]{6,20}$")]


class Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class Residence(Body):
    """Where the citizen lives: the force covering it takes the appointment."""

    lat: Annotated[float, Meta(ge=-90, le=90)]
    lon: Annotated[float, Meta(ge=-180, le=180)]


class BookRequest(Body):
    slot_id: SlotId
    case_id: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    """One of the citizen's cases: the call's documents are attached to it."""
    phone: Phone | None = None
    """For an SMS confirmation and reminder."""
    residence: Residence | None = None


class RescheduleRequest(Body):
    slot_id: SlotId


class LinkCaseRequest(Body):
    case_id: Annotated[str, Meta(min_length=1, max_length=64)]
    """One of the appointment's citizen's open cases, handled by its unit."""


class JoinRequest(Body):
    key: Annotated[str, Meta(min_length=1, max_length=128)]


class StatementRequest(Body):
    text: Annotated[str, Meta(min_length=1, max_length=MAX_STATEMENT_CHARS)]


class ScheduleRequest(Body):
    """A unit's weekly openings and day exceptions (Paris time)."""

    weekly: Annotated[list[WeeklyOpening], Meta(max_length=100)] = msgspec.field(
        default_factory=list)
    exceptions: Annotated[list[DayException], Meta(max_length=400)] = msgspec.field(
        default_factory=list)
    slot_minutes: Annotated[int, Meta(ge=10, le=240)] = 30


class SlotView(msgspec.Struct):
    id: str
    unit_id: str
    start: str
    end: str
    officer_id: str | None = None


class SlotList(msgspec.Struct):
    slots: list[SlotView]
    force: str | None = None


class AppointmentFields(msgspec.Struct, kw_only=True):
    id: str
    slot_id: str
    status: str
    unit_id: str
    force: str
    start: str
    end: str
    created_at: str
    updated_at: str
    case_id: str | None = None
    officer_id: str | None = None
    statement: bool = False
    """Whether the statement PDF is ready."""


class AppointmentView(AppointmentFields, kw_only=True):
    join_url: str
    """Personal: it works only for this citizen, signed in."""


class AppointmentList(msgspec.Struct):
    appointments: list[AppointmentView]


class StaffAppointmentView(AppointmentFields, kw_only=True):
    citizen: dict[str, str] = msgspec.field(default_factory=dict)
    """The verified identity's given_name, family_name, birthdate."""


class StaffAppointmentList(msgspec.Struct):
    appointments: list[StaffAppointmentView]


class JoinView(msgspec.Struct):
    appointment: AppointmentView
    room_id: str | None


class StatementView(msgspec.Struct):
    appointment: StaffAppointmentView
    pdf_sha256: str


class ScheduleView(msgspec.Struct):
    unit_id: str
    weekly: list[WeeklyOpening]
    exceptions: list[DayException]
    slot_minutes: int


REQUEST_BODIES = (BookRequest, RescheduleRequest, JoinRequest, StatementRequest,
                  ScheduleRequest, LinkCaseRequest)
RESPONSE_BODIES = (SlotList, AppointmentView, AppointmentList, StaffAppointmentList, JoinView,
                   StatementView, ScheduleView)
