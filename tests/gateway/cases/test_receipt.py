"""The receipt of a registered complaint: a French PDF with the verified identity, the
facts, the goods and the evidence record that registered it; for its citizen and the
staff in charge only, and not before registration."""

import io

import aiohttp
import pypdf

from tests.gateway.cases.conftest import PARIS, Api, complaint, pre_complaint
from tests.gateway.cases.test_cases_api import (
    PARIS_UNIT,
    anonymous_citizen,
    staff,
    verified_citizen,
)
from tests.gateway.identity.conftest import IdentityWorld, StartWorld


async def fetch(api: Api, path: str) -> tuple[int, str, bytes]:
    headers = {"Authorization": f"Bearer {api.token}"} if api.token else {}
    async with aiohttp.ClientSession() as http, http.get(api.url + path,
                                                         headers=headers) as response:
        return response.status, response.content_type, await response.read()


def text_of(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


async def test_registered_complaint_has_a_french_receipt(world: IdentityWorld) -> None:
    world.provider.identity["family_name"] = "Lefèvre-Åström"
    citizen, _ = await verified_citizen(world)
    status, case = await citizen.post("/api/v1/complaints", complaint(PARIS))
    assert status == 201, case
    receipt = f"/api/v1/cases/{case['id']}/receipt"
    status, _, body = await fetch(citizen, receipt)
    assert status == 409 and b'"conflict"' in body

    officer = staff(world, "p1", unit=PARIS_UNIT)
    status, registered = await officer.post(f"/api/v1/staff/cases/{case['id']}/decision",
                                            {"decision": "validate"})
    assert status == 200 and registered["status"] == "registered"
    status, content_type, pdf = await fetch(citizen, receipt)
    assert status == 200 and content_type == "application/pdf", pdf[:200]
    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf)
    assert "Récépissé de dépôt de plainte" in text
    assert case["reference"] in text
    assert "Lefèvre-Åström" in text and "Marie" in text and "17/05/1984" in text
    assert "Vélo volé devant la gare" in text and "antivol coupé" in text
    assert "vélo" in text and "450,00 €" in text
    assert PARIS_UNIT in text and "Police nationale" in text

    records = await world.gw.gateway.evidence.conversation_records(case["id"])
    decided = next(r for r in records if r.kind == "case.decided")
    assert decided.leaf_hash.hex() in text.replace("\n", "")
    assert f"Index dans le journal {decided.index}" in text

    status, content_type, _ = await fetch(officer, receipt)
    assert status == 200 and content_type == "application/pdf"
    assert (await officer.post(f"/api/v1/staff/cases/{case['id']}/decision",
                               {"decision": "close"}))[0] == 200
    assert (await fetch(citizen, receipt))[0] == 200  # still registered, then closed


async def test_receipt_refusals(world: IdentityWorld) -> None:
    citizen, _ = await verified_citizen(world)
    _, case = await citizen.post("/api/v1/complaints", complaint(PARIS))
    await staff(world, "p1", unit=PARIS_UNIT).post(
        f"/api/v1/staff/cases/{case['id']}/decision", {"decision": "validate"})
    receipt = f"/api/v1/cases/{case['id']}/receipt"
    for outsider in (anonymous_citizen(world), staff(world, "p-lyon", unit="police-lyon"),
                     staff(world, "g1", "gendarmerie"), staff(world, "rv", role="reviewer")):
        status, _, body = await fetch(outsider, receipt)
        assert status == 404 and b'"not_found"' in body, outsider.token
    assert (await fetch(Api(world.gw.url), receipt))[0] == 401
    assert (await fetch(Api(world.gw.url, "not-a-token"), receipt))[0] == 401
    assert (await fetch(citizen, "/api/v1/cases/no-such-case/receipt"))[0] == 404

    _, rejected = await citizen.post("/api/v1/complaints", complaint(PARIS))
    await staff(world, "p1", unit=PARIS_UNIT).post(
        f"/api/v1/staff/cases/{rejected['id']}/decision",
        {"decision": "reject", "reason": "hors compétence"})
    assert (await fetch(citizen, f"/api/v1/cases/{rejected['id']}/receipt"))[0] == 409

    pre = anonymous_citizen(world)
    _, pre_case = await pre.post("/api/v1/pre-complaints", pre_complaint())
    status, _, body = await fetch(pre, f"/api/v1/cases/{pre_case['id']}/receipt")
    assert status == 409 and b"pre_complaint" in body


async def test_receipt_downloads_are_rate_limited(start_world: StartWorld) -> None:
    world = await start_world(case_writes_per_identity_burst=2.0,
                              case_writes_per_identity_per_s=0.001)
    citizen, _ = await verified_citizen(world)
    _, case = await citizen.post("/api/v1/complaints", complaint(PARIS))
    await staff(world, "p1", unit=PARIS_UNIT).post(
        f"/api/v1/staff/cases/{case['id']}/decision", {"decision": "validate"})
    receipt = f"/api/v1/cases/{case['id']}/receipt"
    assert (await fetch(citizen, receipt))[0] == 200
    status, _, body = await fetch(citizen, receipt)
    assert status == 429 and b'"rate_limited"' in body
