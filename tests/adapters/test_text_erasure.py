"""Erasing one conversation's (a purged case's) texts, on every evidence log: its texts
and salts go, the other conversations' stay, and the records and proofs remain."""

from pathlib import Path

import pytest

from rtc_gateway.adapters.memory.evidence_log import MemoryEvidenceLog
from rtc_gateway.adapters.sqlite.evidence_audit import audit_log
from rtc_gateway.adapters.sqlite.evidence_log import SqliteEvidenceLog
from rtc_gateway.evidence.commands import EvidencePaths
from tests.adapters.test_postgres_evidence_log import make_pg_log
from tests.adapters.test_sqlite_evidence_log import keys_of_path, message
from tests.evidence.support import ManualClock, make_log


async def fill(log: SqliteEvidenceLog | MemoryEvidenceLog) -> None:
    clock = ManualClock()
    for seq in (1, 2, 3):
        await log.append(message("purged", seq, clock, "Camille Martin, vélo"))
        await log.append(message("kept", seq, clock, "à garder"))


@pytest.mark.parametrize("writer", ["thread", "process"])
async def test_sqlite(tmp_path: Path, writer: str) -> None:
    log = make_log(tmp_path, writer=writer)
    await log.start()
    try:
        await fill(log)
        assert await log.erase_text_of("purged") == 3
        assert await log.erase_text_of("purged") == 0
        purged = await log.stored_records("purged")
        assert len(purged) == 3 and all(r.text is None and r.salt is None for r in purged)
        assert all(r.text == "à garder" for r in await log.stored_records("kept"))
    finally:
        await log.close()
    report = audit_log(EvidencePaths.of(tmp_path).db, keys_of_path(tmp_path))
    assert report.erased_texts == 3


async def test_memory() -> None:
    log = MemoryEvidenceLog()
    await fill(log)
    assert await log.erase_text_of("purged") == 3
    assert [r.text for r in await log.conversation_records("purged")] == [None] * 3
    assert [r.text for r in await log.conversation_records("kept")] == ["à garder"] * 3




async def test_postgres(fresh_database: str, tmp_path: Path) -> None:
    log = make_pg_log(fresh_database, tmp_path)
    await log.start()
    try:
        clock = ManualClock()
        for seq in (1, 2, 3):
            await log.append(message("purged", seq, clock, "Camille Martin, vélo"))
            await log.append(message("kept", seq, clock, "à garder"))
        assert await log.erase_text_of("purged") == 3
        assert all(r.text is None and r.salt is None for r in await log.stored_records("purged"))
        assert all(r.text == "à garder" for r in await log.stored_records("kept"))
    finally:
        await log.close()
