"""Pre-complaints, complaints and the staff's decisions through real HTTP, with a real
verified identity from the loopback OpenID provider."""

import asyncio
import stat
import subprocess
import sys
from pathlib import Path

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.roles import Role
from rtc_gateway.security.cookies import SESSION_COOKIE
from tests.gateway.cases.conftest import (
    COUNTRYSIDE,
    LYON,
    PARIS,
    Api,
    complaint,
    pre_complaint,
)
from tests.gateway.identity.conftest import IdentityWorld, StartWorld

PARIS_UNIT = "police-paris-5e"


def staff(world: IdentityWorld, agent_id: str, force: str = "police", unit: str | None = None,
          role: str = "agent") -> Api:
    profile = AgentProfile(agent_id, f"Officier {agent_id}", Force(force), Role(role),
                           unit=unit)
    return Api(world.gw.url, world.gw.gateway.tokens.mint_agent(profile, 3600).token)


def anonymous_citizen(world: IdentityWorld) -> Api:
    return Api(world.gw.url, world.gw.gateway.tokens.new_citizen().token)


async def verified_citizen(world: IdentityWorld) -> tuple[Api, str]:
    """A bearer token of a citizen whose browser logged in; and that browser's cookie."""
    browser = world.browser()
    assert (await browser.login()).status == 302
    status, me = await browser.me()
    assert status == 200 and me["verified"] is True
    token = world.gw.gateway.tokens.mint_citizen(me["citizen_id"]).token
    cookie = browser.cookie(SESSION_COOKIE)
    assert cookie
    return Api(world.gw.url, token), cookie


async def test_pre_complaint_from_filing_to_confirmation(world: IdentityWorld) -> None:
    citizen, other = anonymous_citizen(world), anonymous_citizen(world)
    status, case = await citizen.post("/api/v1/pre-complaints", pre_complaint())
    assert status == 201, case
    assert case["kind"] == "pre_complaint" and case["status"] == "received"
    assert case["reference"].startswith("PP-") and case["reference"].endswith("-000001")
    assert case["unit_id"] == PARIS_UNIT and case["citizen_verified"] is False
    assert case["facts"]["declared_identity"]["family_name"] == "Martin"
    path = f"/api/v1/cases/{case['id']}"
    assert (await citizen.get("/api/v1/cases"))[1]["cases"][0]["id"] == case["id"]
    assert (await citizen.get(path))[0] == 200

    assert await other.get(path) == (404, {"error": {"code": "not_found",
                                                      "message": "no such case"}})
    assert (await other.get("/api/v1/cases"))[1] == {"cases": []}
    assert (await other.post(f"{path}/withdraw"))[0] == 404
    assert (await other.post(f"{path}/messages", {"text": "hop"}))[0] == 404
    assert (await staff(world, "g1", "gendarmerie").get(path))[0] == 404
    assert (await staff(world, "p-lyon", unit="police-lyon").get(path))[0] == 404
    assert (await staff(world, "rv", role="reviewer").get(path))[0] == 404
    lyon_decides = await staff(world, "p-lyon", unit="police-lyon").post(
        f"/api/v1/staff/cases/{case['id']}/decision", {"decision": "confirm"})
    assert lyon_decides[0] == 404
    status, listed = await staff(world, "p-lyon", unit="police-lyon").get("/api/v1/staff/cases")
    assert listed == {"cases": []}

    officer = staff(world, "p-paris", unit=PARIS_UNIT)
    status, listed = await officer.get("/api/v1/staff/cases?kind=pre_complaint&status=received")
    assert status == 200 and [c["id"] for c in listed["cases"]] == [case["id"]]
    assert (await staff(world, "p-any").get(f"/api/v1/staff/cases?unit={PARIS_UNIT}"))[1][
        "cases"][0]["id"] == case["id"]
    assert (await officer.get("/api/v1/staff/cases?status=closed"))[1] == {"cases": []}
    decide = f"/api/v1/staff/cases/{case['id']}/decision"
    status, refused = await officer.post(decide, {"decision": "validate"})
    assert status == 400 and refused["error"]["code"] == "bad_request"
    status, confirmed = await officer.post(decide, {"decision": "confirm"})
    assert status == 200 and confirmed["status"] == "confirmed"
    status, answered = await officer.post(f"{path}/messages", {"text": "À jeudi 10 h."})
    assert status == 201 and answered["messages"][-1]["author_role"] == "agent"

    assert (await citizen.post(decide, {"decision": "close"}))[0] == 403
    assert (await citizen.get("/api/v1/staff/cases"))[0] == 403
    assert (await citizen.get(f"/api/v1/staff/cases/{case['id']}"))[0] == 403
    assert (await officer.post(f"{path}/withdraw"))[0] == 403
    assert (await officer.get("/api/v1/cases"))[0] == 403
    status, withdrawn = await citizen.post(f"{path}/withdraw")
    assert status == 200 and withdrawn["status"] == "withdrawn"
    status, late = await officer.post(decide, {"decision": "close"})
    assert status == 409 and late["error"]["code"] == "conflict"

    records = await world.gw.gateway.evidence.conversation_records(case["id"])
    assert [r.kind for r in records] == ["case.opened", "case.decided", "case.message",
                                         "case.message", "case.withdrawn"]
    assert records[2].actor_role == "agent" and records[2].data["notice"] is True
    assert records[1].actor_id == "p-paris" and records[1].data["status"] == "confirmed"


async def test_gendarmerie_case_is_seen_by_the_force_and_its_units(world: IdentityWorld) -> None:
    citizen = anonymous_citizen(world)
    status, case = await citizen.post("/api/v1/pre-complaints", pre_complaint(COUNTRYSIDE))
    assert status == 201 and case["force"] == "gendarmerie"
    assert case["unit_id"] == "gendarmerie-bta-florac"
    path = f"/api/v1/staff/cases/{case['id']}"
    assert (await staff(world, "g1", "gendarmerie", unit="gendarmerie-bta-florac").get(path)
            )[0] == 200
    assert (await staff(world, "g2", "gendarmerie").get(path))[0] == 200
    assert (await staff(world, "g3", "gendarmerie", unit="gendarmerie-bta-mende").get(path)
            )[0] == 404
    assert (await staff(world, "p1").get(path))[0] == 404
    status, by_unit = await citizen.post("/api/v1/pre-complaints",
                                         pre_complaint(unit_id="gendarmerie-bta-florac"))
    assert status == 201 and by_unit["unit_id"] == "gendarmerie-bta-florac"
    assert (await staff(world, "g1", "gendarmerie", unit="gendarmerie-bta-mende").get(
        f"/api/v1/staff/cases/{by_unit['id']}"))[0] == 404


async def test_a_commune_places_the_case_with_the_directory(world: IdentityWorld) -> None:
    """Marvejols (48092) is a gendarmerie commune; Mende (48095) a police one."""
    citizen = anonymous_citizen(world)
    status, case = await citizen.post("/api/v1/pre-complaints",
                                      pre_complaint({"commune": "48092"}))
    assert status == 201, case
    assert (case["force"], case["unit_id"]) == ("gendarmerie", "gendarmerie-bp-marvejols")
    status, case = await citizen.post("/api/v1/pre-complaints",
                                      pre_complaint({"commune": "48095"}))
    assert (status, case["force"], case["unit_id"]) == (201, "police", "police-mende")
    status, refused = await citizen.post("/api/v1/pre-complaints",
                                         pre_complaint({"commune": "13055"}))
    assert status == 400 and "not in the units' directory" in refused["error"]["message"]


async def test_complaint_needs_a_verified_identity(world: IdentityWorld) -> None:
    status, refused = await anonymous_citizen(world).post("/api/v1/complaints", complaint())
    assert status == 403 and refused["error"]["code"] == "forbidden"
    citizen, cookie = await verified_citizen(world)
    status, case = await citizen.post("/api/v1/complaints", complaint(LYON))
    assert status == 201, case
    assert case["kind"] == "complaint" and case["citizen_verified"] is True
    assert case["reference"].startswith("PL-") and case["unit_id"] == "police-lyon-1er"

    cookie_header = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
    status, csrf = await Api(world.gw.url).post("/api/v1/complaints", complaint(),
                                                headers=cookie_header)
    assert status == 403 and "Origin" in csrf["error"]["message"]
    status, by_cookie = await Api(world.gw.url, origin=world.gw.url).post(
        "/api/v1/complaints", complaint(), headers=cookie_header)
    assert status == 201 and by_cookie["citizen_verified"] is True
    status, own = await Api(world.gw.url).get("/api/v1/cases", headers=cookie_header)
    assert status == 200 and {c["id"] for c in own["cases"]} == {case["id"], by_cookie["id"]}


async def test_complaint_review_cycle(world: IdentityWorld) -> None:
    citizen, _ = await verified_citizen(world)
    _, case = await citizen.post("/api/v1/complaints", complaint(PARIS))
    decide = f"/api/v1/staff/cases/{case['id']}/decision"
    officer = staff(world, "p1", unit=PARIS_UNIT)
    for wrong in ("confirm", "reschedule"):
        assert (await officer.post(decide, {"decision": wrong}))[0] == 400
    assert (await officer.post(decide, {"decision": "approve"}))[0] == 400
    status, asked = await officer.post(decide, {"decision": "request_info",
                                                "reason": "la facture du vélo"})
    assert status == 200 and asked["status"] == "needs_information"
    status, answered = await citizen.post(f"/api/v1/cases/{case['id']}/messages",
                                          {"text": "Facture jointe au dossier"})
    assert status == 201 and answered["status"] == "in_review"
    assert (await officer.post(decide, {"decision": "reject"}))[0] == 400
    status, registered = await officer.post(decide, {"decision": "validate"})
    assert status == 200 and registered["status"] == "registered"
    assert (await officer.post(decide, {"decision": "request_info"}))[0] == 409
    assert (await officer.post(decide, {"decision": "close"}))[1]["status"] == "closed"


async def test_case_export_verifies_and_store_survives_restart(start_world: StartWorld,
                                                               tmp_path: Path) -> None:
    world = await start_world()
    citizen = anonymous_citizen(world)
    _, case = await citizen.post("/api/v1/pre-complaints", pre_complaint())
    await staff(world, "p1").post(f"/api/v1/staff/cases/{case['id']}/decision",
                                  {"decision": "reschedule"})
    data_dir = world.gw.gateway.settings.data_dir
    cases_db = data_dir / "cases.db"
    assert stat.S_IMODE(cases_db.stat().st_mode) == 0o600
    await world.gw.runner.cleanup()
    world.gw.clients.clear()

    out = tmp_path / "case.zip"
    exported = await asyncio.to_thread(subprocess.run, [
        sys.executable, "-m", "rtc_gateway", "export", "--data-dir", str(data_dir),
        "--case", case["id"], "--out", str(out), "--reason", case["reference"]],
        capture_output=True, text=True, timeout=60)
    assert exported.returncode == 0, exported.stderr
    verified = await asyncio.to_thread(subprocess.run, [
        sys.executable, "-m", "rtc_gateway", "verify", str(out)],
        capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    again = await start_world(data_dir=data_dir)
    status, kept = await anonymous_citizen(again).get(f"/api/v1/cases/{case['id']}")
    assert status == 404
    status, kept = await staff(again, "p1").get(f"/api/v1/staff/cases/{case['id']}")
    assert status == 200 and kept["status"] == "rescheduled"
    _, second = await anonymous_citizen(again).post("/api/v1/pre-complaints", pre_complaint())
    assert second["reference"].endswith("-000002")
