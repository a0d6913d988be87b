"""Offline verifier of an evidence bundle: standard library and ``cryptography`` only.

Checks, in this order, and stops at the first fault, which it names precisely:

0. the zip itself: exactly the bundle layout (``bundle_zip``), so no byte of the
   file escapes the checks below;
1. the manifest: every file's SHA-256, no file missing or added;
2. the keys: the chain of key rotations from the first key to the key in use
   (and, if given, that the first key is the one the expert trusts);
3. the checkpoint's Ed25519 signature by the key in use;
4. each record: its RFC 9162 inclusion proof to the checkpoint root, its canonical
   form, that it belongs to this conversation, log order, the conversation chain
   (``conversation_index`` 1, 2, ... and the hash of the previous record), message
   ``seq`` 1, 2, ... and its text commitment (erased text is reported, not a fault);
5. that the records run up to the bundle's own export record;
6. the recordings and a case's attachments: SHA-256 and size as the log recorded them;
7. consistency proofs from the checkpoints of earlier exports, and from an earlier
   checkpoint the expert holds, if given.

Run as ``python -m rtc_gateway.evidence.verify BUNDLE [--earlier-checkpoint FILE]``.
"""

import argparse
import hashlib
import hmac
import json
import os
import sys
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from rtc_gateway.evidence import bundle_format as layout
from rtc_gateway.evidence.bundle_zip import LayoutError, Member, check_layout
from rtc_gateway.evidence.checkpoint import Checkpoint, open_checkpoint
from rtc_gateway.evidence.key_rotation import follow_chain
from rtc_gateway.evidence.merkle import ProofError, leaf_hash, verify_consistency, verify_inclusion
from rtc_gateway.evidence.records import ParsedRecord, parse_record, text_commitment
from rtc_gateway.evidence.signed_note import NoteError, VerifierKey


class Fault(Exception):
    """The first thing found wrong with a bundle."""


@dataclass
class VerifyResult:
    ok: bool
    fault: str | None = None
    summary: list[str] = field(default_factory=list)
    erased: list[int] = field(default_factory=list)
    """Log indexes of records whose text was erased (reported, not a fault)."""
    attachments_deleted: int = 0
    """Attachments of a purged case left out because they were deleted with it."""


def verify_bundle(
    path: Path,
    earlier_checkpoint: str | None = None,
    trusted_key: str | None = None,
) -> VerifyResult:
    """Verify a bundle; ``earlier_checkpoint`` is a signed checkpoint note's text."""
    result = VerifyResult(ok=False)
    try:
        with open(path, "rb") as handle, zipfile.ZipFile(handle) as archive:
            _check_zip_layout(handle, archive)
            _Verifier(archive, result).run(earlier_checkpoint, trusted_key)
    except Fault as fault:
        result.fault = str(fault)
        return result
    except (zipfile.BadZipFile, OSError, zlib.error, EOFError, NotImplementedError) as error:
        result.fault = f"the bundle cannot be read as a zip file: {error}"
        return result
    except Exception as error:  # whatever else a forged file provokes is a fault, not a crash
        result.fault = f"the bundle is malformed: {type(error).__name__}: {error}"
        return result
    result.ok = True
    return result


def _check_zip_layout(handle: BinaryIO, archive: zipfile.ZipFile) -> None:
    members = []
    for info in archive.infolist():
        if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
            raise Fault(f"zip: {info.filename} is compressed; bundle members are stored")
        members.append(Member(info.filename, info.CRC, info.file_size, info.header_offset))
    try:
        check_layout(handle, members, handle.seek(0, os.SEEK_END))
    except LayoutError as error:
        raise Fault(f"zip: {error}") from error


class _Verifier:
    def __init__(self, archive: zipfile.ZipFile, result: VerifyResult) -> None:
        self.archive = archive
        self.result = result
        self.files: dict[str, bytes] = {}
        """Contents of the members other than recordings."""
        self.digests: dict[str, tuple[str, int]] = {}
        """SHA-256 (hex) and size of every member but the manifest."""

    def run(self, earlier_checkpoint: str | None, trusted_key: str | None) -> None:
        self._check_manifest()
        bundle = self._json(layout.BUNDLE)
        if bundle.get("format") != layout.FORMAT:
            raise Fault(f"bundle.json: unknown format {bundle.get('format')!r}")
        chain = self._key_chain(trusted_key)
        checkpoint = self._checkpoint(chain[-1], bundle)
        records = self._records(checkpoint, bundle)
        self._check_recordings(records, bool(bundle.get("media_included")))
        self._check_attachments(records, bool(bundle.get("media_included")))
        self._check_earlier(bundle, chain, checkpoint, earlier_checkpoint)
        self._summarise(bundle, chain, checkpoint, records)

    # 1. manifest -------------------------------------------------------------

    def _check_manifest(self) -> None:
        names = [info.filename for info in self.archive.infolist()]
        if len(names) != len(set(names)):
            raise Fault("manifest: the zip holds two files of the same name")
        if layout.MANIFEST not in names:
            raise Fault("manifest: manifest.json is missing")
        manifest = json.loads(self.archive.read(layout.MANIFEST))
        listed: dict[str, str] = manifest.get("files", {})
        if manifest.get("algorithm") != "sha256":
            raise Fault("manifest: the algorithm is not sha256")
        for name in names:
            if name == layout.MANIFEST:
                continue
            if name not in listed:
                raise Fault(f"manifest: {name} is in the bundle but not in the manifest")
            digest, size = self._hash_member(name)
            if not hmac.compare_digest(digest, str(listed[name])):
                raise Fault(
                    f"manifest: {name} has SHA-256 {digest}, the manifest says {listed[name]}"
                )
            self.digests[name] = (digest, size)
        for name in listed:
            if name not in self.digests:
                raise Fault(f"manifest: {name} is listed but missing from the bundle")

    def _hash_member(self, name: str) -> tuple[str, int]:
        """Stream the member (recordings can be large); keep the small ones in memory."""
        digest, size = hashlib.sha256(), 0
        keep = not name.startswith((layout.RECORDINGS_DIR, layout.ATTACHMENTS_DIR))
        pieces = []
        with self.archive.open(name) as member:
            while chunk := member.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
                if keep:
                    pieces.append(chunk)
        if keep:
            self.files[name] = b"".join(pieces)
        return digest.hexdigest(), size

    def _json(self, name: str) -> Any:
        if name not in self.files:
            raise Fault(f"{name} is missing")
        try:
            return json.loads(self.files[name].decode("utf-8"))
        except ValueError as error:
            raise Fault(f"{name} is not valid JSON: {error}") from error

    def _text(self, name: str) -> str:
        if name not in self.files:
            raise Fault(f"{name} is missing")
        return self.files[name].decode("utf-8")

    # 2-3. keys and checkpoint --------------------------------------------------

    def _key_chain(self, trusted_key: str | None) -> list[VerifierKey]:
        try:
            current = VerifierKey.decode(self._text(layout.VERIFIER_KEY))
            statements = [
                self._text(name)
                for name in sorted(self.files)
                if name.startswith(layout.ROTATIONS_DIR)
            ]
            chain = follow_chain(current, statements)
            if trusted_key is not None:
                trusted = VerifierKey.decode(trusted_key)
                if trusted not in chain:
                    raise Fault("keys: the log key is not the trusted key nor rotated from it")
        except NoteError as error:
            raise Fault(f"keys: {error}") from error
        return chain

    def _checkpoint(self, key: VerifierKey, bundle: dict[str, Any]) -> Checkpoint:
        try:
            checkpoint = open_checkpoint(self._text(layout.CHECKPOINT), [key])
        except NoteError as error:
            raise Fault(f"checkpoint: {error}") from error
        if checkpoint.origin != bundle.get("origin"):
            raise Fault(f"checkpoint: origin {checkpoint.origin!r} is not the bundle's")
        return checkpoint

    # 4-5. records ----------------------------------------------------------------

    def _records(self, checkpoint: Checkpoint, bundle: dict[str, Any]) -> list[ParsedRecord]:
        items = self._json(layout.RECORDS)
        if not isinstance(items, list) or not items:
            raise Fault("records.json holds no records")
        conversation = bundle.get("conversation")
        parsed: list[ParsedRecord] = []
        previous_index = -1
        previous_leaf: bytes | None = None
        last_seq = 0
        for position, item in enumerate(items, start=1):
            where = f"record {position} (log index {item.get('index')})"
            index, blob, leaf = self._prove(item, checkpoint, where)
            try:
                record = parse_record(blob)
            except ValueError as error:
                raise Fault(f"{where}: {error}") from error
            if record.conversation_id != conversation:
                raise Fault(
                    f"{where}: belongs to conversation {record.conversation_id!r},"
                    f" not {conversation!r}"
                )
            if index <= previous_index:
                raise Fault(f"{where}: comes after log index {previous_index}: records reordered")
            if record.conversation_index != len(parsed) + 1:
                later = [it.get("conversation_index") for it in items[position:]]
                raise Fault(
                    f"{where}: conversation index is {record.conversation_index},"
                    f" expected {len(parsed) + 1}: "
                    + _gap_reason(len(parsed) + 1, record.conversation_index, later)
                )
            if record.prev != previous_leaf:
                raise Fault(f"{where}: does not link to the previous record: chain broken")
            if record.kind == "message":
                if record.seq != last_seq + 1:
                    raise Fault(f"{where}: message seq {record.seq} follows seq {last_seq}")
                last_seq = record.seq
            self._check_text(item, record, index, where)
            parsed.append(record)
            previous_index, previous_leaf = index, leaf
        export_index = bundle.get("export_index")
        if previous_index != export_index or parsed[-1].kind != "export":
            raise Fault(
                f"records end at log index {previous_index}, not at the export record"
                f" {export_index}: records were removed from the end"
            )
        if bool(parsed[-1].data.get("media")) != bool(bundle.get("media_included")):
            raise Fault("bundle.json: media_included differs from what the export record says")
        return parsed

    def _prove(
        self, item: dict[str, Any], checkpoint: Checkpoint, where: str
    ) -> tuple[int, bytes, bytes]:
        try:
            index = int(item["index"])
            blob = str(item["record"]).encode("utf-8")
            proof = [bytes.fromhex(h) for h in item["inclusion_proof"]]
        except (KeyError, TypeError, ValueError) as error:
            raise Fault(f"{where}: malformed entry in records.json ({error})") from error
        leaf = leaf_hash(blob)
        try:
            verify_inclusion(index, checkpoint.size, leaf, proof, checkpoint.root)
        except ProofError as error:
            raise Fault(
                f"{where}: not in the signed log ({error}): the record was altered or is not"
                " at this position"
            ) from error
        return index, blob, leaf

    def _check_text(
        self, item: dict[str, Any], record: ParsedRecord, index: int, where: str
    ) -> None:
        text, salt = item.get("text"), item.get("salt")
        if record.text_sha256 is None:
            if text is not None:
                raise Fault(f"{where}: has text but the record commits to none")
            return
        if text is None:
            self.result.erased.append(index)
            return
        try:
            salt_bytes = bytes.fromhex(str(salt))
        except ValueError as error:
            raise Fault(f"{where}: the salt is not hex") from error
        label = f"message seq {record.seq}" if record.kind == "message" else record.kind
        if text_commitment(salt_bytes, str(text)) != record.text_sha256:
            raise Fault(f"{where}: the text of {label} does not match its commitment")

    # 6. recordings -----------------------------------------------------------

    def _check_recordings(self, records: list[ParsedRecord], media_included: bool) -> None:
        expected: dict[str, tuple[str, int | None]] = {}
        for record in records:
            for path, sha256, size in layout.recordings_of(record.kind, record.data):
                expected[layout.RECORDINGS_DIR + path] = (sha256, size)
        present = {name for name in self.digests if name.startswith(layout.RECORDINGS_DIR)}
        for name in sorted(present - set(expected)):
            raise Fault(f"recordings: {name} is not a recording of this conversation")
        if not media_included:
            if present:
                raise Fault("recordings: the bundle says media was left out but holds some")
            return
        for name, (sha256, size) in sorted(expected.items()):
            if name not in self.digests:
                raise Fault(f"recordings: {name} is missing")
            digest, actual_size = self.digests[name]
            if size is not None and actual_size != size:
                raise Fault(f"recordings: {name} has {actual_size} bytes, the log says {size}")
            if digest != sha256:
                raise Fault(f"recordings: {name} does not have the SHA-256 the log recorded")

    def _check_attachments(self, records: list[ParsedRecord], media_included: bool) -> None:
        expected: dict[str, int | None] = {}
        for record in records:
            for sha256, size in layout.attachments_of(record.kind, record.data):
                expected[layout.ATTACHMENTS_DIR + sha256] = size
        present = {name for name in self.digests if name.startswith(layout.ATTACHMENTS_DIR)}
        for name in sorted(present - set(expected)):
            raise Fault(f"attachments: {name} is not an attachment of this case")
        if not media_included:
            if present:
                raise Fault("attachments: the bundle says media was left out but holds some")
            return
        purged = layout.files_deleted_with_purge(record.kind for record in records)
        for name, size in sorted(expected.items()):
            if name not in self.digests and purged:
                self.result.attachments_deleted += 1
                continue
            if name not in self.digests:
                raise Fault(f"attachments: {name} is missing")
            digest, actual_size = self.digests[name]
            if size is not None and actual_size != size:
                raise Fault(f"attachments: {name} has {actual_size} bytes, the log says {size}")
            if digest != name.removeprefix(layout.ATTACHMENTS_DIR):
                raise Fault(f"attachments: {name} does not have the SHA-256 the log recorded")

    # 7. consistency ----------------------------------------------------------

    def _check_earlier(
        self,
        bundle: dict[str, Any],
        chain: list[VerifierKey],
        checkpoint: Checkpoint,
        external: str | None,
    ) -> None:
        proofs = {int(p["from_size"]): p["proof"] for p in bundle.get("consistency", [])}
        notes = [
            (name, self._text(name))
            for name in sorted(self.files)
            if name.startswith(layout.EARLIER_DIR)
        ]
        if external is not None:
            notes.append(("the earlier checkpoint given", external))
        for name, text in notes:
            try:
                earlier = open_checkpoint(text, chain)
            except NoteError as error:
                raise Fault(f"consistency: {name}: {error}") from error
            if earlier.origin != checkpoint.origin:
                raise Fault(f"consistency: {name} is of another log ({earlier.origin!r})")
            if earlier.size == checkpoint.size:
                proof: list[str] = []
            elif earlier.size not in proofs:
                raise Fault(f"consistency: no proof in the bundle from size {earlier.size}")
            else:
                proof = proofs[earlier.size]
            try:
                verify_consistency(
                    earlier.size,
                    checkpoint.size,
                    earlier.root,
                    checkpoint.root,
                    [bytes.fromhex(h) for h in proof],
                )
            except (ProofError, ValueError) as error:
                raise Fault(
                    f"consistency: the log of {checkpoint.size} records does not extend {name}"
                    f" of {earlier.size} records ({error})"
                ) from error
            self.result.summary.append(
                f"append-only since the checkpoint of {earlier.size} records ({name}): ok"
            )

    # summary -----------------------------------------------------------------

    def _summarise(
        self,
        bundle: dict[str, Any],
        chain: list[VerifierKey],
        checkpoint: Checkpoint,
        records: list[ParsedRecord],
    ) -> None:
        messages = [r for r in records if r.kind == "message"]
        recordings = sum(len(layout.recordings_of(r.kind, r.data)) for r in records)
        attachments = sum(len(layout.attachments_of(r.kind, r.data)) for r in records)
        deleted = self.result.attachments_deleted
        export = records[-1]
        seqs = f" (seq 1..{len(messages)})" if messages else ""
        lines = [
            f"bundle intact: {_counted(len(self.digests), 'file')} match the manifest",
            f"log {checkpoint.origin}: checkpoint of {_counted(checkpoint.size, 'record')}"
            f" signed by key {chain[-1].key_id.hex()}",
            f"first key (trust anchor): {chain[0].encode()}"
            + (f" ({_counted(len(chain) - 1, 'rotation')})" if len(chain) > 1 else ""),
            f"conversation {bundle['conversation']}: {_counted(len(records), 'record')},"
            f" chain intact, {_counted(len(messages), 'message')}{seqs},"
            f" from {records[0].at} to {records[-1].at}",
            f"texts: {len(self.result.erased)} erased at retention, the rest match",
            "recordings: "
            + (
                f"{_counted(recordings, 'file')} verified"
                if bundle.get("media_included")
                else "not included"
            ),
            *(
                [
                    "attachments: "
                    + (
                        f"{_counted(attachments - deleted, 'file')} verified"
                        + (f", {deleted} deleted with the purge of the case" if deleted
                           else "")
                        if bundle.get("media_included")
                        else f"not included ({_counted(attachments, 'hash', 'hashes')} in the log)"
                    )
                ]
                if attachments
                else []
            ),
            f"exported {export.at} by {export.actor_role} {export.actor_id},"
            f" reason: {export.data.get('reason', '')}",
        ]
        self.result.summary[:0] = lines


def _counted(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {plural or noun + 's'}"


def _gap_reason(expected: int, found: int, later: list[Any]) -> str:
    if expected in later:
        return "records reordered"
    if found > expected:
        missing = str(expected) if found == expected + 1 else f"{expected} to {found - 1}"
        return f"a record is missing (conversation index {missing})"
    return "a record was added"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify an evidence bundle offline.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundle", type=Path, help="the bundle (.zip) to verify")
    parser.add_argument(
        "--earlier-checkpoint",
        type=Path,
        help="a signed checkpoint (or an earlier bundle) the log must extend",
    )
    parser.add_argument(
        "--trusted-key", help="the log's published verifier key (name+id+key) to anchor trust"
    )


def run(args: argparse.Namespace) -> int:
    earlier = None
    if args.earlier_checkpoint is not None:
        try:
            earlier = read_checkpoint_file(args.earlier_checkpoint)
        except (OSError, UnicodeDecodeError, KeyError, zipfile.BadZipFile) as error:
            print(f"FAILED: cannot read the earlier checkpoint: {error}", file=sys.stderr)
            return 2
    result = verify_bundle(args.bundle, earlier, args.trusted_key)
    if not result.ok:
        print(f"FAILED: {result.fault}", file=sys.stderr)
        return 1
    print("OK: the bundle verifies")
    for line in result.summary:
        print(f"  {line}")
    return 0


def read_checkpoint_file(path: Path) -> str:
    """A checkpoint note, or the checkpoint inside an earlier bundle."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return archive.read(layout.CHECKPOINT).decode("utf-8")
    return path.read_text("utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
