"""Attachments over the memory case store, the memory evidence log and real files."""

import hashlib
import io
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from rtc_gateway.adapters.filesystem.blob_store import FileBlobStore
from rtc_gateway.adapters.memory.case_store import MemoryCaseStore
from rtc_gateway.adapters.memory.evidence_log import MemoryEvidenceLog
from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.attachments import UnsupportedType
from rtc_gateway.domain.case_access import CitizenCaller
from rtc_gateway.domain.cases import Case, CaseKind
from rtc_gateway.domain.conversation import Location
from rtc_gateway.domain.errors import Conflict, NotFound, TooLarge
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.units import UnitChoice
from rtc_gateway.ports.clock import SystemClock
from rtc_gateway.ports.evidence_log import RecordKind
from rtc_gateway.services.cases.attachments import AttachmentPolicy, AttachmentService
from rtc_gateway.services.cases.cases import CaseService
from tests.support.attachment_files import (
    CAMERA,
    FAKE_JPEG,
    HTML_AS_JPG,
    PDF_AUTHOR,
    PDF_PRODUCER,
    XMP_MARK,
    gps_of,
    jpeg_with_gps,
    pdf_receipt,
    pdf_with_metadata,
    png_with_text,
)
from tests.support.units import sample_units

ALICE = CitizenCaller("alice", verified=False)
PARIS = UnitChoice(location=Location(48.86, 2.35))
OFFICER = AgentProfile("o1", "o1", Force.POLICE, Role.AGENT)


class Told:
    """The services' case notifier, keeping what it was told."""

    def __init__(self) -> None:
        self.changes: list[tuple[str, str, bool]] = []

    async def case_updated(self, case: Case, change: str) -> None:
        self.changes.append((case.id, change, case.unread))


class World:
    def __init__(self, root: Path, max_bytes: int = 1 << 20, max_per_case: int = 3) -> None:
        self.evidence = MemoryEvidenceLog()
        self.told = Told()
        self.cases = CaseService(MemoryCaseStore(), self.evidence, SystemClock(),
                                 sample_units(), self.told)
        self.blobs = FileBlobStore(root / "attachments")
        self.service = AttachmentService(self.cases, self.blobs, SystemClock(),
                                         AttachmentPolicy(max_bytes, max_per_case, 10_000))

    async def case(self) -> Case:
        await self.blobs.open()
        return await self.cases.open(ALICE, CaseKind.PRE_COMPLAINT, {"offence": "theft"}, PARIS)

    async def upload(self, caller: CitizenCaller | AgentProfile, case_id: str, data: bytes,
                     strip: bool = False) -> bytes:
        await self.service.check(caller, case_id)
        staged = await self.service.receive(pieces(data))
        _, meta = await self.service.attach(caller, case_id, staged, strip)
        _, path = await self.service.file(caller, case_id, meta.sha256)
        return path.read_bytes()


async def pieces(data: bytes, size: int = 100) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


@pytest.fixture
async def world(tmp_path: Path) -> World:
    return World(tmp_path)


def staged_files(world: World) -> list[Path]:
    return list((world.blobs.root / "staging").iterdir())


async def test_a_stripped_photo_loses_its_gps_and_is_recorded_by_hash(world: World) -> None:
    case = await world.case()
    original = jpeg_with_gps()
    assert gps_of(original)
    kept = await world.upload(ALICE, case.id, original, strip=True)
    assert gps_of(kept) == {} and CAMERA.encode() not in kept
    with Image.open(io.BytesIO(kept)) as image:
        assert image.format == "JPEG" and image.size == (64, 48)
    sha256 = hashlib.sha256(kept).hexdigest()
    path = world.blobs.path_of(sha256)
    assert path is not None and path.name == sha256 and path.parent.name == sha256[:2]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    records = await world.evidence.conversation_records(case.id)
    assert records[-1].kind == RecordKind.CASE_ATTACHMENT
    assert records[-1].data["sha256"] == sha256 and records[-1].data["bytes"] == len(kept)
    assert records[-1].data["original_sha256"] == hashlib.sha256(original).hexdigest()
    assert records[-1].data["metadata_stripped"] is True
    assert staged_files(world) == []


async def test_without_stripping_the_file_is_kept_as_sent(world: World) -> None:
    case = await world.case()
    original = jpeg_with_gps()
    assert await world.upload(ALICE, case.id, original) == original
    png = png_with_text()
    stripped = await world.upload(ALICE, case.id, png, strip=True)
    assert CAMERA.encode() in png and CAMERA.encode() not in stripped
    with Image.open(io.BytesIO(stripped)) as image:
        assert image.mode == "RGBA" and image.getpixel((3, 3)) == (0, 120, 200, 128)
    listed = await world.service.listed(ALICE, case.id)
    assert [m.content_type for m in listed] == ["image/jpeg", "image/png"]
    assert [m.metadata_stripped for m in listed] == [False, True]


async def test_a_stripped_pdf_loses_its_information_and_xmp_and_keeps_its_pages(
        world: World) -> None:
    case = await world.case()
    original = pdf_with_metadata(pages=3)
    before = PdfReader(io.BytesIO(original))
    assert before.metadata is not None and before.metadata.author == PDF_AUTHOR
    assert before.xmp_metadata is not None
    kept = await world.upload(ALICE, case.id, original, strip=True)
    after = PdfReader(io.BytesIO(kept))
    assert after.metadata is None and after.xmp_metadata is None
    assert "/Metadata" not in after.trailer["/Root"]
    assert len(after.pages) == 3 and "Page 3" in after.pages[2].extract_text()
    for mark in (PDF_AUTHOR, PDF_PRODUCER, XMP_MARK):
        assert mark.encode() not in kept
    records = await world.evidence.conversation_records(case.id)
    assert records[-1].data["sha256"] == hashlib.sha256(kept).hexdigest()
    assert records[-1].data["original_sha256"] == hashlib.sha256(original).hexdigest()
    assert records[-1].data["metadata_stripped"] is True
    listed = await world.service.listed(ALICE, case.id)
    assert listed[0].metadata_stripped and listed[0].content_type == "application/pdf"
    assert staged_files(world) == []


async def test_a_pdf_is_kept_as_sent_without_stripping(world: World) -> None:
    case = await world.case()
    original = pdf_with_metadata()
    assert await world.upload(ALICE, case.id, original) == original
    assert not (await world.service.listed(ALICE, case.id))[0].metadata_stripped


NOT_A_PDF = b"%PDF-1.7\nnothing a reader can use\n%%EOF\n"


@pytest.mark.parametrize("strip", [False, True])
async def test_a_pdf_pypdf_cannot_read_is_refused(world: World, strip: bool) -> None:
    case = await world.case()
    with pytest.raises(UnsupportedType, match="not a readable PDF"):
        await world.upload(ALICE, case.id, NOT_A_PDF, strip=strip)
    assert staged_files(world) == [] and (await world.service.listed(ALICE, case.id)) == ()


@pytest.mark.parametrize("content", [HTML_AS_JPG, FAKE_JPEG, b"%PDF-1.7 no trailer", b""])
async def test_content_that_is_not_what_it_claims_is_refused(world: World,
                                                           content: bytes) -> None:
    case = await world.case()
    with pytest.raises(UnsupportedType):
        await world.upload(ALICE, case.id, content)
    assert staged_files(world) == [] and (await world.service.listed(ALICE, case.id)) == ()


async def test_too_large_stops_reading_and_keeps_nothing(tmp_path: Path) -> None:
    world = World(tmp_path, max_bytes=1000)
    await world.case()
    read: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        for number in range(1000):
            read.append(number)
            yield b"\xff" * 100

    with pytest.raises(TooLarge):
        await world.service.receive(endless())
    assert len(read) == 11 and staged_files(world) == []


async def test_big_images_are_refused_before_decoding(world: World) -> None:
    case = await world.case()
    out = io.BytesIO()
    Image.new("L", (200, 200)).save(out, "PNG")
    with pytest.raises(TooLarge):
        await world.upload(ALICE, case.id, out.getvalue())


async def test_access_count_duplicates_and_final_cases(world: World) -> None:
    case = await world.case()
    intruder = CitizenCaller("mallory", verified=False)
    lyon = AgentProfile("o2", "o2", Force.POLICE, Role.AGENT, unit="police-lyon")
    for caller in (intruder, lyon):
        with pytest.raises(NotFound):
            await world.service.check(caller, case.id)
        with pytest.raises(NotFound):
            await world.service.listed(caller, case.id)
    pdf = pdf_receipt()
    kept = await world.upload(OFFICER, case.id, pdf)
    with pytest.raises(NotFound):
        await world.service.file(intruder, case.id, hashlib.sha256(kept).hexdigest())
    with pytest.raises(Conflict, match="already attached"):
        await world.upload(ALICE, case.id, pdf)
    await world.upload(ALICE, case.id, jpeg_with_gps())
    await world.upload(ALICE, case.id, png_with_text())
    with pytest.raises(Conflict, match="at most 3"):
        await world.service.check(ALICE, case.id)
    other = await world.case()
    await world.cases.withdraw(ALICE, other.id)
    with pytest.raises(Conflict, match="withdrawn"):
        await world.service.check(ALICE, other.id)


async def test_staff_changes_are_unread_until_the_citizen_reads_the_case(
        world: World) -> None:
    case = await world.case()
    await world.cases.post_message(ALICE, case.id, "ma question")
    assert not (await world.cases.get(ALICE, case.id)).unread
    await world.upload(OFFICER, case.id, pdf_receipt())
    await world.cases.post_message(OFFICER, case.id, "reçu joint")
    assert (await world.cases.own(ALICE))[0].unread
    assert (await world.cases.read(OFFICER, case.id)).unread
    assert not (await world.cases.read(ALICE, case.id)).unread
    assert not (await world.cases.own(ALICE))[0].unread
    await world.cases.decide(OFFICER, case.id, "confirm", None)
    assert (await world.cases.own(ALICE))[0].unread
    assert [change for _, change, _ in world.told.changes] == [
        "message", "attachment", "message", "decision"]
    assert [unread for _, _, unread in world.told.changes] == [False, True, True, True]
