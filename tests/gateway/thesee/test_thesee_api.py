"""THESEE through real HTTP: each scam type and mode, drafts, the review desk (claims,
four-eyes, decisions), linked cases and series, figures, retention, and every refusal."""

import asyncio
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from rtc_gateway.gateway.thesee_routes import RETENTION
from tests.gateway.identity.conftest import IdentityWorld, StartWorld
from tests.gateway.thesee.conftest import (
    DETAILS,
    anonymous,
    filing,
    shift_now,
    staff,
    verified,
)

THESEE = "/api/v1/thesee/cases"


def decision(case_id: str) -> str:
    return f"/api/v1/staff/cases/{case_id}/decision"


def claim(case_id: str) -> str:
    return f"/api/v1/thesee/review/cases/{case_id}/claim"


async def records(world: IdentityWorld, case_id: str) -> list[Any]:
    return await world.gw.gateway.evidence.conversation_records(case_id)


@pytest.mark.parametrize("scam_type", sorted(DETAILS))
async def test_each_scam_type_is_reported_anonymously(world: IdentityWorld,
                                                      scam_type: str) -> None:
    citizen = anonymous(world)
    status, case = await citizen.post(THESEE, filing(scam_type))
    assert status == 201, case
    assert case["kind"] == "thesee" and case["status"] == "received"
    assert case["reference"].startswith("TH-") and case["citizen_verified"] is False
    assert case["force"] == "police" and case["unit_id"] is None
    assert case["facts"]["scam_type"] == scam_type and case["facts"]["mode"] == "report"
    assert case["facts"]["normalised"]["iban"] == ["FR7630006000011234567890189"]
    assert case["facts"]["details"] == {**DETAILS[scam_type],
                                        **case["facts"]["details"]}
    assert "linked" not in case
    assert [r.kind for r in await records(world, case["id"])] == ["case.opened"]
    assert (await citizen.get(f"/api/v1/cases/{case['id']}"))[1]["id"] == case["id"]


async def test_details_carry_identifiers_and_losses(world: IdentityWorld) -> None:
    citizen = anonymous(world)
    _, romance = await citizen.post(THESEE, filing("romance_scam"))
    assert romance["facts"]["declared_loss_eur"] == 50 + 1500 + 2500
    assert romance["facts"]["normalised"]["pseudonym"] == ["jean-marc officier"]
    _, shop = await citizen.post(THESEE, filing("fraudulent_shop", identifiers={}))
    assert shop["facts"]["normalised"] == {"domain": ["super-promo-shop.com"]}
    assert shop["facts"]["declared_loss_eur"] == 179.9
    _, ransom = await citizen.post(THESEE, filing("ransomware", identifiers={}))
    assert ransom["facts"]["normalised"]["wallet"] == [
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"]
    _, ad = await citizen.post(THESEE, filing("classified_ad_scam", identifiers={}))
    assert ad["facts"]["normalised"] == {"pseudonym": ["vendeur_75"]}


async def test_a_complaint_needs_a_verified_identity(world: IdentityWorld) -> None:
    refused = await anonymous(world).post(THESEE, filing(mode="complaint"))
    assert refused[0] == 403 and refused[1]["error"]["code"] == "forbidden"
    status, case = await (await verified(world)).post(
        THESEE, filing("account_hacking", mode="complaint"))
    assert status == 201, case
    assert case["citizen_verified"] is True and case["facts"]["mode"] == "complaint"


@pytest.mark.parametrize(("change", "fragment"), [
    ({"scam_type": "phishing"}, "unknown scam_type"),
    ({"mode": "anonymous"}, "mode"),
    ({"identifiers": {"ibans": ["FR76 3000 6000 0112 3456 7890 188"]}}, "IBAN"),
    ({"identifiers": {"phones": ["appelle-moi"]}}, "phone"),
    ({"identifiers": {"emails": ["pas-une-adresse"]}}, "e-mail"),
    ({"identifiers": {"urls": ["http://co.uk/"]}}, "registered domain"),
    ({"identifiers": {"wallets": ["abc"]}}, "wallet"),
    ({"identifiers": {"faxes": ["1"]}}, "faxes"),
    ({"details": {"shop_url": "x.fr"}}, "details of a fraudulent_shop"),
    ({"details": {**DETAILS["fraudulent_shop"], "colour": "red"}}, "colour"),
    ({"details": {**DETAILS["fraudulent_shop"], "ordered_on": "2999-01-01"}}, "future"),
    ({"payments": [{"amount_eur": -3, "date": "2026-11-01"}]}, "amount_eur"),
    ({"payments": [{"amount_eur": 3, "date": "2999-11-01"}]}, "future"),
    ({"description": ""}, "description"),
])
async def test_bad_filings_are_refused(world: IdentityWorld, change: dict[str, Any],
                                       fragment: str) -> None:
    status, body = await anonymous(world).post(THESEE, {**filing(), **change})
    assert status == 400, body
    assert body["error"]["code"] == "bad_request" and fragment in body["error"]["message"]


async def test_roles_and_scopes(world: IdentityWorld) -> None:
    citizen, other = anonymous(world), anonymous(world)
    _, case = await citizen.post(THESEE, filing())
    path = f"/api/v1/cases/{case['id']}"
    assert (await other.get(path))[0] == 404
    assert (await other.post(f"{path}/withdraw"))[0] == 404
    assert (await other.post(f"{path}/messages", {"text": "hop"}))[0] == 404
    assert (await citizen.get("/api/v1/thesee/review/queue"))[0] == 403
    assert (await citizen.get("/api/v1/staff/cases"))[0] == 403
    assert (await citizen.post(claim(case["id"])))[0] == 403

    officer = staff(world, "p1", role="agent")
    refused = await officer.post(decision(case["id"]), {"decision": "validate"})
    assert refused[0] == 403 and refused[1]["error"]["code"] == "forbidden"
    assert (await officer.get("/api/v1/thesee/review/queue"))[0] == 403
    assert (await officer.post(claim(case["id"])))[0] == 403
    assert (await officer.get("/api/v1/thesee/figures"))[0] == 403
    assert "linked" not in (await officer.get(f"/api/v1/staff/cases/{case['id']}"))[1]
    supervisor = staff(world, "s1", role="supervisor")
    assert (await supervisor.get("/api/v1/thesee/review/queue"))[0] == 403
    assert (await supervisor.post(decision(case["id"]), {"decision": "validate"}))[0] == 403
    assert (await supervisor.get("/api/v1/thesee/figures"))[0] == 200
    assert [r.kind for r in await records(world, case["id"])] == ["case.opened"]

    reviewer = staff(world, "r1")
    status, listed = await reviewer.get("/api/v1/staff/cases")
    assert status == 200 and [c["id"] for c in listed["cases"]] == [case["id"]]
    assert (await reviewer.get("/api/v1/staff/cases?kind=complaint"))[1] == {"cases": []}


async def test_one_reviewer_at_a_time_and_claims_expire(world: IdentityWorld) -> None:
    citizen = anonymous(world)
    _, case = await citizen.post(THESEE, filing())
    first, second = staff(world, "r1"), staff(world, "r2")
    status, held = await first.post(claim(case["id"]))
    assert status == 200 and held["reviewer_id"] == "r1"
    assert (await first.post(claim(case["id"])))[0] == 200
    taken = await second.post(claim(case["id"]))
    assert taken[0] == 409 and taken[1]["error"]["code"] == "conflict"
    assert (await second.post(decision(case["id"]), {"decision": "validate"}))[0] == 409
    assert (await second.call("DELETE", claim(case["id"])))[0] == 409
    _, queue = await second.get("/api/v1/thesee/review/queue")
    entry = queue["queue"][0]
    assert entry["claim"]["reviewer_id"] == "r1" and entry["case"]["status"] == "in_review"
    assert entry["age_s"] >= 0 and entry["declared_loss_eur"] == 179.9

    shift_now(world, timedelta(minutes=31))
    assert (await second.post(claim(case["id"])))[1]["reviewer_id"] == "r2"
    assert (await first.post(decision(case["id"]), {"decision": "validate"}))[0] == 409
    status, decided = await second.post(decision(case["id"]), {"decision": "validate"})
    assert status == 200 and decided["status"] == "registered"
    assert (await citizen.get(f"/api/v1/cases/{case['id']}"))[1]["status"] == "registered"
    kinds = [r.kind for r in await records(world, case["id"])]
    assert kinds == ["case.opened", "case.claimed", "case.claimed", "case.decided"]


async def test_four_eyes_above_the_threshold(start_world: StartWorld) -> None:
    world = await start_world(thesee_four_eyes_above_eur=1000.0)
    citizen = anonymous(world)
    _, small = await citizen.post(THESEE, filing())
    _, large = await citizen.post(THESEE, filing("romance_scam"))
    first, second = staff(world, "r1"), staff(world, "r2")
    assert (await first.post(decision(small["id"]), {"decision": "validate"}))[1][
        "status"] == "registered"
    status, pending = await first.post(decision(large["id"]), {"decision": "validate"})
    assert status == 200 and pending["status"] == "in_review"
    again = await first.post(decision(large["id"]), {"decision": "validate"})
    assert again[0] == 409 and "second reviewer" in again[1]["error"]["message"]
    _, queue = await second.get("/api/v1/thesee/review/queue?min_amount=1000")
    assert [(e["case"]["id"], e["awaiting_second_reviewer"]) for e in queue["queue"]] == [
        (large["id"], True)]
    status, done = await second.post(decision(large["id"]), {"decision": "validate"})
    assert status == 200 and done["status"] == "registered"
    trail = [(r.kind, r.actor_id) for r in await records(world, large["id"])][1:]
    assert trail == [("case.claimed", "r1"), ("case.validation_pending", "r1"),
                     ("case.claimed", "r2"), ("case.decided", "r2")]


async def test_reject_request_info_complete_and_withdraw(world: IdentityWorld) -> None:
    citizen = anonymous(world)
    reviewer = staff(world, "r1")
    _, case = await citizen.post(THESEE, filing("blackmail"))
    no_reason = await reviewer.post(decision(case["id"]), {"decision": "reject"})
    assert no_reason[0] == 400
    asked = await reviewer.post(decision(case["id"]), {
        "decision": "request_info", "reason": "Pouvez-vous joindre le message reçu ?"})
    assert asked[1]["status"] == "needs_information"
    path = f"/api/v1/cases/{case['id']}"
    _, seen = await citizen.get(path)
    assert seen["messages"][-1]["text"] == "Pouvez-vous joindre le message reçu ?"
    _, answered = await citizen.post(f"{path}/messages", {"text": "Voici le message."})
    assert answered["status"] == "in_review"
    _, rejected = await reviewer.post(decision(case["id"]), {
        "decision": "reject", "reason": "Les faits ne relèvent pas d'une escroquerie."})
    assert rejected["status"] == "rejected"
    _, seen = await citizen.get(path)
    assert seen["messages"][-1]["text"] == "Les faits ne relèvent pas d'une escroquerie."
    assert (await citizen.post(f"{path}/withdraw"))[0] == 409

    _, other = await citizen.post(THESEE, filing("ransomware"))
    _, withdrawn = await citizen.post(f"/api/v1/cases/{other['id']}/withdraw")
    assert withdrawn["status"] == "withdrawn"
    assert (await reviewer.post(claim(other["id"])))[0] == 409
    _, queue = await reviewer.get("/api/v1/thesee/review/queue")
    assert other["id"] not in [e["case"]["id"] for e in queue["queue"]]


async def test_linked_cases_meet_through_adversarial_spellings(world: IdentityWorld) -> None:
    citizen = anonymous(world)
    reviewer = staff(world, "r1")

    async def new(identifiers: dict[str, list[str]], scam: str = "account_hacking") -> str:
        status, case = await citizen.post(THESEE, filing(scam, identifiers=identifiers))
        assert status == 201, case
        return str(case["id"])

    a = await new({"ibans": ["fr76 3000-6000 0112 3456 7890 189"],
                   "urls": ["HTTPS://WWW.Arnaque-Livraison.FR/suivi/?id=1"]})
    b = await new({"urls": ["arnaque-livraison.fr."], "phones": ["06 12 34 56 78"]})
    c = await new({"phones": ["+33 (0)6.12.34.56.78"], "emails": ["Escroc@Example.COM"]})
    d = await new({"emails": ["mailto:escroc@example.com"]})
    e = await new({"urls": ["http://paiement.arnaque-livraison.fr.evil.com/"],
                   "phones": ["+44 20 7946 0958"]})
    lone = await new({"ibans": ["DE89 3704 0044 0532 0130 00"]})
    status, listed = await reviewer.get("/api/v1/staff/cases")
    linked = {case["id"]: case["linked"] for case in listed["cases"]}
    assert linked == {a: [b], b: sorted([a, c]), c: sorted([b, d]), d: [c], e: [], lone: []}
    assert (await reviewer.get(f"/api/v1/staff/cases/{d}"))[1]["linked"] == [c]

    status, series = await reviewer.get(f"/api/v1/thesee/review/cases/{d}/series")
    assert status == 200 and series["case_ids"] == sorted([a, b, c, d])
    assert series["total_loss_eur"] == 4 * 50
    f = await new({"phones": ["0044 20 7946 0958"],
                   "wallets": ["0xABCDEF0123456789abcdef0123456789ABCDEF01"]})
    assert (await reviewer.get(f"/api/v1/staff/cases/{e}"))[1]["linked"] == [f]
    assert (await reviewer.get(f"/api/v1/thesee/review/cases/{lone}/series"))[1][
        "case_ids"] == [lone]
    assert (await staff(world, "p1", role="agent").get(
        f"/api/v1/thesee/review/cases/{a}/series"))[0] == 403


async def test_queue_filters(world: IdentityWorld) -> None:
    citizen = anonymous(world)
    reviewer = staff(world, "r1")
    ids = {}
    for scam in ("blackmail", "romance_scam", "fraudulent_shop"):
        ids[scam] = (await citizen.post(THESEE, filing(scam)))[1]["id"]

    async def queue(query: str) -> list[str]:
        status, body = await reviewer.get(f"/api/v1/thesee/review/queue{query}")
        assert status == 200, body
        return [e["case"]["id"] for e in body["queue"]]

    assert await queue("") == [ids["blackmail"], ids["romance_scam"], ids["fraudulent_shop"]]
    assert await queue("?scam_type=romance_scam") == [ids["romance_scam"]]
    assert await queue("?min_amount=100&max_amount=1000") == [ids["fraudulent_shop"]]
    await reviewer.post(decision(ids["blackmail"]), {"decision": "request_info",
                                                     "reason": "Des précisions ?"})
    assert await queue("?status=needs_information") == [ids["blackmail"]]
    for bad in ("?scam_type=phishing", "?min_amount=lots", "?status=lost",
                "?max_amount=-1"):
        assert (await reviewer.get(f"/api/v1/thesee/review/queue{bad}"))[0] == 400


async def test_drafts_are_saved_completed_and_submitted(world: IdentityWorld) -> None:
    citizen, other = anonymous(world), anonymous(world)
    partial = {"scam_type": "fraudulent_shop", "mode": "report"}
    status, draft = await citizen.post("/api/v1/thesee/drafts", {"draft": partial})
    assert status == 201 and draft["draft"] == partial
    path = f"/api/v1/thesee/drafts/{draft['id']}"
    assert (await other.get(path))[0] == 404
    assert (await other.call("PUT", path, {"draft": {}}))[0] == 404
    assert (await other.post(f"{path}/submit"))[0] == 404
    assert (await citizen.post(f"{path}/submit"))[0] == 400
    status, updated = await citizen.call("PUT", path, {"draft": filing()})
    assert status == 200 and updated["draft"]["details"] == DETAILS["fraudulent_shop"]
    assert [d["id"] for d in (await citizen.get("/api/v1/thesee/drafts"))[1]["drafts"]] == [
        draft["id"]]
    status, case = await citizen.post(f"{path}/submit")
    assert status == 201 and case["kind"] == "thesee"
    assert (await citizen.get(path))[0] == 404
    assert (await citizen.get("/api/v1/thesee/drafts"))[1] == {"drafts": []}
    _, complaint = await citizen.post("/api/v1/thesee/drafts",
                                      {"draft": filing(mode="complaint")})
    assert (await citizen.post(f"/api/v1/thesee/drafts/{complaint['id']}/submit"))[0] == 403
    assert (await citizen.call("DELETE", f"/api/v1/thesee/drafts/{complaint['id']}"))[0] == 204


async def test_figures_for_supervisors(world: IdentityWorld) -> None:
    citizen = anonymous(world)
    reviewer = staff(world, "r1")
    for scam in ("blackmail", "blackmail", "ransomware"):
        _, case = await citizen.post(THESEE, filing(scam))
    await reviewer.post(decision(case["id"]), {"decision": "validate"})
    status, figures = await staff(world, "s1", role="supervisor").get("/api/v1/thesee/figures")
    assert status == 200
    assert figures["cases"] == 3
    assert figures["per_type"] == {"blackmail": 2, "ransomware": 1}
    assert sum(figures["per_week"].values()) == 3
    assert figures["median_time_to_decision_s"] is not None
    assert figures["backlog"]["count"] == 2 and figures["backlog"]["oldest_age_s"] >= 0
    assert figures["series_by_size"] == {"1": 0, "2": 0, "3-5": 1, "6-10": 0, "11+": 0}


async def test_retention_purges_after_six_years(world: IdentityWorld) -> None:
    citizen = anonymous(world)
    reviewer = staff(world, "r1")
    _, old = await citizen.post(THESEE, filing())
    shift_now(world, timedelta(days=3 * 365))
    _, recent = await citizen.post(THESEE, filing())
    retention = world.gw.gateway.app[RETENTION]
    assert await retention.purge_expired() == []
    shift_now(world, timedelta(days=3 * 365 + 10))
    assert await retention.purge_expired() == [old["id"]]
    assert (await citizen.get(f"/api/v1/cases/{old['id']}"))[0] == 404
    assert (await reviewer.get(f"/api/v1/staff/cases/{recent['id']}"))[1]["linked"] == []
    last = (await records(world, old["id"]))[-1]
    assert last.kind == "case.purged" and last.actor_role == "system"
    assert last.data["reference"] == old["reference"]


async def test_retention_erases_the_texts_and_the_export_still_verifies(
        world: IdentityWorld, tmp_path: Path) -> None:
    citizen = anonymous(world)
    _, old = await citizen.post(THESEE, filing())
    await staff(world, "r1").post(decision(old["id"]), {
        "decision": "request_info", "reason": "Quel est le nom du site ?"})
    shift_now(world, timedelta(days=3 * 365))
    _, recent = await citizen.post(THESEE, filing())
    shift_now(world, timedelta(days=3 * 365 + 10))
    assert await world.gw.gateway.app[RETENTION].purge_expired() == [old["id"]]
    purged = await records(world, old["id"])
    assert [r.kind for r in purged][-1] == "case.purged" and len(purged) >= 3
    assert [r.text for r in purged] == [None] * len(purged)
    assert "escroquer" in str([r.text for r in await records(world, recent["id"])])
    data_dir = world.gw.gateway.settings.data_dir
    await world.gw.runner.cleanup()
    world.gw.clients.clear()

    out = tmp_path / "purged.zip"
    exported = await asyncio.to_thread(subprocess.run, [
        sys.executable, "-m", "rtc_gateway", "export", "--data-dir", str(data_dir),
        "--case", old["id"], "--out", str(out)], capture_output=True, text=True, timeout=60)
    assert exported.returncode == 0, exported.stderr
    verified = await asyncio.to_thread(subprocess.run, [
        sys.executable, "-m", "rtc_gateway", "verify", str(out)],
        capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "erased" in verified.stdout, verified.stdout


async def test_completing_a_case_adds_identifiers_and_links(world: IdentityWorld) -> None:
    citizen, other = anonymous(world), anonymous(world)
    reviewer = staff(world, "r1")
    _, first = await citizen.post(THESEE, filing("blackmail", identifiers={}))
    _, second = await other.post(THESEE, filing(
        "romance_scam", identifiers={"phones": ["+33 7 11 22 33 44"]}))
    await reviewer.post(decision(first["id"]), {"decision": "request_info",
                                                "reason": "Quel numéro vous a appelé ?"})
    path = f"/api/v1/thesee/cases/{first['id']}/complement"
    assert (await other.post(path, {"text": "moi aussi"}))[0] == 404
    assert (await citizen.post(path, {"text": "x", "identifiers": {
        "ibans": ["FR00 0000"]}}))[0] == 400
    status, done = await citizen.post(path, {
        "text": "Il m'a appelé depuis ce numéro.",
        "identifiers": {"phones": ["07.11.22.33.44"]},
        "payments": [{"amount_eur": 200, "date": "2026-11-04"}]})
    assert status == 200, done
    assert done["status"] == "in_review"
    assert done["facts"]["normalised"]["phone"] == ["+33711223344"]
    assert done["facts"]["declared_loss_eur"] == 250
    assert done["messages"][-1]["text"] == "Il m'a appelé depuis ce numéro."
    assert (await reviewer.get(f"/api/v1/staff/cases/{first['id']}"))[1]["linked"] == [
        second["id"]]
    last = (await records(world, first["id"]))[-1]
    assert last.kind == "case.completed" and last.data["previous_status"] == (
        "needs_information")
    await citizen.post(f"/api/v1/cases/{first['id']}/withdraw")
    assert (await citizen.post(path, {"text": "encore"}))[0] == 409


async def test_export_verifies_and_links_survive_a_restart(start_world: StartWorld,
                                                           tmp_path: Path) -> None:
    world = await start_world(thesee_four_eyes_above_eur=100.0)
    citizen = anonymous(world)
    _, case = await citizen.post(THESEE, filing("romance_scam"))
    _, twin = await citizen.post(THESEE, filing("blackmail"))
    await staff(world, "r1").post(decision(case["id"]), {"decision": "validate"})
    await staff(world, "r2").post(decision(case["id"]), {"decision": "validate"})
    data_dir = world.gw.gateway.settings.data_dir
    assert stat.S_IMODE((data_dir / "thesee.db").stat().st_mode) == 0o600
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
    _, kept = await staff(again, "r3").get(f"/api/v1/staff/cases/{case['id']}")
    assert kept["status"] == "registered" and kept["linked"] == [twin["id"]]
