"""An online complaint's citizen is told, in French, at each step of its handling, and
the review starts when an officer of the unit in charge opens the case."""

from tests.gateway.cases.conftest import LYON, PARIS, complaint
from tests.gateway.cases.test_cases_api import PARIS_UNIT, staff, verified_citizen
from tests.gateway.identity.conftest import IdentityWorld


def system_texts(case: dict[str, object]) -> list[str]:
    messages = case["messages"]
    assert isinstance(messages, list)
    return [m["text"] for m in messages if m["author_role"] == "system"]


async def test_each_status_of_a_complaint_comes_with_a_message(world: IdentityWorld) -> None:
    citizen, _ = await verified_citizen(world)
    _, case = await citizen.post("/api/v1/complaints", complaint(PARIS))
    path, staff_path = f"/api/v1/cases/{case['id']}", f"/api/v1/staff/cases/{case['id']}"
    assert case["status"] == "received" and system_texts(case) == []

    lyon = staff(world, "p-lyon", unit="police-lyon-1er")
    assert (await lyon.get(staff_path))[0] == 404
    assert (await citizen.get(path))[1]["status"] == "received", "a foreign look changes nothing"
    supervisor = staff(world, "s1", unit=PARIS_UNIT, role="supervisor")
    officer = staff(world, "p1", unit=PARIS_UNIT)
    listed = (await officer.get("/api/v1/staff/cases"))[1]["cases"]
    assert [c["status"] for c in listed if c["id"] == case["id"]] == ["received"]

    status, opened = await officer.get(staff_path)
    assert status == 200 and opened["status"] == "in_review"
    own = (await citizen.get("/api/v1/cases"))[1]["cases"]
    assert [(c["status"], c["unread"]) for c in own] == [("in_review", True)]
    status, seen = await citizen.get(path)
    assert seen["status"] == "in_review"
    assert system_texts(seen) == ["Votre plainte est en cours d'examen par un enquêteur."]
    assert (await supervisor.get(staff_path))[1]["status"] == "in_review"
    assert len(system_texts((await citizen.get(path))[1])) == 1, "opened again: no new step"

    decide = f"{staff_path}/decision"
    await officer.post(decide, {"decision": "request_info", "reason": "la facture du vélo"})
    await citizen.post(f"{path}/messages", {"text": "La voici"})
    await officer.post(decide, {"decision": "validate"})
    status, closed = await officer.post(decide, {"decision": "close"})
    assert status == 200 and closed["status"] == "closed"
    assert system_texts(closed) == [
        "Votre plainte est en cours d'examen par un enquêteur.",
        "L'enquêteur a besoin de précisions pour traiter votre plainte. Répondez-lui par un"
        " message dans ce dossier. Motif : la facture du vélo",
        "Votre plainte est enregistrée. Son récépissé est disponible dans ce dossier.",
        "Votre dossier est clos.",
    ]
    kinds = [r.kind for r in await world.gw.gateway.evidence.conversation_records(case["id"])]
    assert kinds.count("case.review_started") == 1
    assert kinds.count("case.message") == 5  # four notices and the citizen's answer


async def test_a_rejection_tells_its_reason(world: IdentityWorld) -> None:
    citizen, _ = await verified_citizen(world)
    _, case = await citizen.post("/api/v1/complaints", complaint(LYON))
    officer = staff(world, "p-lyon", unit="police-lyon-1er")
    status, rejected = await officer.post(f"/api/v1/staff/cases/{case['id']}/decision",
                                          {"decision": "reject",
                                           "reason": "les faits relèvent d'un litige civil"})
    assert status == 200 and rejected["status"] == "rejected"
    assert system_texts(rejected) == [
        "Votre plainte n'a pas pu être enregistrée. Motif : les faits relèvent d'un litige"
        " civil"]
