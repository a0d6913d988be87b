"""The appointments' and outside-walls requests' part of ``/api/v1/openapi.json``."""

from typing import Any

from rtc_gateway.gateway import appointment_schemas as appointments
from rtc_gateway.gateway import case_schemas
from rtc_gateway.gateway import outside_walls_schemas as outside_walls

REF = "#/components/schemas/{name}"
STRUCTS = (*appointments.REQUEST_BODIES, *appointments.RESPONSE_BODIES,
           *outside_walls.REQUEST_BODIES, *outside_walls.RESPONSE_BODIES)
ERRORS = {"400": "bad_request", "401": "unauthorized", "403": "forbidden",
          "404": "not_found", "409": "conflict", "413": "too_large",
          "415": "unsupported_type", "429": "rate_limited"}
WRITE = ("400", "401", "403", "404", "409", "413", "415", "429")
READ = ("400", "401", "403", "404")


def _json(struct: type) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": REF.format(name=struct.__name__)}}}


def _id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "string", "maxLength": 64}}


def _query(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string"},
            "description": description}


def _op(summary: str, ok: str, answer: type | None, errors: tuple[str, ...],
        body: type | None = None, parameters: tuple[dict[str, Any], ...] = (),
        pdf: bool = False) -> dict[str, Any]:
    content = ({"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
               if pdf else _json(answer) if answer is not None else {})
    operation: dict[str, Any] = {
        "summary": summary, "security": [{"bearer": []}, {"session": []}],
        "responses": {ok: {"description": summary, "content": content},
                      **{status: {"description": ERRORS[status],
                                  "content": _json(case_schemas.ErrorBody)}
                         for status in errors}}}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": _json(body)}
    if parameters:
        operation["parameters"] = list(parameters)
    return operation


APPOINTMENT = _id("id")
UNIT = _id("unit_id")
CASE = _id("case_id")


def paths() -> dict[str, Any]:
    a, o, case = appointments, outside_walls, case_schemas.CaseView
    return {
        "/api/v1/appointments/slots": {"get": _op(
            "Free video-appointment slots of a unit, or of the units competent for a "
            "residence", "200", a.SlotList, ("400",),
            parameters=(_query("unit", "a unit id"), _query("lat", "residence latitude"),
                        _query("lon", "residence longitude")))},
        "/api/v1/appointments": {
            "post": _op("Book a slot (verified citizens only)", "201", a.AppointmentView,
                        WRITE, a.BookRequest),
            "get": _op("The caller's appointments", "200", a.AppointmentList,
                       ("401", "403"))},
        "/api/v1/appointments/{id}": {
            "get": _op("One of the caller's appointments", "200", a.AppointmentView, READ,
                       parameters=(APPOINTMENT,)),
            "delete": _op("Cancel it (its citizen only)", "200", a.AppointmentView,
                          ("401", "403", "404", "409", "429"), parameters=(APPOINTMENT,))},
        "/api/v1/appointments/{id}/reschedule": {"post": _op(
            "Move it to another slot of the unit", "200", a.AppointmentView, WRITE,
            a.RescheduleRequest, (APPOINTMENT,))},
        "/api/v1/appointments/{id}/join": {"post": _op(
            "Check the join link's key; the room once the officer has opened it", "200",
            a.JoinView, WRITE, a.JoinRequest, (APPOINTMENT,))},
        "/api/v1/appointments/{id}/case": {"post": _op(
            "Link one of the caller's open cases to their live appointment booked without "
            "one", "200", a.AppointmentView, WRITE, a.LinkCaseRequest, (APPOINTMENT,))},
        "/api/v1/appointments/{id}/statement.pdf": {"get": _op(
            "The statement to sign (PDF)", "200", None, READ, parameters=(APPOINTMENT,),
            pdf=True)},
        "/api/v1/staff/appointments": {"get": _op(
            "The unit's agenda of live appointments", "200", a.StaffAppointmentList,
            ("400", "401", "403"),
            parameters=(_query("unit", "a unit id (default: the token's)"),
                        _query("from", "RFC 3339 instant"), _query("to", "RFC 3339 instant")))},
        "/api/v1/staff/appointments/{id}": {"get": _op(
            "One appointment of the caller's unit", "200", a.StaffAppointmentView, READ,
            parameters=(APPOINTMENT,))},
        "/api/v1/staff/appointments/{id}/statement": {"post": _op(
            "Write the statement of the call", "201", a.StatementView, WRITE,
            a.StatementRequest, (APPOINTMENT,))},
        "/api/v1/staff/appointments/{id}/cases": {"get": _op(
            "The citizen's open cases of the unit the appointment may be linked to", "200",
            case_schemas.CaseList, READ, parameters=(APPOINTMENT,))},
        "/api/v1/staff/appointments/{id}/case": {"post": _op(
            "Link one of them (the booked officer, or the unit's supervisors)", "200",
            a.StaffAppointmentView, WRITE, a.LinkCaseRequest, (APPOINTMENT,))},
        "/api/v1/staff/appointments/{id}/statement.pdf": {"get": _op(
            "The statement (PDF)", "200", None, READ, parameters=(APPOINTMENT,), pdf=True)},
        "/api/v1/staff/units/{unit_id}/appointment-schedule": {
            "get": _op("A unit's video-appointment schedule", "200", a.ScheduleView, READ,
                       parameters=(UNIT,)),
            "put": _op("Set it (the unit's supervisors)", "200", a.ScheduleView, WRITE,
                       a.ScheduleRequest, (UNIT,))},
        "/api/v1/outside-walls-requests": {"post": _op(
            "Ask for a complaint outside the walls (any citizen)", "201", case,
            ("400", "401", "403", "413", "415", "429"), o.OutsideWallsRequest)},
        "/api/v1/outside-walls-requests/{case_id}": {"get": _op(
            "Its discreet status, for its victim", "200", o.DiscreetStatus, READ,
            parameters=(CASE,))},
        "/api/v1/staff/cases/{case_id}/visit": {"post": _op(
            "Plan the visit of an accepted request (who, when, where)", "200", case, WRITE,
            o.VisitRequest, (CASE,))},
        "/api/v1/staff/cases/{case_id}/visit-outcome": {"post": _op(
            "Record how the visit ended (closes the request)", "200", case, WRITE,
            o.OutcomeRequest, (CASE,))},
    }
