"""Video appointments through real HTTP: a verified identity from the loopback OpenID
provider, and the e-mails received by a real SMTP server on loopback."""

import asyncio
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
from icalendar import Calendar

from rtc_gateway.domain.timestamps import parse_utc
from tests.gateway.appointments.conftest import (
    ALL_WEEK,
    LYON_UNIT,
    MAIL_FROM,
    Inbox,
    anonymous_citizen,
    cookie_api,
    publish,
    staff,
    verified_citizen,
)
from tests.gateway.identity.conftest import IdentityWorld, StartWorld

PROVIDER_EMAIL = "marie.dupont@example.fr"


async def records_of(world: IdentityWorld, stream: str, count: int) -> list[Any]:
    """The stream's records once there are ``count`` (notices are recorded after sending)."""
    for _ in range(200):
        records = await world.gw.gateway.evidence.conversation_records(stream)
        if len(records) >= count:
            return records
        await asyncio.sleep(0.05)
    raise AssertionError(f"{stream}: {[r.kind for r in records]}")


def calendar_of(message: object) -> Calendar:
    parts = [p for p in message.iter_attachments()  # type: ignore[attr-defined]
             if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1 and parts[0].get_filename() == "rendez-vous.ics"
    return Calendar.from_ical(parts[0].get_content())


async def test_schedules_are_set_by_the_units_supervisors_only(mail_world: IdentityWorld
                                                               ) -> None:
    path = f"/api/v1/staff/units/{LYON_UNIT}/appointment-schedule"
    for caller in (staff(mail_world, "p1"), staff(mail_world, "s-paris", unit="police-paris",
                                                  role="supervisor"),
                   staff(mail_world, "g1", "gendarmerie", None, "supervisor"),
                   anonymous_citizen(mail_world)):
        status, refused = await caller.call("PUT", path, ALL_WEEK)
        assert status == 403 and refused["error"]["code"] == "forbidden"
    assert (await staff(mail_world, "p1").get(path))[0] == 404
    status, bad = await staff(mail_world, "s", role="supervisor").call(
        "PUT", path, {"weekly": [{"weekday": 8, "start": "09:00", "end": "10:00"}]})
    assert status == 400 and bad["error"]["code"] == "bad_request"
    await publish(mail_world)
    status, schedule = await staff(mail_world, "p1").get(path)
    assert status == 200 and len(schedule["weekly"]) == 7
    records = await mail_world.gw.gateway.evidence.conversation_records(
        f"schedule:{LYON_UNIT}")
    assert [r.kind for r in records] == ["appointment.schedule"]


async def test_a_booking_mails_the_join_link_and_an_ics(mail_world: IdentityWorld,
                                                       smtp: tuple[Inbox, int]) -> None:
    inbox, _ = smtp
    await publish(mail_world)
    status, listed = await anonymous_citizen(mail_world).get(
        f"/api/v1/appointments/slots?unit={LYON_UNIT}")
    assert status == 200 and listed["slots"], listed
    slot = listed["slots"][0]
    assert slot["unit_id"] == LYON_UNIT and slot["start"] < slot["end"]

    status, refused = await anonymous_citizen(mail_world).post(
        "/api/v1/appointments", {"slot_id": slot["id"]})
    assert status == 403 and refused["error"]["code"] == "forbidden"
    citizen, _, _ = await verified_citizen(mail_world)
    status, booked = await citizen.post("/api/v1/appointments", {"slot_id": slot["id"]})
    assert status == 201, booked
    assert booked["slot_id"] == slot["id"] and booked["status"] == "booked"
    assert booked["join_url"].startswith(f"{mail_world.gw.url}/demo/rendez-vous.html#")

    other, _, _ = await verified_citizen(mail_world)
    status, taken = await other.post("/api/v1/appointments", {"slot_id": slot["id"]})
    assert status == 409 and taken["error"]["code"] == "conflict"
    free = (await citizen.get(f"/api/v1/appointments/slots?unit={LYON_UNIT}"))[1]["slots"]
    assert slot["id"] not in {s["id"] for s in free}

    (message,) = await inbox.wait(1)
    sender, recipients, _ = inbox.received[0]
    assert message["To"] == PROVIDER_EMAIL and recipients == [PROVIDER_EMAIL]
    assert message["From"] == MAIL_FROM and sender == MAIL_FROM
    assert booked["join_url"] in message.get_body(("plain",)).get_content()
    event = calendar_of(message).walk("VEVENT")[0]
    assert event.decoded("dtstart") == parse_utc(slot["start"])
    assert event.decoded("dtend") == parse_utc(slot["end"])
    assert str(event["uid"]).startswith(booked["id"]) and str(event["url"]) == booked["join_url"]
    assert str(calendar_of(message)["method"]) == "REQUEST"

    records = await records_of(mail_world, booked["id"], 2)
    assert [r.kind for r in records] == ["appointment.booked", "appointment.notice"]
    assert records[1].data == {"notice": "booked", "channel": "email", "sent": True,
                               "sequence": 0}


async def test_the_citizen_moves_and_cancels_only_their_own(mail_world: IdentityWorld,
                                                           smtp: tuple[Inbox, int]) -> None:
    inbox, _ = smtp
    await publish(mail_world)
    slots = (await anonymous_citizen(mail_world).get(
        f"/api/v1/appointments/slots?unit={LYON_UNIT}"))[1]["slots"]
    citizen, _, _ = await verified_citizen(mail_world)
    other, _, _ = await verified_citizen(mail_world)
    booked = (await citizen.post("/api/v1/appointments", {"slot_id": slots[0]["id"]}))[1]
    path = f"/api/v1/appointments/{booked['id']}"
    for refused in (await other.call("DELETE", path), await other.get(path),
                    await other.post(f"{path}/reschedule", {"slot_id": slots[1]["id"]}),
                    await staff(mail_world, "p1").call("DELETE", path)):
        assert refused[0] == 403 and refused[1]["error"]["code"] == "forbidden"
    assert (await other.call("DELETE", "/api/v1/appointments/nope"))[0] == 404

    status, moved = await citizen.post(f"{path}/reschedule", {"slot_id": slots[1]["id"]})
    assert status == 200 and moved["slot_id"] == slots[1]["id"]
    status, again = await other.post("/api/v1/appointments", {"slot_id": slots[0]["id"]})
    assert status == 201, again
    status, clash = await citizen.post(f"{path}/reschedule", {"slot_id": slots[0]["id"]})
    assert status == 409 and clash["error"]["code"] == "conflict"
    status, cancelled = await citizen.call("DELETE", path)
    assert status == 200 and cancelled["status"] == "cancelled"
    assert (await citizen.call("DELETE", path))[0] == 409

    messages = await inbox.wait(4)
    subjects = [m["Subject"] for m in messages]
    assert any("déplacé" in s for s in subjects) and any("annulé" in s for s in subjects)
    cancel_mail = next(m for m in messages if "annulé" in m["Subject"])
    assert str(calendar_of(cancel_mail)["method"]) == "CANCEL"
    assert calendar_of(cancel_mail).walk("VEVENT")[0]["sequence"] == 2
    records = await records_of(mail_world, booked["id"], 6)
    assert [r.kind for r in records if r.kind != "appointment.notice"] == [
        "appointment.booked", "appointment.moved", "appointment.cancelled"]


async def test_concurrent_bookings_of_one_slot_give_one_appointment(
        mail_world: IdentityWorld) -> None:
    await publish(mail_world)
    slot = (await anonymous_citizen(mail_world).get(
        f"/api/v1/appointments/slots?unit={LYON_UNIT}"))[1]["slots"][0]
    citizens = [(await verified_citizen(mail_world))[0] for _ in range(6)]
    answers = await asyncio.gather(*(c.post("/api/v1/appointments", {"slot_id": slot["id"]})
                                     for c in citizens))
    assert sorted(status for status, _ in answers) == [201] + [409] * 5


async def test_the_join_link_works_for_its_citizen_only(mail_world: IdentityWorld) -> None:
    await publish(mail_world)
    slot = (await anonymous_citizen(mail_world).get(
        f"/api/v1/appointments/slots?unit={LYON_UNIT}"))[1]["slots"][0]
    citizen, cookie, _ = await verified_citizen(mail_world)
    booked = (await citizen.post("/api/v1/appointments", {"slot_id": slot["id"]}))[1]
    key = booked["join_url"].split("key=", 1)[1]
    join = f"/api/v1/appointments/{booked['id']}/join"
    status, joined = await citizen.post(join, {"key": key})
    assert status == 200 and joined["room_id"] is None
    assert joined["appointment"]["id"] == booked["id"]
    by_cookie = await cookie_api(mail_world, cookie).post(join, {"key": key})
    assert by_cookie[0] == 200
    other, _, _ = await verified_citizen(mail_world)
    for caller, body in ((other, {"key": key}), (citizen, {"key": key[:-2] + "AA"}),
                         (anonymous_citizen(mail_world), {"key": key})):
        status, refused = await caller.post(join, body)
        assert status == 403 and refused["error"]["code"] == "forbidden"


async def test_residence_routes_to_the_competent_force(mail_world: IdentityWorld) -> None:
    await publish(mail_world)
    await publish(mail_world, "gendarmerie-bta-mende")
    status, police = await anonymous_citizen(mail_world).get(
        "/api/v1/appointments/slots?lat=45.764&lon=4.8357")
    assert status == 200 and police["force"] == "police"
    assert {s["unit_id"] for s in police["slots"]} == {LYON_UNIT}
    status, gendarmerie = await anonymous_citizen(mail_world).get(
        "/api/v1/appointments/slots?lat=44.32&lon=3.59")
    assert gendarmerie["force"] == "gendarmerie"
    assert {s["unit_id"] for s in gendarmerie["slots"]} == {"gendarmerie-bta-mende"}
    citizen, _, _ = await verified_citizen(mail_world)
    status, refused = await citizen.post("/api/v1/appointments", {
        "slot_id": police["slots"][0]["id"], "residence": {"lat": 44.32, "lon": 3.59}})
    assert status == 400 and "gendarmerie" in refused["error"]["message"]
    for bad in ("", "?unit=lyon", "?lat=x&lon=1", "?lat=100&lon=1"):
        status, body = await citizen.get(f"/api/v1/appointments/slots{bad}")
        assert status == 400 and body["error"]["code"] == "bad_request"


async def test_bad_bookings_are_refused_clearly(mail_world: IdentityWorld) -> None:
    await publish(mail_world)
    citizen, _, _ = await verified_citizen(mail_world)
    for body in ({}, {"slot_id": "x"}, {"slot_id": "police-lyon:20200101T0000Z"},
                 {"slot_id": "police-nowhere:20300101T0000Z"}, {"slot_id": 3},
                 {"slot_id": "police-lyon:20300101T0000Z", "extra": 1}):
        status, refused = await citizen.post("/api/v1/appointments", body)
        assert status in (400, 409) and refused["error"]["code"] in ("bad_request",
                                                                    "conflict"), body
    async with aiohttp.ClientSession() as http, http.post(
            f"{mail_world.gw.url}/api/v1/appointments", data=b"{",
            headers={"Authorization": f"Bearer {citizen.token}",
                     "Content-Type": "application/json"}) as response:
        assert response.status == 400


async def test_an_appointment_exports_verifies_and_survives_a_restart(
        start_world: StartWorld, smtp: tuple[Inbox, int], tmp_path: Path) -> None:
    _, port = smtp
    mail = {"smtp_url": f"smtp://127.0.0.1:{port}", "mail_from": MAIL_FROM}
    world = await start_world(**mail)
    await publish(world)
    slot = (await anonymous_citizen(world).get(
        f"/api/v1/appointments/slots?unit={LYON_UNIT}"))[1]["slots"][0]
    citizen, _, _ = await verified_citizen(world)
    booked = (await citizen.post("/api/v1/appointments", {"slot_id": slot["id"]}))[1]
    await records_of(world, booked["id"], 2)
    data_dir = world.gw.gateway.settings.data_dir
    for private in (data_dir / "appointments.db", data_dir / "keys" / "appointment-links.key"):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    await world.gw.runner.cleanup()
    world.gw.clients.clear()

    out = tmp_path / "appointment.zip"
    exported = await asyncio.to_thread(subprocess.run, [
        sys.executable, "-m", "rtc_gateway", "export", "--data-dir", str(data_dir),
        "--conversation", booked["id"], "--out", str(out), "--reason", "rdv"],
        capture_output=True, text=True, timeout=60)
    assert exported.returncode == 0, exported.stderr
    verified = await asyncio.to_thread(subprocess.run, [
        sys.executable, "-m", "rtc_gateway", "verify", str(out)],
        capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    again = await start_world(data_dir=data_dir, **mail)
    status, kept = await staff(again, "p1").get(f"/api/v1/staff/appointments/{booked['id']}")
    assert status == 200 and kept["slot_id"] == slot["id"] and kept["status"] == "booked"
    free = (await anonymous_citizen(again).get(
        f"/api/v1/appointments/slots?unit={LYON_UNIT}"))[1]["slots"]
    assert slot["id"] not in {s["id"] for s in free}
    other, _, _ = await verified_citizen(again)
    assert (await other.post("/api/v1/appointments", {"slot_id": slot["id"]}))[0] == 409
