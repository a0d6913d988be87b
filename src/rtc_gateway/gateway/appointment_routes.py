"""``/api/v1`` appointments (Visioplainte): slots, the citizen's bookings, the staff's
agenda, schedules and statements. Thin: decode, find the caller, call the service."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import msgspec
from aiohttp import web

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.case_access import CitizenCaller
from rtc_gateway.domain.conversation import Location
from rtc_gateway.domain.errors import BadRequest
from rtc_gateway.domain.identity import CitizenIdentity
from rtc_gateway.domain.roles import Actor, Role
from rtc_gateway.domain.timestamps import format_utc, parse_utc
from rtc_gateway.domain.units import force_of_unit
from rtc_gateway.domain.video_appointments import Appointment, Slot, UnitSchedule
from rtc_gateway.gateway import appointment_schemas as schemas
from rtc_gateway.gateway.case_callers import Callers
from rtc_gateway.gateway.case_limits import CaseWriteLimits
from rtc_gateway.gateway.case_routes import (
    NO_STORE,
    case_view,
    identity_of,
    json_response,
    refusals,
)
from rtc_gateway.gateway.case_schemas import CaseList
from rtc_gateway.ports.clock import Clock
from rtc_gateway.security.cookies import SESSION_COOKIE
from rtc_gateway.services.appointments.booking import Appointments
from rtc_gateway.services.appointments.case_link import CaseLinks
from rtc_gateway.services.appointments.links import JoinLinks
from rtc_gateway.services.appointments.rooms import AppointmentRooms
from rtc_gateway.services.appointments.schedules import Schedules
from rtc_gateway.services.appointments.statements import Statements
from rtc_gateway.services.identity.step_up import StepUp

MAX_SLOTS = 500
_S = TypeVar("_S")
AGENDA_DAYS = 31


def slot_view(slot: Slot) -> schemas.SlotView:
    return schemas.SlotView(slot.id, slot.unit_id, format_utc(slot.start),
                            format_utc(slot.end), slot.officer_id)


def _fields(appointment: Appointment) -> dict[str, object]:
    return {"id": appointment.id, "slot_id": appointment.slot_id,
            "status": appointment.status.value, "unit_id": appointment.unit_id,
            "force": appointment.force.value, "start": format_utc(appointment.start),
            "end": format_utc(appointment.end),
            "created_at": format_utc(appointment.created_at),
            "updated_at": format_utc(appointment.updated_at), "case_id": appointment.case_id,
            "officer_id": appointment.officer_id,
            "statement": appointment.statement is not None}


def _float(request: web.Request, name: str) -> float:
    try:
        return float(request.query[name])
    except (KeyError, ValueError):
        raise BadRequest(f"{name} must be a number") from None


def _instant(request: web.Request, name: str, default: datetime) -> datetime:
    raw = request.query.get(name)
    if not raw:
        return default
    try:
        return parse_utc(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an RFC 3339 instant") from None


def pdf_response(pdf: bytes, filename: str) -> web.Response:
    return web.Response(body=pdf, content_type="application/pdf", headers={
        **NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'})


@dataclass(frozen=True)
class AppointmentRoutes:
    appointments: Appointments
    schedules: Schedules
    statements: Statements
    rooms: AppointmentRooms
    links: JoinLinks
    callers: Callers
    step_up: StepUp
    limits: CaseWriteLimits
    clock: Clock
    case_links: CaseLinks

    def add_to(self, app: web.Application) -> None:
        add = app.router
        add.add_get("/api/v1/appointments/slots", refusals(self.slots))
        add.add_post("/api/v1/appointments", refusals(self.book))
        add.add_get("/api/v1/appointments", refusals(self.own))
        add.add_get("/api/v1/appointments/{id}", refusals(self.one))
        add.add_delete("/api/v1/appointments/{id}", refusals(self.cancel))
        add.add_post("/api/v1/appointments/{id}/reschedule", refusals(self.reschedule))
        add.add_post("/api/v1/appointments/{id}/join", refusals(self.join))
        add.add_post("/api/v1/appointments/{id}/case", refusals(self.link_case))
        add.add_get("/api/v1/appointments/{id}/statement.pdf", refusals(self.citizen_pdf))
        add.add_get("/api/v1/staff/appointments", refusals(self.agenda))
        add.add_get("/api/v1/staff/appointments/{id}", refusals(self.staff_one))
        add.add_post("/api/v1/staff/appointments/{id}/statement", refusals(self.statement))
        add.add_get("/api/v1/staff/appointments/{id}/cases", refusals(self.case_candidates))
        add.add_post("/api/v1/staff/appointments/{id}/case", refusals(self.staff_link_case))
        add.add_get("/api/v1/staff/appointments/{id}/statement.pdf", refusals(self.staff_pdf))
        add.add_get("/api/v1/staff/units/{unit_id}/appointment-schedule",
                    refusals(self.get_schedule))
        add.add_put("/api/v1/staff/units/{unit_id}/appointment-schedule",
                    refusals(self.set_schedule))

    def view(self, appointment: Appointment) -> schemas.AppointmentView:
        return msgspec.convert({**_fields(appointment), "join_url": self.links.url(appointment)},
                               schemas.AppointmentView)

    @staticmethod
    def staff_view(appointment: Appointment) -> schemas.StaffAppointmentView:
        return msgspec.convert({**_fields(appointment), "citizen": dict(appointment.identity)},
                               schemas.StaffAppointmentView)

    async def _body(self, request: web.Request, caller: CitizenCaller | AgentProfile,
                       schema: type[_S]) -> _S:
        self.limits.admit(identity_of(caller), request.remote)
        return msgspec.json.decode(await self.limits.read_json(request), type=schema)

    async def _identity(self, request: web.Request,
                        citizen: CitizenCaller) -> CitizenIdentity | None:
        session = None
        if "Authorization" not in request.headers:
            session = await self.step_up.session_of_cookie(request.cookies.get(SESSION_COOKIE))
        if session is None:
            session = await self.step_up.session_of_citizen(citizen.citizen_id)
        return session.identity if session is not None else None

    # -- citizens ----------------------------------------------------------------

    async def slots(self, request: web.Request) -> web.Response:
        unit = request.query.get("unit")
        if unit:
            force_of_unit(unit)
            force, units = None, [unit]
        elif "lat" in request.query or "lon" in request.query:
            residence = Location(_float(request, "lat"), _float(request, "lon"))
            if not (-90 <= residence.lat <= 90 and -180 <= residence.lon <= 180):
                raise BadRequest("lat and lon are out of range")
            found_force, units = await self.appointments.competent_units(residence)
            force = found_force.value
        else:
            raise BadRequest("give unit=UNIT_ID, or lat and lon of the residence")
        found = await self.appointments.free_slots(units)
        return json_response(schemas.SlotList([slot_view(s) for s in found[:MAX_SLOTS]],
                                              force))

    async def book(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        body = await self._body(request, citizen, schemas.BookRequest)
        residence = (Location(body.residence.lat, body.residence.lon)
                     if body.residence is not None else None)
        appointment = await self.appointments.book(
            citizen, await self._identity(request, citizen), body.slot_id,
            case_id=body.case_id, phone=body.phone, residence=residence)
        return json_response(self.view(appointment), status=201)

    async def own(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        return json_response(schemas.AppointmentList(
            [self.view(a) for a in await self.appointments.of_citizen(citizen)]))

    async def one(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        return json_response(self.view(await self.appointments.own(
            citizen, request.match_info["id"])))

    async def cancel(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        self.limits.admit(identity_of(citizen), request.remote)
        return json_response(self.view(await self.appointments.cancel(
            citizen, request.match_info["id"])))

    async def reschedule(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        body = await self._body(request, citizen, schemas.RescheduleRequest)
        return json_response(self.view(await self.appointments.move(
            citizen, request.match_info["id"], body.slot_id)))

    async def join(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        body = await self._body(request, citizen, schemas.JoinRequest)
        appointment, room = await self.rooms.citizen_join(
            Actor(Role.CITIZEN, citizen.citizen_id), request.match_info["id"], body.key)
        return json_response(schemas.JoinView(self.view(appointment),
                                              room.room_id if room is not None else None))

    async def link_case(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        body = await self._body(request, citizen, schemas.LinkCaseRequest)
        return json_response(self.view(await self.case_links.by_citizen(
            citizen, request.match_info["id"], body.case_id)))

    async def citizen_pdf(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        pdf = await self.statements.for_citizen(citizen, request.match_info["id"])
        return pdf_response(pdf, "proces-verbal.pdf")

    # -- staff -------------------------------------------------------------------

    async def agenda(self, request: web.Request) -> web.Response:
        staff = await self.callers.staff(request)
        unit = request.query.get("unit") or staff.unit
        if unit is None:
            raise BadRequest("give unit=UNIT_ID (your token names no unit)")
        force_of_unit(unit)
        now = self.clock.now()
        after = _instant(request, "from", now - timedelta(hours=12))
        until = _instant(request, "to", after + timedelta(days=AGENDA_DAYS))
        found = await self.appointments.agenda(staff, unit, after, until)
        return json_response(schemas.StaffAppointmentList([self.staff_view(a) for a in found]))

    async def staff_one(self, request: web.Request) -> web.Response:
        staff = await self.callers.staff(request)
        return json_response(self.staff_view(await self.appointments.for_staff(
            staff, request.match_info["id"])))

    async def statement(self, request: web.Request) -> web.Response:
        staff = await self.callers.staff(request)
        body = await self._body(request, staff, schemas.StatementRequest)
        appointment, sha256 = await self.statements.write(staff, request.match_info["id"],
                                                          body.text)
        return json_response(schemas.StatementView(self.staff_view(appointment), sha256),
                             status=201)

    async def case_candidates(self, request: web.Request) -> web.Response:
        staff = await self.callers.staff(request)
        found = await self.case_links.candidates(staff, request.match_info["id"])
        return json_response(CaseList([case_view(c) for c in found]))

    async def staff_link_case(self, request: web.Request) -> web.Response:
        staff = await self.callers.staff(request)
        body = await self._body(request, staff, schemas.LinkCaseRequest)
        return json_response(self.staff_view(await self.case_links.by_staff(
            staff, request.match_info["id"], body.case_id)))

    async def staff_pdf(self, request: web.Request) -> web.Response:
        staff = await self.callers.staff(request)
        pdf = await self.statements.for_staff(staff, request.match_info["id"])
        return pdf_response(pdf, "proces-verbal.pdf")

    async def get_schedule(self, request: web.Request) -> web.Response:
        await self.callers.staff(request)
        unit_id = request.match_info["unit_id"]
        force_of_unit(unit_id)
        return json_response(_schedule_view(await self.schedules.get(unit_id)))

    async def set_schedule(self, request: web.Request) -> web.Response:
        staff = await self.callers.staff(request)
        unit_id = request.match_info["unit_id"]
        force_of_unit(unit_id)
        body = await self._body(request, staff, schemas.ScheduleRequest)
        schedule = UnitSchedule(unit_id, tuple(body.weekly), tuple(body.exceptions),
                                body.slot_minutes)
        return json_response(_schedule_view(await self.schedules.set(staff, schedule)))


def _schedule_view(schedule: UnitSchedule) -> schemas.ScheduleView:
    return schemas.ScheduleView(schedule.unit_id, list(schedule.weekly),
                                list(schedule.exceptions), schedule.slot_minutes)
