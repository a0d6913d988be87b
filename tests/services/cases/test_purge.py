"""The purge of unhonoured pre-complaints, with a clock the test moves: in memory, on
SQLite, and as ``rtc-gateway purge-pre-complaints`` on a data directory."""

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rtc_gateway.adapters.filesystem.blob_store import FileBlobStore
from rtc_gateway.adapters.memory.case_store import MemoryCaseStore
from rtc_gateway.adapters.memory.evidence_log import MemoryEvidenceLog
from rtc_gateway.adapters.sqlite.case_store import SqliteCaseStore
from rtc_gateway.adapters.sqlite.evidence_log import SqliteEvidenceLog
from rtc_gateway.cli_wiring import purge_pre_complaints
from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.appointments import PARIS
from rtc_gateway.domain.case_access import CitizenCaller
from rtc_gateway.domain.cases import CaseKind
from rtc_gateway.domain.conversation import Location
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.units import UnitChoice
from rtc_gateway.evidence.commands import DEFAULT_ORIGIN
from rtc_gateway.ports.case_store import CaseStore
from rtc_gateway.ports.evidence_log import RecordKind
from rtc_gateway.ports.evidence_source import LogPlace
from rtc_gateway.services.cases.attachments import AttachmentPolicy, AttachmentService
from rtc_gateway.services.cases.cases import CaseService
from rtc_gateway.services.cases.pre_complaints import PreComplaints
from rtc_gateway.services.cases.purge import PreComplaintPurge
from tests.evidence.support import ManualClock
from tests.support.attachment_files import jpeg_with_gps
from tests.support.units import sample_units

START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
APPOINTMENT = datetime(2026, 12, 3, 10, 0, tzinfo=PARIS)
PARIS_PLACE = UnitChoice(location=Location(48.86, 2.35))
CITIZEN = CitizenCaller("c1", verified=False)
OFFICER = AgentProfile("o1", "Officier", Force.POLICE)
IDENTITY = {"given_name": "Camille", "family_name": "Martin", "birthdate": "1990-04-02"}


async def once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def file(cases: CaseService, appointment: datetime | None = APPOINTMENT) -> str:
    case = await PreComplaints(cases).file(CITIZEN, {"offence": "theft", "description": "vélo"},
                                           IDENTITY, None, PARIS_PLACE, appointment)
    return case.id


async def scenario(store: CaseStore, evidence: MemoryEvidenceLog | SqliteEvidenceLog,
                   clock: ManualClock) -> None:
    cases = CaseService(store, evidence, clock, sample_units())
    purge = PreComplaintPurge(store, evidence, clock, cases.lock, evidence)
    unhonoured, honoured, confirmed = (await file(cases), await file(cases),
                                       await file(cases))
    undated = await file(cases, None)
    await cases.decide(OFFICER, confirmed, "confirm", None)
    await cases.decide(OFFICER, honoured, "close", None)

    undated_case = await store.get(undated)
    assert undated_case is not None
    clock.current = APPOINTMENT + timedelta(days=30) - timedelta(minutes=1)
    assert await purge.run() == [undated_case.reference]  # 30 days after its filing
    clock.advance(timedelta(minutes=1))
    purged = await purge.run()
    assert len(purged) == 2
    assert await store.get(unhonoured) is None and await store.get(confirmed) is None
    assert await store.get(honoured) is not None
    assert await purge.run() == []
    records = await evidence.conversation_records(confirmed, [RecordKind.CASE_PURGED])
    assert len(records) == 1
    record = records[0]
    assert record.actor_role == "system" and record.at == clock.current
    assert record.data["reason"] == "appointment_not_honoured"
    assert record.data["status"] == "confirmed" and record.data["purge_after_days"] == 30
    assert record.data["appointment_at"] == "2026-12-03T09:00:00.000Z"
    assert "Martin" not in str(record.data)
    texts = [r.text for r in await evidence.conversation_records(confirmed)]
    assert len(texts) == 4 and texts == [None] * 4  # opened, decided, notice, purged
    kept = await evidence.conversation_records(honoured)
    assert "Martin" in (kept[0].text or "")
    assert [c.id for c in await store.of_kind(CaseKind.PRE_COMPLAINT)] == [honoured]


def open_log(data_dir: Path, clock: ManualClock | None = None) -> SqliteEvidenceLog:
    return SqliteEvidenceLog(data_dir / "evidence.db", data_dir / "keys" / "log-signing.key",
                             DEFAULT_ORIGIN, clock or ManualClock(datetime.now(UTC)),
                             checkpoint_interval_s=0)


async def test_purge_in_memory() -> None:
    await scenario(MemoryCaseStore(), MemoryEvidenceLog(), ManualClock(START))


async def test_purge_on_sqlite(tmp_path: Path) -> None:
    clock = ManualClock(START)
    store = SqliteCaseStore(tmp_path / "cases.db")
    await store.open()
    log = open_log(tmp_path, clock)
    await log.start()
    try:
        await scenario(store, log, clock)
    finally:
        await log.close()
        await store.close()


async def test_periodic_purge_runs_and_stops() -> None:
    clock = ManualClock(START)
    store, evidence = MemoryCaseStore(), MemoryEvidenceLog()
    cases = CaseService(store, evidence, clock, sample_units())
    case_id = await file(cases)
    clock.current = APPOINTMENT + timedelta(days=31)
    purge = PreComplaintPurge(store, evidence, clock, cases.lock)
    purge.start(0.01)
    for _ in range(200):
        if await store.get(case_id) is None:
            break
        await asyncio.sleep(0.01)
    await purge.close()
    assert await store.get(case_id) is None


async def test_command_purges_a_data_directory(tmp_path: Path) -> None:
    old = ManualClock(datetime(2020, 1, 6, 8, 0, tzinfo=UTC))
    store = SqliteCaseStore(tmp_path / "cases.db")
    await store.open()
    log = open_log(tmp_path, old)
    await log.start()
    cases = CaseService(store, log, old, sample_units())
    case_id = await file(cases, datetime(2020, 1, 9, 10, 0, tzinfo=PARIS))
    blobs = FileBlobStore(tmp_path / "attachments", old)
    await blobs.open()
    attachments = AttachmentService(cases, blobs, old, AttachmentPolicy(1 << 20, 5, 10_000))
    _, photo = await attachments.attach(CITIZEN, case_id, await attachments.receive(
        once(jpeg_with_gps())), False)
    assert blobs.path_of(photo.sha256) is not None
    await log.close()
    await store.close()

    done = await asyncio.to_thread(subprocess.run, [
        sys.executable, "-m", "rtc_gateway", "purge-pre-complaints", "--data-dir",
        str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["purged 1 pre-complaint", "PP-2020-000001"]
    assert blobs.path_of(photo.sha256) is None  # the purged case's file, swept
    again = await purge_pre_complaints(LogPlace(tmp_path, tmp_path / "keys" / "log-signing.key"),
                                       ManualClock(datetime.now(UTC)))
    assert again == []
    log = open_log(tmp_path)
    await log.start()
    try:
        kinds = [r.kind for r in await log.conversation_records(case_id)]
    finally:
        await log.close()
    assert kinds == ["case.opened", "case.attachment", "case.purged"]
    out = tmp_path / "purged.zip"
    exported = await asyncio.to_thread(subprocess.run, [
        sys.executable, "-m", "rtc_gateway", "export", "--data-dir", str(tmp_path),
        "--case", case_id, "--out", str(out)], capture_output=True, text=True, timeout=60)
    assert exported.returncode == 0, exported.stderr
    verified = await asyncio.to_thread(subprocess.run, [
        sys.executable, "-m", "rtc_gateway", "verify", str(out)],
        capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "1 erased" in verified.stdout, verified.stdout
    assert "attachments: 0 files verified, 1 deleted with the purge of the case" in (
        verified.stdout), verified.stdout

    missing = await asyncio.to_thread(subprocess.run, [
        sys.executable, "-m", "rtc_gateway", "purge-pre-complaints", "--data-dir",
        str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no evidence log" in missing.stderr
