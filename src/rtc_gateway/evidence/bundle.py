"""Export one conversation as a self-contained, verifiable evidence bundle (a zip file).

The export is itself logged first (an ``export`` record: who, when, why), then a
checkpoint is signed, and the bundle proves every record of the conversation up to
and including that export record against it.
"""

import asyncio
import base64
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import rtc_gateway
from rtc_gateway.evidence import bundle_format as layout
from rtc_gateway.evidence.bundle_zip import BundleWriter
from rtc_gateway.evidence.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint_body
from rtc_gateway.evidence.key_rotation import follow_chain
from rtc_gateway.evidence.signed_note import NoteError, parse_note
from rtc_gateway.evidence.transcript import TranscriptHeader, render_html, render_pdf
from rtc_gateway.evidence.transcript_wording import actor_label, line_of, officer_names
from rtc_gateway.ports.blob_store import BlobFiles
from rtc_gateway.ports.evidence_archive import EvidenceArchive, StoredRecord
from rtc_gateway.ports.evidence_log import EvidenceEntry, RecordKind
from rtc_gateway.security.private_files import create_missing_dirs, open_private

README_TEXT = """Evidence bundle of one conversation of the rtc-gateway evidence log.
Format {format}, written by rtc-gateway {version}.

WHICH VERIFIER READS IT
The verifier of rtc-gateway {version} (and of any later version that reads the format
{format}). It is:
  - in the rtc-gateway package: the command 'rtc-gateway verify', module
    rtc_gateway/evidence/verify.py;
  - in this bundle: verifier/ holds its sources and the modules it imports (they need
    only Python 3.11 or later and the 'cryptography' package), listed in manifest.json.
The copy in the bundle travels with the bundle: whoever doubts the bundle should run a
verifier obtained another way (the package), or compare verifier/ with it first.

HOW TO VERIFY IT, OFFLINE
    rtc-gateway verify THIS_FILE --trusted-key KEY
or, with only Python and 'cryptography':
    unzip THIS_FILE 'verifier/*' -d bundle-verifier
    PYTHONPATH=bundle-verifier/verifier \\
        python3 -m rtc_gateway.evidence.verify THIS_FILE --trusted-key KEY

KEY is the log's published public key: its operator prints it with
'rtc-gateway log-key' and hands it over separately from any bundle. It has the form
name+keyid+base64 (C2SP signed-note verifier key). Without --trusted-key the bundle is
only checked against itself: one whose keys and signatures were all replaced by a
forger's would still be consistent. The verifier prints the first key of the bundle's
chain as "first key (trust anchor)": it must be the published key.

WHAT IS IN IT
records.json holds the records (canonical JSON, as hashed into the log), the texts and
salts they commit to, and an RFC 9162 inclusion proof of each record to the signed
checkpoint in checkpoint.note. keys/ holds the log's public key and its rotations.
manifest.json lists the SHA-256 of every other file. transcript.html and
transcript.pdf are readable renderings only, not evidence. The format is described in
docs/evidence.md of the rtc-gateway sources and in the docstrings of verifier/.
"""


class ConversationNotFound(LookupError):
    """The log holds no record of that conversation."""


class UnusableCheckpoint(ValueError):
    """A checkpoint given to prove consistency from is not one of this log."""


class RecordingMissing(FileNotFoundError):
    """A recording named by the log is not in the recordings folder."""


class AttachmentMissing(RecordingMissing):
    """A case attachment named by the log is not in the attachment store."""


@dataclass(frozen=True, slots=True)
class Recording:
    path: str
    sha256: str
    size: int | None


async def export_conversation(
    log: EvidenceArchive,
    recordings_dir: Path,
    conversation_id: str,
    out_path: Path,
    *,
    reason: str,
    actor_role: str,
    actor_id: str,
    include_media: bool = True,
    earlier_checkpoints: Sequence[str] = (),
    attachments: BlobFiles | None = None,
) -> Path:
    """Log the export, sign a checkpoint and write the bundle to ``out_path``.

    ``earlier_checkpoints`` are signed checkpoint notes someone holds (from an earlier
    bundle, say): the bundle then also proves the log only grew since each of them.
    ``attachments`` is where a case's attached files are kept (media, like recordings).
    """
    held = [_held_checkpoint(note, log) for note in earlier_checkpoints]
    existing = await log.stored_records(conversation_id)
    if not existing:
        raise ConversationNotFound(conversation_id)
    if include_media:
        _check_recordings_present(existing, recordings_dir)
        _attachment_files(existing, attachments)
    exported = await log.append(
        EvidenceEntry(
            conversation_id=conversation_id,
            kind=RecordKind.EXPORTED,
            actor_role=actor_role,
            actor_id=actor_id,
            at=log.clock.now(),
            data={"reason": reason, "media": include_media},
        )
    )
    note = await log.checkpoint()
    checkpoint = parse_checkpoint_body(parse_note(note).text)
    records = await log.stored_records(conversation_id, exported.index)
    if await log.root_at(checkpoint.size) != checkpoint.root:
        raise RuntimeError("the stored leaves do not match the signed checkpoint")
    parsed = [(r, json.loads(r.record)) for r in records]
    earlier = await _earlier_checkpoints(log, parsed, exported.index)
    earlier.update(held)
    proofs = await log.inclusion_proofs([r.index for r in records], checkpoint.size)
    sizes = sorted(size for size in earlier if size <= checkpoint.size)
    consistency = await log.consistency_proofs(sizes, checkpoint.size)
    files = _bundle_files(log, note)
    files[layout.RECORDS] = _records_json(records, proofs)
    files[layout.BUNDLE] = _bundle_json(
        log,
        conversation_id,
        exported.index,
        include_media,
        checkpoint,
        dict(zip(sizes, consistency, strict=True)),
    )
    for size, earlier_note in earlier.items():
        files[f"{layout.EARLIER_DIR}{size}.note"] = earlier_note.encode("utf-8")
    media = _recordings(parsed) if include_media else []
    attached = _attachment_files(records, attachments) if include_media else {}
    _add_transcripts(files, parsed, checkpoint, exported.at, actor_role, actor_id, reason)
    await asyncio.to_thread(_write_zip, out_path, files, media, recordings_dir, attached)
    return out_path


def _held_checkpoint(note: str, log: EvidenceArchive) -> tuple[int, str]:
    """Size and text of a checkpoint of this log (its signature is checked)."""
    keys = follow_chain(log.verifier_key(), log.rotation_statements())
    try:
        checkpoint = open_checkpoint(note, keys)
    except NoteError as error:
        raise UnusableCheckpoint(str(error)) from error
    if checkpoint.size > log.size:
        raise UnusableCheckpoint(f"its {checkpoint.size} records are more than the log holds")
    return checkpoint.size, note


async def _earlier_checkpoints(
    log: EvidenceArchive, parsed: list[tuple[StoredRecord, dict[str, Any]]], export_index: int
) -> dict[int, str]:
    """Checkpoints signed for earlier exports of this conversation, by size."""
    found: dict[int, str] = {}
    for stored_record, record in parsed:
        if stored_record.index >= export_index or record["kind"] != RecordKind.EXPORTED:
            continue
        stored = await log.first_checkpoint_after(stored_record.index)
        if stored is not None:
            found[stored.size] = stored.note
    return found


def _bundle_files(log: EvidenceArchive, note: str) -> dict[str, bytes]:
    files = {
        layout.CHECKPOINT: note.encode("utf-8"),
        layout.VERIFIER_KEY: (log.verifier_key().encode() + "\n").encode("utf-8"),
        layout.README: readme_text().encode("utf-8"),
    }
    files.update(verifier_sources())
    for number, statement in enumerate(log.rotation_statements(), start=1):
        files[f"{layout.ROTATIONS_DIR}{number:04d}.note"] = statement.encode("utf-8")
    return files


def readme_text() -> str:
    return README_TEXT.format(format=layout.FORMAT, version=rtc_gateway.__version__)


def verifier_sources() -> dict[str, bytes]:
    """The verifier's sources as this package holds them, by bundle member name."""
    package_root = Path(rtc_gateway.__file__).parent.parent
    return {
        layout.VERIFIER_DIR + name: (package_root / name).read_bytes()
        for name in layout.VERIFIER_SOURCES
    }


def _records_json(records: list[StoredRecord], proofs: list[list[bytes]]) -> bytes:
    items = [
        {
            "index": r.index,
            "conversation_index": r.conversation_index,
            "record": r.record.decode("utf-8"),
            "text": r.text,
            "salt": r.salt.hex() if r.salt is not None else None,
            "inclusion_proof": [h.hex() for h in proof],
        }
        for r, proof in zip(records, proofs, strict=True)
    ]
    return json.dumps(items, ensure_ascii=False, indent=1).encode("utf-8")


def _bundle_json(
    log: EvidenceArchive,
    conversation_id: str,
    export_index: int,
    include_media: bool,
    checkpoint: Checkpoint,
    consistency: dict[int, list[bytes]],
) -> bytes:
    content: dict[str, Any] = {
        "format": layout.FORMAT,
        "origin": log.origin,
        "conversation": conversation_id,
        "export_index": export_index,
        "media_included": include_media,
        "checkpoint_size": checkpoint.size,
        "consistency": [
            {"from_size": size, "proof": [h.hex() for h in proof]}
            for size, proof in sorted(consistency.items())
        ],
    }
    return json.dumps(content, indent=1).encode("utf-8")


def _check_recordings_present(records: list[StoredRecord], recordings_dir: Path) -> None:
    """Fail before anything is logged when a recording the log names is not on disk."""
    for recording in _recordings([(r, json.loads(r.record)) for r in records]):
        if not (recordings_dir / recording.path).is_file():
            raise RecordingMissing(f"recording {recording.path} is not in {recordings_dir}")


def _attachment_files(records: list[StoredRecord],
                      attachments: BlobFiles | None) -> dict[str, Path]:
    """Bundle member name -> file of each attachment the records name; fails when one
    is not kept, unless the case was purged (its files are deleted with it)."""
    found: dict[str, Path] = {}
    parsed = [json.loads(stored.record) for stored in records]
    purged = layout.files_deleted_with_purge(record["kind"] for record in parsed)
    for record in parsed:
        for sha256, _ in layout.attachments_of(record["kind"], record["data"]):
            path = attachments.path_of(sha256) if attachments is not None else None
            if path is None and purged:
                continue
            if path is None:
                raise AttachmentMissing(f"attachment {sha256} is not in the attachment store")
            found[layout.ATTACHMENTS_DIR + sha256] = path
    return found


def _recordings(parsed: list[tuple[StoredRecord, dict[str, Any]]]) -> list[Recording]:
    found: list[Recording] = []
    for _, record in parsed:
        for path, sha256, size in layout.recordings_of(record["kind"], record["data"]):
            if not layout.safe_member_path(path):
                raise ValueError(f"recording path {path!r} leaves the recordings folder")
            found.append(Recording(path, sha256, size))
    return found


def _add_transcripts(
    files: dict[str, bytes],
    parsed: list[tuple[StoredRecord, dict[str, Any]]],
    checkpoint: Checkpoint,
    exported_at: datetime,
    actor_role: str,
    actor_id: str,
    reason: str,
) -> None:
    records = [record for _, record in parsed]
    names = officer_names(records)
    header = TranscriptHeader(
        conversation_id=str(records[0]["conversation"]),
        origin=checkpoint.origin,
        checkpoint_size=checkpoint.size,
        checkpoint_root_b64=base64.b64encode(checkpoint.root).decode(),
        exported_at=exported_at,
        exported_by=actor_label({"role": actor_role, "id": actor_id}, names),
        reason=reason,
    )
    lines = [
        line_of(record, stored.text, record["text_sha256"] is not None and stored.text is None,
                names)
        for stored, record in parsed
    ]
    files[layout.TRANSCRIPT_HTML] = render_html(header, lines).encode("utf-8")
    files[layout.TRANSCRIPT_PDF] = render_pdf(header, lines)


def _write_zip(
    out_path: Path,
    files: dict[str, bytes],
    media: list[Recording],
    recordings_dir: Path,
    attached: dict[str, Path],
) -> None:
    """Write atomically in the bundle layout; media is streamed from disk."""
    create_missing_dirs(out_path.parent)
    tmp = out_path.with_name(out_path.name + ".partial")
    try:
        _write_members(tmp, files, media, recordings_dir, attached)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, out_path)


def _write_members(
    tmp: Path,
    files: dict[str, bytes],
    media: list[Recording],
    recordings_dir: Path,
    attached: dict[str, Path],
) -> None:
    with open_private(tmp) as handle:
        writer = BundleWriter(handle)
        digests = {name: writer.add_bytes(name, files[name]) for name in sorted(files)}
        for recording in media:
            name = layout.RECORDINGS_DIR + recording.path
            if name not in digests:
                digests[name] = writer.add_file(name, recordings_dir / recording.path)
        for name, path in sorted(attached.items()):
            digests[name] = writer.add_file(name, path)
        manifest = {"algorithm": "sha256", "files": dict(sorted(digests.items()))}
        writer.add_bytes(layout.MANIFEST, json.dumps(manifest, indent=1).encode("utf-8"))
        writer.finish()
        handle.flush()
        os.fsync(handle.fileno())
