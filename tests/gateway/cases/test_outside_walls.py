"""Complaints outside the walls through real HTTP: the victim asks, the competent unit
accepts, plans and records the visit; other forces and other citizens see nothing."""

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.gateway.cases.conftest import LYON, PARIS
from tests.gateway.cases.test_cases_api import PARIS_UNIT, anonymous_citizen, staff
from tests.gateway.identity.conftest import IdentityWorld

START = datetime(2030, 3, 4, 14, 0, tzinfo=UTC)


def request_body(place: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"place": {**(place or PARIS), "address": "12 rue des Lilas (cabinet médical)",
                      "host": "mon médecin"},
            "time_windows": [{"start": START.isoformat(),
                              "end": (START + timedelta(hours=2)).isoformat()}],
            "safety": {"never_at_home": True, "code_word": "mimosa",
                       "safe_contact": {"name": "Sœur", "phone": "+33 6 00 00 00 01"}},
            "description": "Violences répétées au domicile", **extra}


async def test_a_request_from_filing_to_the_visit_outcome(world: IdentityWorld) -> None:
    victim, other = anonymous_citizen(world), anonymous_citizen(world)
    status, case = await victim.post("/api/v1/outside-walls-requests", request_body())
    assert status == 201, case
    assert case["kind"] == "outside_walls" and case["status"] == "received"
    assert case["reference"].startswith("HM-") and case["unit_id"] == PARIS_UNIT
    assert case["facts"]["discreet"] is True
    assert case["facts"]["safety"]["code_word"] == "mimosa"
    status, discreet = await victim.get(f"/api/v1/outside-walls-requests/{case['id']}")
    assert status == 200 and discreet == {
        "id": case["id"], "reference": case["reference"], "status": "received",
        "label": "Votre demande est reçue.", "updated_at": case["updated_at"]}

    staff_path = f"/api/v1/staff/cases/{case['id']}"
    foreign = (staff(world, "g1", "gendarmerie"), staff(world, "p-lyon", unit="police-lyon"),
               staff(world, "rv", role="reviewer"))
    for officer in foreign:
        assert (await officer.get(staff_path))[0] == 404
        assert (await officer.post(f"{staff_path}/decision", {"decision": "confirm"}))[0] == 404
        assert (await officer.post(f"{staff_path}/visit", {
            "officers": ["x"], "at": START.isoformat()}))[0] == 404
        assert (await officer.get("/api/v1/staff/cases?kind=outside_walls"))[1]["cases"] == []
    assert (await other.get(f"/api/v1/outside-walls-requests/{case['id']}"))[0] == 404
    assert (await other.post(f"/api/v1/cases/{case['id']}/withdraw"))[0] == 404
    assert (await victim.post(f"{staff_path}/visit", {"officers": ["x"],
                                                      "at": START.isoformat()}))[0] == 403

    officer = staff(world, "p-paris", unit=PARIS_UNIT)
    listed = (await officer.get("/api/v1/staff/cases?kind=outside_walls"))[1]["cases"]
    assert [c["id"] for c in listed] == [case["id"]]
    status, early = await officer.post(f"{staff_path}/visit", {
        "officers": ["p-paris"], "at": START.isoformat()})
    assert status == 409, early
    status, accepted = await officer.post(f"{staff_path}/decision", {"decision": "confirm"})
    assert status == 200 and accepted["status"] == "accepted"
    status, outside = await officer.post(f"{staff_path}/visit", {
        "officers": ["p-paris", "p-2"], "at": (START - timedelta(hours=1)).isoformat()})
    assert status == 400 and "time windows" in outside["error"]["message"]
    at = START + timedelta(minutes=30)
    status, planned = await officer.post(f"{staff_path}/visit", {
        "officers": ["p-paris", "p-2"], "at": at.isoformat(), "note": "en civil"})
    assert status == 200 and planned["status"] == "planned"
    assert planned["facts"]["visit"]["officers"] == ["p-paris", "p-2"]
    assert planned["facts"]["visit"]["place"]["address"].startswith("12 rue des Lilas")
    label = (await victim.get(f"/api/v1/outside-walls-requests/{case['id']}"))[1]["label"]
    assert label == "Un rendez-vous est fixé."
    status, done = await officer.post(f"{staff_path}/visit-outcome",
                                      {"outcome": "complaint_taken"})
    assert status == 200 and done["status"] == "closed"
    assert done["facts"]["visit_outcome"]["outcome"] == "complaint_taken"
    assert (await officer.post(f"{staff_path}/visit-outcome",
                               {"outcome": "victim_absent"}))[0] == 409

    records = await world.gw.gateway.evidence.conversation_records(case["id"])
    assert [r.kind for r in records] == ["case.opened", "case.decided", "case.decided",
                                         "case.decided"]
    assert records[2].data["details"]["visit"]["at"].startswith("2030-03-04T14:30")
    assert records[3].data["details"]["visit_outcome"]["outcome"] == "complaint_taken"


async def test_the_victim_cancels_and_the_gendarmerie_handles_its_own(
        world: IdentityWorld) -> None:
    victim = anonymous_citizen(world)
    status, case = await victim.post("/api/v1/outside-walls-requests",
                                     request_body({"lat": 44.32, "lon": 3.59}, discreet=False))
    assert status == 201 and case["force"] == "gendarmerie" and case["facts"]["discreet"] is False
    assert (await staff(world, "p1").get(f"/api/v1/staff/cases/{case['id']}"))[0] == 404
    gendarme = staff(world, "g1", "gendarmerie")
    assert (await gendarme.get(f"/api/v1/staff/cases/{case['id']}"))[0] == 200
    status, withdrawn = await victim.post(f"/api/v1/cases/{case['id']}/withdraw")
    assert status == 200 and withdrawn["status"] == "withdrawn"
    assert (await gendarme.post(f"/api/v1/staff/cases/{case['id']}/decision",
                                {"decision": "confirm"}))[0] == 409


async def test_bad_requests_are_refused_clearly(world: IdentityWorld) -> None:
    victim = anonymous_citizen(world)
    good = request_body(LYON)
    bad_bodies = [
        {**good, "time_windows": []},
        {**good, "time_windows": [{"start": START.isoformat(), "end": START.isoformat()}]},
        {**good, "place": {"lat": 45.7, "lon": 4.8}},
        {**good, "safety": {"safe_contact": {"name": "x"}}},
        {**good, "surprise": True},
        {**good, "unit_id": "nowhere"},
    ]
    for body in bad_bodies:
        status, refused = await victim.post("/api/v1/outside-walls-requests", body)
        assert status == 400 and refused["error"]["code"] == "bad_request", body
    status, pre = await victim.post("/api/v1/pre-complaints", {
        "facts": {"offence": "theft", "description": "x",
                  "occurred_from": "2026-11-30T18:00:00+01:00"},
        "declared_identity": {"given_name": "A", "family_name": "B",
                              "birthdate": "1990-01-01"}, "place": PARIS})
    assert status == 201
    officer = staff(world, "p-paris", unit=PARIS_UNIT)
    status, wrong_kind = await officer.post(f"/api/v1/staff/cases/{pre['id']}/visit-outcome",
                                            {"outcome": "victim_absent"})
    assert status == 400 and wrong_kind["error"]["code"] == "bad_request"
    assert (await victim.get(f"/api/v1/outside-walls-requests/{pre['id']}"))[0] == 404
