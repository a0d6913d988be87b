"""A pre-complaint's appointment over HTTP: chosen by the citizen within the unit's
opening, confirmed or moved by the unit's officers, the citizen told by a case message."""

import asyncio
from datetime import datetime, timedelta

from rtc_gateway.domain.appointments import PARIS
from rtc_gateway.domain.timestamps import format_utc
from tests.gateway.cases.conftest import pre_complaint
from tests.gateway.cases.test_cases_api import PARIS_UNIT, anonymous_citizen, staff
from tests.gateway.identity.conftest import IdentityWorld, StartWorld


def opening_day(days_ahead: int, hour: int, minute: int = 0) -> datetime:
    day = datetime.now(PARIS) + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


async def test_appointment_chosen_confirmed_and_moved(world: IdentityWorld) -> None:
    citizen = anonymous_citizen(world)
    chosen = opening_day(7, 10, 15)
    status, case = await citizen.post("/api/v1/pre-complaints",
                                      pre_complaint(appointment_at=chosen.isoformat()))
    assert status == 201, case
    assert case["appointment_at"] == format_utc(chosen)
    decide = f"/api/v1/staff/cases/{case['id']}/decision"
    officer = staff(world, "p-paris", unit=PARIS_UNIT)
    status, confirmed = await officer.post(decide, {"decision": "confirm"})
    assert status == 200 and confirmed["status"] == "confirmed"
    told = confirmed["messages"][-1]
    assert told["author_role"] == "system" and "confirmé" in told["text"]
    assert "à 10 h 15 (heure de Paris)" in told["text"]

    moved_to = opening_day(9, 14, 30)
    status, moved = await officer.post(decide, {"decision": "reschedule",
                                                "reason": "officier absent",
                                                "appointment_at": moved_to.isoformat()})
    assert status == 200 and moved["status"] == "rescheduled"
    assert moved["appointment_at"] != case["appointment_at"]
    assert "déplacé" in moved["messages"][-1]["text"]
    assert "officier absent" in moved["messages"][-1]["text"]
    status, seen = await citizen.get(f"/api/v1/cases/{case['id']}")
    assert [m["author_role"] for m in seen["messages"]] == ["system", "system"]
    assert seen["appointment_at"] == moved["appointment_at"]

    records = await world.gw.gateway.evidence.conversation_records(case["id"])
    assert [r.kind for r in records] == ["case.opened", "case.decided", "case.message",
                                         "case.decided", "case.message"]
    assert records[0].data["appointment_at"] == case["appointment_at"]
    assert records[3].data["appointment_at"] == moved["appointment_at"]


async def test_appointment_refusals(world: IdentityWorld) -> None:
    citizen = anonymous_citizen(world)
    for bad in (opening_day(7, 20).isoformat(),  # closed at night
                opening_day(7, 10, 5).isoformat(),  # not a quarter hour
                (datetime.now(PARIS) - timedelta(days=1)).isoformat(),
                opening_day(120, 10).isoformat(),
                opening_day(7, 10).replace(tzinfo=None).isoformat(),  # no offset
                "demain"):
        status, refused = await citizen.post("/api/v1/pre-complaints",
                                             pre_complaint(appointment_at=bad))
        assert status == 400 and refused["error"]["code"] == "bad_request", (bad, refused)
    assert (await citizen.get("/api/v1/cases"))[1] == {"cases": []}

    _, case = await citizen.post("/api/v1/pre-complaints", pre_complaint())
    decide = f"/api/v1/staff/cases/{case['id']}/decision"
    officer = staff(world, "p-paris", unit=PARIS_UNIT)
    status, refused = await officer.post(decide, {"decision": "reschedule",
                                                  "appointment_at": opening_day(7, 19)
                                                  .isoformat()})
    assert status == 400, refused
    status, refused = await officer.post(decide, {"decision": "close",
                                                  "appointment_at": opening_day(7, 10)
                                                  .isoformat()})
    assert status == 400, refused
    lyon = staff(world, "p-lyon", unit="police-lyon")
    assert (await lyon.post(decide, {"decision": "confirm"}))[0] == 404
    assert (await citizen.post(decide, {"decision": "confirm"}))[0] == 403
    status, dateless = await officer.post(decide, {"decision": "reschedule"})
    assert status == 200 and dateless["appointment_at"] is None
    assert "autre date" in dateless["messages"][-1]["text"]
    assert (await citizen.post(f"/api/v1/cases/{case['id']}/withdraw"))[0] == 200
    status, late = await officer.post(decide, {"decision": "reschedule",
                                               "appointment_at": opening_day(7, 10)
                                               .isoformat()})
    assert status == 409 and late["error"]["code"] == "conflict"


async def test_the_gateway_purges_unhonoured_pre_complaints(start_world: StartWorld) -> None:
    world = await start_world(case_purge_interval_s=0.05)
    citizen = anonymous_citizen(world)
    officer = staff(world, "p-paris", unit=PARIS_UNIT)
    _, missed = await citizen.post("/api/v1/pre-complaints",
                                   pre_complaint(appointment_at=opening_day(7, 10).isoformat()))
    _, honoured = await citizen.post("/api/v1/pre-complaints",
                                     pre_complaint(appointment_at=opening_day(7, 11).isoformat()))
    await officer.post(f"/api/v1/staff/cases/{honoured['id']}/decision", {"decision": "close"})
    await asyncio.sleep(0.2)
    assert (await citizen.get(f"/api/v1/cases/{missed['id']}"))[0] == 200

    world.clock.wall_offset = timedelta(days=40)
    for _ in range(100):
        if (await citizen.get(f"/api/v1/cases/{missed['id']}"))[0] == 404:
            break
        await asyncio.sleep(0.05)
    assert (await citizen.get(f"/api/v1/cases/{missed['id']}"))[0] == 404
    assert (await officer.get(f"/api/v1/staff/cases/{missed['id']}"))[0] == 404
    assert (await citizen.get(f"/api/v1/cases/{honoured['id']}"))[0] == 200
    records = await world.gw.gateway.evidence.conversation_records(missed["id"])
    assert records[-1].kind == "case.purged"
    assert records[-1].data["reason"] == "appointment_not_honoured"
    assert all(r.text is None for r in records)
