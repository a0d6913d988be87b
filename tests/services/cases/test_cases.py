"""The cases framework over the memory store and the memory evidence log."""

import asyncio
from pathlib import Path

import pytest

from rtc_gateway.adapters.directory.files import FileUnitDirectory
from rtc_gateway.adapters.memory.case_store import MemoryCaseStore
from rtc_gateway.adapters.memory.evidence_log import MemoryEvidenceLog
from rtc_gateway.adapters.sqlite.case_store import SqliteCaseStore
from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.case_access import CitizenCaller
from rtc_gateway.domain.cases import CaseKind, CaseStatus
from rtc_gateway.domain.conversation import Location
from rtc_gateway.domain.errors import BadRequest, Conflict, Forbidden, NotFound
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.units import UnitChoice
from rtc_gateway.domain.zones import load_default_zones
from rtc_gateway.ports.clock import SystemClock
from rtc_gateway.ports.evidence_log import RecordKind
from rtc_gateway.services.cases.cases import CaseService
from rtc_gateway.services.cases.complaints import Complaints
from rtc_gateway.services.cases.pre_complaints import PreComplaints
from rtc_gateway.services.units import UnitFinder

PARIS = UnitChoice(location=Location(48.86, 2.35))
COUNTRYSIDE = UnitChoice(location=Location(44.32, 3.59))
ALICE = CitizenCaller("alice", verified=True)
BOB = CitizenCaller("bob", verified=False)
FACTS = {"offence": "theft", "description": "vélo volé"}


def sample_units(tmp_path: Path) -> UnitFinder:
    """The shipped sample directory (an empty data directory imports nothing)."""
    return UnitFinder(FileUnitDirectory(tmp_path), load_default_zones(), SystemClock())


def officer(agent_id: str = "o1", force: Force = Force.POLICE, unit: str | None = None,
            role: Role = Role.AGENT) -> AgentProfile:
    return AgentProfile(agent_id, agent_id, force, role, unit=unit)


@pytest.fixture
def parts(tmp_path: Path) -> tuple[CaseService, MemoryEvidenceLog]:
    evidence = MemoryEvidenceLog()
    return CaseService(MemoryCaseStore(), evidence, SystemClock(),
                       sample_units(tmp_path)), evidence


async def test_complaint_lifecycle_is_in_the_evidence_log(
        parts: tuple[CaseService, MemoryEvidenceLog]) -> None:
    cases, evidence = parts
    case = await Complaints(cases).file(ALICE, FACTS, PARIS)
    assert case.reference.startswith("PL-") and case.unit_id == "police-paris-5e"
    await cases.decide(officer(), case.id, "request_info", None)
    await cases.post_message(ALICE, case.id, "la facture")
    registered = await cases.decide(officer(), case.id, "validate", None)
    assert registered.status is CaseStatus.REGISTERED
    records = await evidence.conversation_records(case.id)
    assert [r.kind for r in records] == [
        RecordKind.CASE_OPENED, RecordKind.CASE_DECIDED, RecordKind.CASE_MESSAGE,
        RecordKind.CASE_MESSAGE, RecordKind.CASE_DECIDED, RecordKind.CASE_MESSAGE]
    assert records[2].actor_role == "agent" and records[2].data["notice"] is True
    assert records[3].text == "la facture" and records[3].data["status"] == "in_review"
    assert records[5].text is not None and "récépissé" in records[5].text
    assert records[0].data["reference"] == case.reference


async def test_refusals(parts: tuple[CaseService, MemoryEvidenceLog]) -> None:
    cases, evidence = parts
    with pytest.raises(Forbidden):
        await Complaints(cases).file(BOB, FACTS, PARIS)
    pre = await PreComplaints(cases).file(BOB, FACTS, {"family_name": "Martin"}, None,
                                          COUNTRYSIDE)
    assert (pre.force, pre.unit_id) == (Force.GENDARMERIE, "gendarmerie-bta-florac")
    with pytest.raises(NotFound):
        await cases.get(ALICE, pre.id)
    with pytest.raises(NotFound):
        await cases.get(officer(), pre.id)
    with pytest.raises(NotFound):
        await cases.get(officer(role=Role.REVIEWER, force=Force.GENDARMERIE), pre.id)
    gendarme = officer(force=Force.GENDARMERIE, unit="gendarmerie-bta-florac")
    assert (await cases.get(gendarme, pre.id)).id == pre.id
    with pytest.raises(BadRequest):
        await cases.decide(gendarme, pre.id, "validate", None)
    await cases.withdraw(BOB, pre.id)
    with pytest.raises(Conflict):
        await cases.decide(gendarme, pre.id, "confirm", None)
    assert len(await evidence.conversation_records(pre.id)) == 2


async def test_unit_scope_and_reject_reason(parts: tuple[CaseService, MemoryEvidenceLog]) -> None:
    cases, _ = parts
    case = await Complaints(cases).file(ALICE, FACTS, UnitChoice(unit_id="police-lyon"))
    with pytest.raises(NotFound):
        await cases.decide(officer(unit="police-paris"), case.id, "close", None)
    assert await cases.staff_list(officer(unit="police-paris"), None, None, None) == []
    lyon = officer(unit="police-lyon")
    assert [c.id for c in await cases.staff_list(lyon, CaseKind.COMPLAINT, None, None)] == [
        case.id]
    with pytest.raises(BadRequest):
        await cases.decide(lyon, case.id, "reject", " ")
    assert (await cases.decide(lyon, case.id, "reject", "hors délai")).status is \
        CaseStatus.REJECTED
    assert [c.id for c in await cases.own(ALICE)] == [case.id]
    assert await cases.staff_list(officer(role=Role.REVIEWER), None, None, None) == []


async def test_unknown_commune_and_bad_unit_are_bad_requests(
        parts: tuple[CaseService, MemoryEvidenceLog]) -> None:
    cases, _ = parts
    for choice in (UnitChoice(commune="99999"), UnitChoice(commune="x"), UnitChoice(),
                   UnitChoice(unit_id="PARIS")):
        with pytest.raises(BadRequest):
            await Complaints(cases).file(ALICE, FACTS, choice)


async def test_concurrent_changes_to_one_case_are_serialised(tmp_path: Path) -> None:
    """Over SQLite, whose calls suspend on a worker thread: without the case's lock two
    messages would read the same case and one would be lost."""
    store, evidence = SqliteCaseStore(tmp_path / "cases.db"), MemoryEvidenceLog()
    await store.open()
    cases = CaseService(store, evidence, SystemClock(), sample_units(tmp_path))
    case = await Complaints(cases).file(ALICE, FACTS, PARIS)
    await asyncio.gather(*(cases.post_message(ALICE, case.id, f"précision {n}")
                           for n in range(20)))
    stored = await cases.get(ALICE, case.id)
    assert [m.seq for m in stored.messages] == list(range(1, 21))
    logged = await evidence.conversation_records(case.id, [RecordKind.CASE_MESSAGE])
    assert [r.seq for r in logged] == list(range(1, 21))
    assert [r.text for r in logged] == [m.text for m in stored.messages]
    await store.close()
