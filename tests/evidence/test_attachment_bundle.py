"""A case's attachments in its evidence bundle: bundled by hash, checked by the verifier,
and every way of altering them is named (the forger rewrites the manifest each time)."""

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rtc_gateway.adapters.filesystem.blob_store import FileBlobStore
from rtc_gateway.evidence.bundle import AttachmentMissing, export_conversation
from rtc_gateway.evidence.commands import EvidencePaths
from rtc_gateway.evidence.verify import verify_bundle
from rtc_gateway.ports.evidence_log import EvidenceEntry, RecordKind
from tests.support.attachment_files import pdf_receipt

from .support import ManualClock, make_log
from .test_tamper_matrix import _read, _write

CASE = "case-1"
OTHER = b"%PDF-1.4 another file\n%%EOF\n"


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _bundle(tmp_path: Path, media: bool = True) -> tuple[Path, str]:
    clock = ManualClock()
    log = make_log(tmp_path, clock)
    await log.start()
    store = FileBlobStore(tmp_path / "attachments")
    await store.open()
    content = pdf_receipt()
    staged = await store.stage(_once(content), 1 << 20)
    await store.commit(staged)
    for kind, data in ((RecordKind.CASE_OPENED, {"reference": "PP-2026-000001"}),
                       (RecordKind.CASE_ATTACHMENT, {"sha256": staged.sha256,
                                                     "bytes": len(content),
                                                     "content_type": "application/pdf"})):
        await log.append(EvidenceEntry(conversation_id=CASE, kind=kind, actor_role="citizen",
                                       actor_id="alice", at=clock.now(), data=data))
    out = tmp_path / "case.zip"
    await export_conversation(log, EvidencePaths.of(tmp_path).recordings, CASE, out,
                              reason="PP-2026-000001", actor_role="operator", actor_id="op",
                              include_media=media, attachments=store)
    await log.close()
    return out, staged.sha256


async def test_the_bundle_holds_and_proves_the_attachment(tmp_path: Path) -> None:
    out, sha256 = await _bundle(tmp_path)
    files = _read(out)
    assert hashlib.sha256(files[f"attachments/{sha256}"]).hexdigest() == sha256
    result = verify_bundle(out)
    assert result.ok, result.fault
    assert "attachments: 1 file verified" in result.summary


async def test_without_media_only_the_hash_travels(tmp_path: Path) -> None:
    out, _ = await _bundle(tmp_path, media=False)
    assert not [n for n in _read(out) if n.startswith("attachments/")]
    result = verify_bundle(out)
    assert result.ok and "attachments: not included (1 hash in the log)" in result.summary


@pytest.mark.parametrize("alteration, fault", [
    ("swap", "has 28 bytes, the log says"),
    ("same_size", "does not have the SHA-256 the log recorded"),
    ("remove", "is missing"),
    ("add", "is not an attachment of this case"),
])
async def test_altered_attachments_are_named(tmp_path: Path, alteration: str,
                                             fault: str) -> None:
    out, sha256 = await _bundle(tmp_path)
    files = _read(out)
    name = f"attachments/{sha256}"
    if alteration == "swap":
        files[name] = OTHER
    elif alteration == "same_size":
        files[name] = files[name][:-1] + b"X"
    elif alteration == "remove":
        del files[name]
    else:
        files[f"attachments/{hashlib.sha256(OTHER).hexdigest()}"] = OTHER
    _write(out, files)
    result = verify_bundle(out)
    assert not result.ok and result.fault is not None
    assert result.fault.startswith("attachments: ") and fault in result.fault, result.fault


async def test_an_attachment_missing_from_the_store_stops_the_export(tmp_path: Path) -> None:
    _, sha256 = await _bundle(tmp_path)
    (tmp_path / "attachments" / sha256[:2] / sha256).unlink()
    log = make_log(tmp_path)
    await log.start()
    try:
        with pytest.raises(AttachmentMissing, match=sha256):
            await export_conversation(log, tmp_path / "recordings", CASE, tmp_path / "x.zip",
                                      reason="r", actor_role="operator", actor_id="op",
                                      attachments=FileBlobStore(tmp_path / "attachments"))
    finally:
        await log.close()
