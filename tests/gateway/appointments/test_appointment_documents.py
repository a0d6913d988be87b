"""Documents during a video appointment booked with a case: the case's attachments,
exchanged over HTTP while the officer has the room open (Socket.IO)."""

from datetime import timedelta

import aiohttp

from rtc_gateway.domain.timestamps import parse_utc
from tests.gateway.appointments.conftest import (
    anonymous_citizen,
    publish,
    shift_wall_clock,
    staff,
    verified_citizen,
)
from tests.gateway.appointments.test_appointment_calls import ONE_OFFICER, agent
from tests.gateway.cases.conftest import LYON, complaint
from tests.gateway.identity.conftest import IdentityWorld
from tests.support.attachment_files import pdf_receipt

CASE_UNIT = "police-lyon-1er"
"""The unit the sample directory gives a case filed in Lyon: the citizen books there."""


async def upload(url: str, token: str, case_id: str, data: bytes) -> tuple[int, object]:
    form = aiohttp.FormData()
    form.add_field("file", data, filename="facture.pdf", content_type="application/pdf")
    async with aiohttp.ClientSession() as http, http.post(
            f"{url}/api/v1/cases/{case_id}/attachments", data=form,
            headers={"Authorization": f"Bearer {token}"}) as response:
        return response.status, await response.json(content_type=None)


async def download(url: str, token: str, case_id: str, sha256: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as http, http.get(
            f"{url}/api/v1/cases/{case_id}/attachments/{sha256}",
            headers={"Authorization": f"Bearer {token}"}) as response:
        return response.status, await response.read()


async def test_the_citizen_uploads_and_the_booked_officer_downloads(
        mail_world: IdentityWorld) -> None:
    citizen, _, _ = await verified_citizen(mail_world)
    status, case = await citizen.post("/api/v1/complaints", complaint(LYON))
    assert status == 201, case
    assert case["unit_id"] == CASE_UNIT
    await publish(mail_world, CASE_UNIT, ONE_OFFICER)
    slot = (await anonymous_citizen(mail_world).get(
        f"/api/v1/appointments/slots?unit={CASE_UNIT}"))[1]["slots"][0]
    status, booked = await citizen.post("/api/v1/appointments",
                                        {"slot_id": slot["id"], "case_id": case["id"]})
    assert status == 201 and booked["case_id"] == case["id"], booked
    caller = await agent(mail_world, "p-17", unit=CASE_UNIT)
    # Tokens are checked against the real time too: all are minted before the shift.
    officer = staff(mail_world, "p-17", unit=CASE_UNIT)
    stranger = staff(mail_world, "p-paris", unit="police-paris")
    shift_wall_clock(mail_world, parse_utc(slot["start"]) + timedelta(minutes=1))
    await caller.ok("appointment:start", {"appointment_id": booked["id"]})

    pdf = pdf_receipt()
    status, sent = await upload(mail_world.gw.url, citizen.token or "", case["id"], pdf)
    assert status == 201, sent
    assert isinstance(sent, dict)

    status, listing = await officer.get(f"/api/v1/cases/{case['id']}/attachments")
    assert status == 200, listing
    assert [a["sha256"] for a in listing["attachments"]] == [sent["sha256"]]
    status, body = await download(mail_world.gw.url, officer.token or "", case["id"],
                                  sent["sha256"])
    assert status == 200 and body.startswith(b"%PDF")

    status, refused = await stranger.get(f"/api/v1/cases/{case['id']}/attachments")
    assert status == 404 and refused["error"]["code"] == "not_found", refused
    status, _ = await download(mail_world.gw.url, stranger.token or "", case["id"],
                               sent["sha256"])
    assert status == 404
    status, _ = await upload(mail_world.gw.url, stranger.token or "", case["id"], pdf)
    assert status == 404

    status, answer = await upload(mail_world.gw.url, officer.token or "", case["id"],
                                  pdf + b"\n% the officer's copy\n")
    assert status == 201, answer
    status, listing = await citizen.get(f"/api/v1/cases/{case['id']}/attachments")
    assert status == 200
    assert [a["author_role"] for a in listing["attachments"]] == ["citizen", "agent"]


async def test_a_case_books_only_a_slot_of_its_own_unit(mail_world: IdentityWorld) -> None:
    """Else the booked officer could not see the case's documents (scope is by unit)."""
    citizen, _, _ = await verified_citizen(mail_world)
    _, case = await citizen.post("/api/v1/complaints", complaint(LYON))
    await publish(mail_world, "police-lyon", ONE_OFFICER)
    slot = (await anonymous_citizen(mail_world).get(
        "/api/v1/appointments/slots?unit=police-lyon"))[1]["slots"][0]
    status, refused = await citizen.post("/api/v1/appointments",
                                         {"slot_id": slot["id"], "case_id": case["id"]})
    assert status == 400 and CASE_UNIT in refused["error"]["message"], refused
    status, booked = await citizen.post("/api/v1/appointments", {"slot_id": slot["id"]})
    assert status == 201, booked
