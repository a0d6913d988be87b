"""The appointment's video room over Socket.IO, the statement PDF, SMS and reminders."""

import asyncio
from datetime import timedelta
from io import BytesIO

import aiohttp
from aiohttp import web
from pypdf import PdfReader

from rtc_gateway.domain.timestamps import parse_utc
from rtc_gateway.security.cookies import SESSION_COOKIE
from tests.gateway.appointments.conftest import (
    LYON_UNIT,
    Inbox,
    anonymous_citizen,
    publish,
    shift_wall_clock,
    staff,
    verified_citizen,
)
from tests.gateway.appointments.test_appointments_api import records_of
from tests.gateway.identity.conftest import IdentityWorld, StartWorld
from tests.gateway.test_video import join_with_media, until
from tests.support.oidc_provider import free_port
from tests.support.sio_client import RecordingClient

ONE_OFFICER = {"weekly": [{"weekday": d, "start": "00:00", "end": "23:30",
                           "officer_id": "p-17"} for d in range(7)]}


async def agent(world: IdentityWorld, agent_id: str, force: str = "police",
                unit: str | None = LYON_UNIT, role: str = "agent") -> RecordingClient:
    token = staff(world, agent_id, force, unit, role).token
    client = RecordingClient(world.gw.url, "/agent")
    await client.connect({"token": token})
    world.gw.clients.append(client)
    return client


async def pdf_of(world: IdentityWorld, path: str, token: str | None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.get(world.gw.url + path,
                                                        headers=headers) as response:
        return response.status, await response.read()


async def test_the_booked_officer_opens_the_room_and_the_citizen_joins(
        mail_world: IdentityWorld) -> None:
    await publish(mail_world, schedule=ONE_OFFICER)
    slot = (await anonymous_citizen(mail_world).get(
        f"/api/v1/appointments/slots?unit={LYON_UNIT}"))[1]["slots"][0]
    assert slot["officer_id"] == "p-17"
    citizen, cookie, citizen_id = await verified_citizen(mail_world)
    booked = (await citizen.post("/api/v1/appointments", {"slot_id": slot["id"]}))[1]
    key = booked["join_url"].split("key=", 1)[1]
    officer = await agent(mail_world, "p-17")
    early = await officer.call("appointment:start", {"appointment_id": booked["id"]})
    assert early["ok"] is False and early["error"]["code"] == "conflict"

    intruders = (await agent(mail_world, "p-18"),
                 await agent(mail_world, "g-1", "gendarmerie", None),
                 await agent(mail_world, "p-paris", unit="police-paris"))
    browser = await mail_world.citizen(f"{SESSION_COOKIE}={cookie}")
    other_api, other_cookie, _ = await verified_citizen(mail_world)
    other = await mail_world.citizen(f"{SESSION_COOKIE}={other_cookie}")
    # Tokens are checked against the real time too: everyone connects before the shift.
    shift_wall_clock(mail_world, parse_utc(slot["start"]) + timedelta(minutes=1))
    for intruder in intruders:
        refused = await intruder.call("appointment:start", {"appointment_id": booked["id"]})
        assert refused["ok"] is False and refused["error"]["code"] in ("forbidden",
                                                                      "not_found"), refused
    started = await officer.ok("appointment:start", {"appointment_id": booked["id"]})
    invite = await browser.wait_for("video:invite")
    assert invite["appointment_id"] == booked["id"] and invite["room_id"] == started["room_id"]
    joined = await browser.ok("appointment:join", {"appointment_id": booked["id"], "key": key})
    assert joined["room_id"] == started["room_id"]
    officer_peer = await join_with_media(officer, started["room_id"])
    citizen_peer = await join_with_media(browser, started["room_id"])

    refused = await other.call("appointment:join", {"appointment_id": booked["id"],
                                                    "key": key})
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    refused = await other.call("video:join", {"room_id": started["room_id"]})
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    refused = await intruders[0].call("video:join", {"room_id": started["room_id"]})
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    assert citizen_id and other_api

    try:
        await until(lambda: citizen_peer.received.video_frames > 10
                    and officer_peer.received.video_frames > 10)
    finally:
        await officer.ok("video:leave", {"room_id": started["room_id"]})
        await citizen_peer.close()
        await officer_peer.close()
    ended = await browser.wait_for("video:ended", timeout=30)
    assert ended["room_id"] == started["room_id"] and ended["recording"]["bytes"] > 0
    records = await records_of(mail_world, booked["id"], 3)
    assert {"appointment.booked", "video.started", "video.ended"} <= {r.kind for r in records}
    logged = next(r for r in records if r.kind == "video.ended")
    assert logged.data["recording"]["sha256"] == ended["recording"]["sha256"]


async def test_the_statement_pdf_is_for_the_citizen_and_the_unit(
        mail_world: IdentityWorld) -> None:
    await publish(mail_world)
    slot = (await anonymous_citizen(mail_world).get(
        f"/api/v1/appointments/slots?unit={LYON_UNIT}"))[1]["slots"][0]
    citizen, _, _ = await verified_citizen(mail_world)
    other, _, _ = await verified_citizen(mail_world)
    booked = (await citizen.post("/api/v1/appointments", {"slot_id": slot["id"]}))[1]
    path = f"/api/v1/staff/appointments/{booked['id']}"
    officer = staff(mail_world, "p-17")
    assert (await pdf_of(mail_world, f"/api/v1/appointments/{booked['id']}/statement.pdf",
                         citizen.token))[0] == 404
    for intruder in (staff(mail_world, "g1", "gendarmerie", None),
                     staff(mail_world, "p-paris", unit="police-paris")):
        assert (await intruder.post(f"{path}/statement", {"text": "x"}))[0] == 404
    assert (await citizen.post(f"{path}/statement", {"text": "x"}))[0] == 403
    assert (await staff(mail_world, "rv", role="reviewer").post(
        f"{path}/statement", {"text": "x"}))[0] == 404
    text = "Je déclare avoir été victime d'un vol de vélo le 30 novembre."
    status, written = await officer.post(f"{path}/statement", {"text": text})
    assert status == 201 and written["appointment"]["status"] == "done"
    assert written["appointment"]["citizen"]["family_name"]

    status, pdf = await pdf_of(mail_world, f"/api/v1/appointments/{booked['id']}/statement.pdf",
                               citizen.token)
    assert status == 200 and pdf.startswith(b"%PDF")
    words = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert "Procès-verbal d'audition" in words and "vol de vélo" in words
    assert "Lu et approuvé" in words
    status, again = await pdf_of(mail_world, f"{path}/statement.pdf", officer.token)
    assert status == 200 and again == pdf
    assert (await pdf_of(mail_world, f"/api/v1/appointments/{booked['id']}/statement.pdf",
                         other.token))[0] == 403
    import hashlib
    records = await records_of(mail_world, booked["id"], 2)
    statement = next(r for r in records if r.kind == "appointment.statement")
    assert statement.data["pdf_sha256"] == hashlib.sha256(pdf).hexdigest()
    assert statement.actor_id == "p-17"

    status, agenda = await officer.get("/api/v1/staff/appointments")
    assert status == 200 and agenda["appointments"] == []
    status, agenda = await staff(mail_world, "g1", "gendarmerie", None).get(
        f"/api/v1/staff/appointments?unit={LYON_UNIT}")
    assert status == 403


async def test_sms_and_reminders_go_out(start_world: StartWorld,
                                        smtp: tuple[Inbox, int]) -> None:
    inbox, smtp_port = smtp
    texts: list[dict[str, str]] = []

    async def provider(request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer sms-secret"
        texts.append(await request.json())
        return web.json_response({"queued": True}, status=202)

    app = web.Application()
    app.router.add_post("/send", provider)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        world = await start_world(smtp_url=f"smtp://127.0.0.1:{smtp_port}",
                                  mail_from="rdv@gendarmerie.example",
                                  sms_url=f"http://127.0.0.1:{port}/send",
                                  sms_token="sms-secret", appointment_reminder_interval_s=0.1)
        await publish(world)
        slot = (await anonymous_citizen(world).get(
            f"/api/v1/appointments/slots?unit={LYON_UNIT}"))[1]["slots"][0]
        citizen, _, _ = await verified_citizen(world)
        status, booked = await citizen.post("/api/v1/appointments", {
            "slot_id": slot["id"], "phone": "+33 6 12 34 56 78"})
        assert status == 201
        for _ in range(200):
            if len(texts) >= 2 and len(inbox.received) >= 2:
                break
            await asyncio.sleep(0.05)
        assert [t["to"] for t in texts] == ["+33 6 12 34 56 78"] * 2
        assert "confirmé" in texts[0]["text"] and "Rappel" in texts[1]["text"]
        subjects = [m["Subject"] for m in await inbox.wait(2)]
        assert subjects[1].startswith("Rappel")
        await asyncio.sleep(0.3)
        assert len(texts) == 2, "a reminder goes once"
        records = await records_of(world, booked["id"], 5)
        assert {(r.data.get("notice"), r.data.get("channel")) for r in records
                if r.kind == "appointment.notice"} == {
            ("booked", "email"), ("booked", "sms"), ("reminder", "email"), ("reminder", "sms")}
    finally:
        await runner.cleanup()
