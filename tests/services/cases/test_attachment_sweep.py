"""The sweep of attachment files no case references, over real files, with a clock the
test moves, run by the purge job as the gateway runs it."""

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from rtc_gateway.adapters.filesystem.blob_store import FileBlobStore
from rtc_gateway.adapters.memory.case_store import MemoryCaseStore
from rtc_gateway.adapters.memory.evidence_log import MemoryEvidenceLog
from rtc_gateway.adapters.sqlite.case_store import SqliteCaseStore
from rtc_gateway.domain.errors import Conflict
from rtc_gateway.ports.case_store import CaseStore
from rtc_gateway.services.cases.attachment_sweep import AttachmentSweep
from rtc_gateway.services.cases.attachments import AttachmentPolicy, AttachmentService
from rtc_gateway.services.cases.cases import CaseService
from rtc_gateway.services.cases.purge import PreComplaintPurge
from tests.evidence.support import ManualClock
from tests.services.cases.test_purge import APPOINTMENT, CITIZEN, OFFICER, START, file
from tests.support.attachment_files import jpeg_with_gps, pdf_receipt
from tests.support.units import sample_units

GRACE = timedelta(hours=1)


class World:
    def __init__(self, root: Path, store: CaseStore) -> None:
        self.clock = ManualClock(START)
        self.store = store
        self.evidence = MemoryEvidenceLog()
        self.cases = CaseService(store, self.evidence, self.clock, sample_units())
        self.blobs = FileBlobStore(root / "attachments", self.clock)
        self.attachments = AttachmentService(self.cases, self.blobs, self.clock,
                                             AttachmentPolicy(1 << 20, 5, 10_000))
        self.sweep = AttachmentSweep(store, self.blobs, self.clock, GRACE.total_seconds())
        self.purge = PreComplaintPurge(store, self.evidence, self.clock, self.cases.lock,
                                       self.evidence, self.sweep)

    async def attach(self, case_id: str, data: bytes) -> str:
        staged = await self.attachments.receive(once(data))
        _, meta = await self.attachments.attach(CITIZEN, case_id, staged, False)
        return meta.sha256

    def kept(self) -> set[str]:
        return {path.name for path in self.blobs.root.glob("??/*")}


async def once(data: bytes) -> AsyncIterator[bytes]:
    yield data


@pytest.fixture(params=["memory", "sqlite"])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    store: CaseStore = (MemoryCaseStore() if request.param == "memory"
                        else SqliteCaseStore(tmp_path / "cases.db"))
    await store.open()
    made = World(tmp_path, store)
    await made.blobs.open()
    yield made
    await store.close()


async def test_a_file_its_case_refused_is_swept_after_the_grace(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    kept_case = await file(world.cases)
    kept = await world.attach(kept_case, pdf_receipt())
    refusing = await file(world.cases)
    await world.attachments.check(CITIZEN, refusing)  # the upload starts on an open case
    staged = await world.attachments.receive(once(jpeg_with_gps()))
    await world.cases.withdraw(CITIZEN, refusing)  # ... which becomes final meanwhile
    with pytest.raises(Conflict, match="withdrawn"):
        await world.attachments.attach(CITIZEN, refusing, staged, False)
    orphan = staged.sha256
    assert world.kept() == {kept, orphan}  # committed before the case refused it

    world.clock.advance(GRACE - timedelta(seconds=1))
    assert await world.sweep.run() == []
    world.clock.advance(timedelta(seconds=2))
    with caplog.at_level(logging.INFO):
        assert await world.purge.run() == []  # no case to purge; the sweep still runs
    assert world.kept() == {kept}
    assert world.blobs.path_of(orphan) is None and world.blobs.path_of(kept) is not None
    swept = [r for r in caplog.records if r.message == "unreferenced attachment files deleted"]
    assert len(swept) == 1 and getattr(swept[0], "count", None) == 1
    assert await world.sweep.run() == []


async def test_a_purged_pre_complaint_s_files_are_deleted(world: World) -> None:
    purged = await file(world.cases)
    photo = await world.attach(purged, jpeg_with_gps())
    honoured = await file(world.cases)
    receipt = await world.attach(honoured, pdf_receipt())
    await world.cases.decide(OFFICER, honoured, "close", None)
    world.clock.current = APPOINTMENT + timedelta(days=31)
    assert len(await world.purge.run()) == 1
    assert await world.store.get(purged) is None
    assert world.kept() == {receipt} and photo not in world.kept()


async def test_a_file_another_case_still_lists_is_kept(world: World) -> None:
    purged = await file(world.cases)
    honoured = await file(world.cases)
    shared = await world.attach(purged, pdf_receipt())
    assert await world.attach(honoured, pdf_receipt()) == shared  # one file, two cases
    await world.cases.decide(OFFICER, honoured, "close", None)
    world.clock.current = APPOINTMENT + timedelta(days=31)
    assert len(await world.purge.run()) == 1
    assert await world.store.get(purged) is None
    assert world.kept() == {shared}
    world.clock.advance(timedelta(days=365))
    assert await world.sweep.run() == [] and world.kept() == {shared}


async def test_committing_a_file_again_renews_it(world: World) -> None:
    """An unreferenced old file uploaded again is not swept between its commit and the
    moment its new case lists it."""
    orphan_case = await file(world.cases)
    sha256 = await world.attach(orphan_case, pdf_receipt())
    await world.store.delete(orphan_case)
    world.clock.advance(2 * GRACE)
    cutoff = world.clock.now() - GRACE
    staged = await world.blobs.stage(once(pdf_receipt()), 1 << 20)
    await world.blobs.commit(staged)  # the next upload of the same content, before attach
    assert [(b.sha256, b.committed_at) for b in await world.blobs.kept()] == [
        (sha256, world.clock.now())]
    assert not await world.blobs.delete_unless_since(sha256, cutoff)
    assert await world.sweep.run() == [] and world.kept() == {sha256}
    world.clock.advance(2 * GRACE)
    assert await world.sweep.run() == [sha256] and world.kept() == set()
