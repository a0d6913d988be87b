"""Linking a case to an appointment booked without one, through real HTTP: the booked
officer or the citizen links one of the citizen's open cases of the unit; everyone else
is refused."""

from typing import Any

from tests.gateway.appointments.conftest import (
    anonymous_citizen,
    publish,
    staff,
    verified_citizen,
)
from tests.gateway.appointments.test_appointment_calls import ONE_OFFICER
from tests.gateway.appointments.test_appointment_documents import CASE_UNIT
from tests.gateway.appointments.test_appointments_api import records_of
from tests.gateway.cases.conftest import LYON, PARIS, Api, complaint
from tests.gateway.identity.conftest import IdentityWorld


async def book_without_case(world: IdentityWorld, citizen: Api) -> dict[str, Any]:
    slot = (await anonymous_citizen(world).get(
        f"/api/v1/appointments/slots?unit={CASE_UNIT}"))[1]["slots"][0]
    status, booked = await citizen.post("/api/v1/appointments", {"slot_id": slot["id"]})
    assert status == 201 and booked["case_id"] is None, booked
    return dict(booked)


async def file_complaint(citizen: Api, place: dict[str, float] = LYON) -> dict[str, Any]:
    status, case = await citizen.post("/api/v1/complaints", complaint(place))
    assert status == 201, case
    return dict(case)


def link_path(appointment: dict[str, Any], who: str = "staff") -> str:
    prefix = "/api/v1/staff" if who == "staff" else "/api/v1"
    return f"{prefix}/appointments/{appointment['id']}/case"


async def test_the_booked_officer_links_one_of_the_citizens_open_cases(
        mail_world: IdentityWorld) -> None:
    await publish(mail_world, CASE_UNIT, ONE_OFFICER)
    citizen, _, _ = await verified_citizen(mail_world)
    booked = await book_without_case(mail_world, citizen)
    case = await file_complaint(citizen)
    assert case["unit_id"] == CASE_UNIT
    withdrawn = await file_complaint(citizen)
    assert (await citizen.post(f"/api/v1/cases/{withdrawn['id']}/withdraw"))[0] == 200
    await file_complaint(citizen, PARIS)  # another unit's case
    other, _, _ = await verified_citizen(mail_world)
    await file_complaint(other)  # another citizen's case of the same unit
    officer = staff(mail_world, "p-17", unit=CASE_UNIT)

    status, candidates = await officer.get(f"/api/v1/staff/appointments/{booked['id']}/cases")
    assert status == 200, candidates
    assert [c["id"] for c in candidates["cases"]] == [case["id"]]
    assert candidates["cases"][0]["reference"] == case["reference"]

    status, linked = await officer.post(link_path(booked), {"case_id": case["id"]})
    assert status == 200, linked
    assert linked["case_id"] == case["id"] and linked["citizen"]["family_name"]
    status, mine = await citizen.get(f"/api/v1/appointments/{booked['id']}")
    assert status == 200 and mine["case_id"] == case["id"]
    records = await records_of(mail_world, booked["id"], 2)
    record = next(r for r in records if r.kind == "appointment.case_linked")
    assert (record.actor_role, record.actor_id) == ("agent", "p-17")
    assert record.data["case_id"] == case["id"]
    assert record.data["reference"] == case["reference"]
    assert record.data["previous_status"] == "booked" and record.data["status"] == "booked"
    status, listing = await officer.get(f"/api/v1/cases/{case['id']}/attachments")
    assert status == 200 and listing["attachments"] == []

    status, again = await officer.post(link_path(booked), {"case_id": case["id"]})
    assert status == 409 and again["error"]["code"] == "conflict", again
    status, none_left = await officer.get(f"/api/v1/staff/appointments/{booked['id']}/cases")
    assert status == 200 and none_left["cases"] == []


async def test_the_citizen_links_their_own_case(mail_world: IdentityWorld) -> None:
    await publish(mail_world, CASE_UNIT)
    citizen, _, _ = await verified_citizen(mail_world)
    booked = await book_without_case(mail_world, citizen)
    case = await file_complaint(citizen)
    status, linked = await citizen.post(link_path(booked, "citizen"), {"case_id": case["id"]})
    assert status == 200, linked
    assert linked["case_id"] == case["id"] and linked["join_url"]
    records = await records_of(mail_world, booked["id"], 2)
    record = next(r for r in records if r.kind == "appointment.case_linked")
    assert record.actor_role == "citizen" and record.data["case_id"] == case["id"]


async def test_the_case_must_fit_the_appointment(mail_world: IdentityWorld) -> None:
    await publish(mail_world, CASE_UNIT, ONE_OFFICER)
    citizen, _, _ = await verified_citizen(mail_world)
    booked = await book_without_case(mail_world, citizen)
    officer = staff(mail_world, "p-17", unit=CASE_UNIT)
    other, _, _ = await verified_citizen(mail_world)
    foreign = await file_complaint(other)
    paris = await file_complaint(citizen, PARIS)
    final = await file_complaint(citizen)
    assert (await citizen.post(f"/api/v1/cases/{final['id']}/withdraw"))[0] == 200

    # Another unit's case: the citizen is told so; the officer, outside whose scope it
    # is, sees no such case.
    for who, caller, elsewhere in (("staff", officer, (404, "not_found")),
                                   ("citizen", citizen, (400, "bad_request"))):
        for case_id, status, code in ((foreign["id"], 404, "not_found"),
                                      ("no-such-case", 404, "not_found"),
                                      (paris["id"], *elsewhere),
                                      (final["id"], 409, "conflict")):
            answer = await caller.post(link_path(booked, who), {"case_id": case_id})
            assert answer[0] == status and answer[1]["error"]["code"] == code, (who, answer)
        for body in ({}, {"case_id": ""}, {"case_id": "x", "extra": 1}, {"case_id": 7}):
            answer = await caller.post(link_path(booked, who), body)
            assert answer[0] == 400 and answer[1]["error"]["code"] == "bad_request", answer

    case = await file_complaint(citizen)
    assert (await citizen.call("DELETE", f"/api/v1/appointments/{booked['id']}"))[0] == 200
    status, refused = await officer.post(link_path(booked), {"case_id": case["id"]})
    assert status == 409 and refused["error"]["code"] == "conflict", refused
    status, refused = await citizen.post(link_path(booked, "citizen"), {"case_id": case["id"]})
    assert status == 409 and refused["error"]["code"] == "conflict", refused
    records = await records_of(mail_world, booked["id"], 2)
    assert "appointment.case_linked" not in {r.kind for r in records}


async def test_foreign_callers_are_refused(mail_world: IdentityWorld) -> None:
    await publish(mail_world, CASE_UNIT, ONE_OFFICER)
    citizen, _, _ = await verified_citizen(mail_world)
    booked = await book_without_case(mail_world, citizen)
    case = await file_complaint(citizen)
    body = {"case_id": case["id"]}
    cases_path = f"/api/v1/staff/appointments/{booked['id']}/cases"

    for outsider in (staff(mail_world, "p-paris", unit="police-paris"),
                     staff(mail_world, "p-lyon", unit="police-lyon"),
                     staff(mail_world, "g-1", "gendarmerie", None),
                     staff(mail_world, "r-1", unit=CASE_UNIT, role="reviewer")):
        for answer in (await outsider.post(link_path(booked), body),
                       await outsider.get(cases_path)):
            assert answer[0] == 404 and answer[1]["error"]["code"] == "not_found", answer
    colleague = staff(mail_world, "p-18", unit=CASE_UNIT)  # the slot names p-17
    for answer in (await colleague.post(link_path(booked), body),
                   await colleague.get(cases_path)):
        assert answer[0] == 403 and answer[1]["error"]["code"] == "forbidden", answer

    other, _, _ = await verified_citizen(mail_world)
    for caller in (other, anonymous_citizen(mail_world)):
        status, refused = await caller.post(link_path(booked, "citizen"), body)
        assert status == 403 and refused["error"]["code"] == "forbidden", refused
    for caller in (citizen, other):
        for answer in (await caller.post(link_path(booked), body), await caller.get(cases_path)):
            assert answer[0] == 403 and answer[1]["error"]["code"] == "forbidden", answer
    status, refused = await staff(mail_world, "p-17", unit=CASE_UNIT).post(
        link_path(booked, "citizen"), body)
    assert status == 403 and refused["error"]["code"] == "forbidden", refused
    nobody = Api(mail_world.gw.url)
    for path in (link_path(booked), link_path(booked, "citizen")):
        status, refused = await nobody.post(path, body)
        assert status == 401 and refused["error"]["code"] == "unauthorized", refused

    status, still = await citizen.get(f"/api/v1/appointments/{booked['id']}")
    assert status == 200 and still["case_id"] is None
    records = await records_of(mail_world, booked["id"], 1)
    assert "appointment.case_linked" not in {r.kind for r in records}
