"""Each way of altering a bundle is rejected, naming the fault precisely.

The attacker is assumed to rewrite the manifest after each change (otherwise the
manifest check alone would catch everything); the checks behind it must hold.
"""

import asyncio
import base64
import hashlib
import json
import random
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rtc_gateway.evidence.bundle import export_conversation
from rtc_gateway.evidence.bundle_zip import BundleWriter
from rtc_gateway.evidence.checkpoint import Checkpoint, parse_checkpoint_body
from rtc_gateway.evidence.commands import EvidencePaths
from rtc_gateway.evidence.merkle import MerkleTree
from rtc_gateway.evidence.records import parse_record
from rtc_gateway.evidence.signed_note import VerifierKey, parse_note
from rtc_gateway.evidence.verify import verify_bundle
from rtc_gateway.security.keys import load_private_key

from .support import ORIGIN, ManualClock, make_log, populate

Files = dict[str, bytes]


@pytest.fixture
async def exported(tmp_path: Path) -> tuple[Path, Path, dict[str, Any]]:
    """A valid bundle of conv-1, and the record + proof of a conv-2 message."""
    clock = ManualClock()
    log = make_log(tmp_path, clock)
    await log.start()
    conversation = await populate(log, tmp_path, clock)
    out = tmp_path / "bundle.zip"
    await export_conversation(
        log, EvidencePaths.of(tmp_path).recordings, conversation.id, out,
        reason="PV 2026/0042", actor_role="supervisor", actor_id="sup-1",
    )
    size = parse_checkpoint_body(parse_note(_read(out)["checkpoint.note"].decode()).text).size
    tree = MerkleTree(await log.leaf_hashes(size))
    foreign = (await log.stored_records("conv-2"))[2]
    await log.close()
    stranger = {
        "index": foreign.index,
        "conversation_index": foreign.conversation_index,
        "record": foreign.record.decode(),
        "text": foreign.text,
        "salt": foreign.salt.hex() if foreign.salt else None,
        "inclusion_proof": [h.hex() for h in tree.inclusion_proof(foreign.index, size)],
    }
    return tmp_path, out, stranger


def _read(path: Path) -> Files:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write(path: Path, files: Files, fix_manifest: bool = True) -> None:
    """Rewrite a bundle as the exporter lays it out (a careful forger would too)."""
    files = dict(files)
    if fix_manifest:
        digests = {
            n: hashlib.sha256(c).hexdigest() for n, c in files.items() if n != "manifest.json"
        }
        files["manifest.json"] = json.dumps({"algorithm": "sha256", "files": digests}).encode()
    with open(path, "wb") as handle:
        writer = BundleWriter(handle)
        for name, content in files.items():
            writer.add_bytes(name, content)
        writer.finish()


def _records(files: Files) -> list[dict[str, Any]]:
    return list(json.loads(files["records.json"]))


def _set_records(files: Files, records: list[dict[str, Any]]) -> None:
    files["records.json"] = json.dumps(records, ensure_ascii=False).encode()


def _message(records: list[dict[str, Any]], seq: int) -> dict[str, Any]:
    return next(r for r in records if parse_record(r["record"].encode()).seq == seq
                and '"kind":"message"' in r["record"])


def change_text_byte(files: Files, _: dict[str, Any]) -> None:
    records = _records(files)
    message = _message(records, 2)
    message["text"] = message["text"].replace("m", "n", 1)
    _set_records(files, records)


def change_timestamp(files: Files, _: dict[str, Any]) -> None:
    records = _records(files)
    message = _message(records, 3)
    message["record"] = message["record"].replace('"at":"2026-11-30T08:', '"at":"2026-11-30T07:')
    _set_records(files, records)


def delete_record(files: Files, _: dict[str, Any]) -> None:
    records = _records(files)
    records.remove(_message(records, 3))
    _set_records(files, records)


def swap_records(files: Files, _: dict[str, Any]) -> None:
    records = _records(files)
    a, b = records.index(_message(records, 2)), records.index(_message(records, 3))
    records[a], records[b] = records[b], records[a]
    _set_records(files, records)


def insert_forged_record(files: Files, _: dict[str, Any]) -> None:
    records = _records(files)
    forged = dict(_message(records, 2))
    forged["record"] = forged["record"].replace('"seq":2', '"seq":3')
    records.insert(records.index(_message(records, 2)) + 1, forged)
    _set_records(files, records)


def insert_other_conversation_record(files: Files, stranger: dict[str, Any]) -> None:
    records = _records(files)
    records.insert(3, stranger)
    _set_records(files, records)


def truncate_log(files: Files, _: dict[str, Any]) -> None:
    _set_records(files, _records(files)[:-3])


def move_record_to_other_conversation(files: Files, _: dict[str, Any]) -> None:
    records = _records(files)
    message = _message(records, 4)
    message["record"] = message["record"].replace('"conversation":"conv-1"',
                                                  '"conversation":"conv-2"')
    _set_records(files, records)


def replace_signature(files: Files, _: dict[str, Any]) -> None:
    note = files["checkpoint.note"].decode()
    body, _, sig = note.rpartition("\u2014 ")
    name, blob = sig.split(" ")
    raw = bytearray(base64.b64decode(blob))
    raw[10] ^= 1
    files["checkpoint.note"] = (
        body + "\u2014 " + name + " " + base64.b64encode(bytes(raw)).decode() + "\n"
    ).encode()


def replace_key(files: Files, _: dict[str, Any]) -> None:
    files["keys/log.vkey"] = (VerifierKey.of(ORIGIN, Ed25519PrivateKey.generate()).encode()
                              + "\n").encode()


def resign_with_another_key(files: Files, _: dict[str, Any]) -> None:
    """The attacker re-signs the checkpoint with a key of their own and ships it."""
    attacker = Ed25519PrivateKey.generate()
    checkpoint = parse_checkpoint_body(parse_note(files["checkpoint.note"].decode()).text)
    files["checkpoint.note"] = checkpoint.sign(attacker).encode()
    files["keys/log.vkey"] = (VerifierKey.of(ORIGIN, attacker).encode() + "\n").encode()


def change_recording(files: Files, _: dict[str, Any]) -> None:
    name = "recordings/conv-1/room-1-citizen.webm"
    content = bytearray(files[name])
    content[100] ^= 0xFF
    files[name] = bytes(content)


def change_room_manifest(files: Files, _: dict[str, Any]) -> None:
    name = "recordings/conv-1/SHA256SUMS"
    files[name] = files[name].replace(b"room-1", b"room-2")


def drop_recording_claiming_no_media(files: Files, _: dict[str, Any]) -> None:
    del files["recordings/conv-1/room-1-citizen.webm"]
    del files["recordings/conv-1/SHA256SUMS"]
    bundle = json.loads(files["bundle.json"])
    bundle["media_included"] = False
    files["bundle.json"] = json.dumps(bundle).encode()


CASES: list[tuple[Callable[[Files, dict[str, Any]], None], str]] = [
    (change_text_byte, "the text of message seq 2 does not match its commitment"),
    (change_timestamp, "not in the signed log"),
    (
        delete_record,
        "record 5 (log index 9): conversation index is 6, expected 5:"
        " a record is missing (conversation index 5)",
    ),
    (swap_records, "records reordered"),
    (insert_forged_record, "not in the signed log"),
    (insert_other_conversation_record, "belongs to conversation 'conv-2', not 'conv-1'"),
    (truncate_log, "records were removed from the end"),
    (move_record_to_other_conversation, "not in the signed log"),
    (replace_signature, "checkpoint: the checkpoint carries no valid signature"),
    (replace_key, "checkpoint: the checkpoint carries no valid signature"),
    (change_recording, "does not have the SHA-256 the log recorded"),
    (change_room_manifest, "SHA256SUMS does not have the SHA-256 the log recorded"),
    (drop_recording_claiming_no_media, "media_included differs from what the export record says"),
]


async def test_untouched_bundle_verifies(exported: tuple[Path, Path, dict[str, Any]]) -> None:
    _, bundle, _ = exported
    result = verify_bundle(bundle)
    assert result.ok, result.fault
    assert any("5 messages (seq 1..5)" in line for line in result.summary)


@pytest.mark.parametrize(("tamper", "reason"), CASES, ids=[c[0].__name__ for c in CASES])
async def test_tampering_is_rejected_with_its_reason(
    exported: tuple[Path, Path, dict[str, Any]],
    tamper: Callable[[Files, dict[str, Any]], None],
    reason: str,
    tmp_path: Path,
) -> None:
    _, bundle, stranger = exported
    files = _read(bundle)
    tamper(files, stranger)
    altered = tmp_path / "altered.zip"
    _write(altered, files)
    result = verify_bundle(altered)
    assert not result.ok
    assert reason in (result.fault or ""), result.fault


async def test_file_changed_without_manifest_is_named(
    exported: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    _, bundle, _ = exported
    files = _read(bundle)
    files["transcript.html"] = files["transcript.html"].replace(b"Bonjour", b"Bonsoir")
    _write(tmp_path / "a.zip", files, fix_manifest=False)
    fault = verify_bundle(tmp_path / "a.zip").fault or ""
    assert fault.startswith("manifest: transcript.html has SHA-256")
    files = _read(bundle)
    files["extra.txt"] = b"hello"
    _write(tmp_path / "b.zip", files, fix_manifest=False)
    assert "extra.txt is in the bundle but not in the manifest" in (
        verify_bundle(tmp_path / "b.zip").fault or ""
    )


async def test_key_substitution_is_caught_by_the_trusted_key(
    exported: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    data_dir, bundle, _ = exported
    real = VerifierKey.of(ORIGIN, load_private_key(EvidencePaths.of(data_dir).key)).encode()
    assert verify_bundle(bundle, trusted_key=real).ok
    files = _read(bundle)
    resign_with_another_key(files, {})
    _write(tmp_path / "resigned.zip", files)
    assert verify_bundle(tmp_path / "resigned.zip").ok  # self-consistent without an anchor
    result = verify_bundle(tmp_path / "resigned.zip", trusted_key=real)
    assert result.fault == "keys: the log key is not the trusted key nor rotated from it"


async def test_earlier_checkpoint_of_a_forked_log_is_rejected(
    exported: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    data_dir, bundle, _ = exported
    key = load_private_key(EvidencePaths.of(data_dir).key)
    checkpoint = parse_checkpoint_body(parse_note(_read(bundle)["checkpoint.note"].decode()).text)
    forked = Checkpoint(ORIGIN, checkpoint.size, bytes(32)).sign(key)
    result = verify_bundle(bundle, earlier_checkpoint=forked)
    assert not result.ok
    assert "does not extend the earlier checkpoint given" in (result.fault or "")
    smaller = Checkpoint(ORIGIN, checkpoint.size - 1, bytes(32)).sign(key)
    assert "no proof in the bundle from size" in (verify_bundle(bundle, smaller).fault or "")


async def test_verify_command_exit_codes(
    exported: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    _, bundle, _ = exported
    code, out, err = await _verify_process(bundle)
    assert code == 0, err
    assert out.startswith("OK: the bundle verifies")
    files = _read(bundle)
    delete_record(files, {})
    _write(tmp_path / "bad.zip", files)
    code, _, err = await _verify_process(tmp_path / "bad.zip")
    assert code == 1
    assert "FAILED: record 5 (log index 9)" in err
    assert "a record is missing" in err


async def _verify_process(bundle: Path) -> tuple[int, str, str]:
    """The stand-alone verifier, in its own process."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "rtc_gateway.evidence.verify", str(bundle),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_any_changed_byte_of_the_file_is_a_named_fault(
    exported: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    """Every byte of the zip structure, and a sample of the members' bytes."""
    _, bundle, _ = exported
    original = bundle.read_bytes()
    with zipfile.ZipFile(bundle) as archive:
        data = set()
        for info in archive.infolist():
            start = info.header_offset + 30 + len(info.filename.encode())
            data.update(range(start, start + info.file_size))
    structure = [p for p in range(len(original)) if p not in data]
    rnd = random.Random(7)
    positions = structure + rnd.sample(sorted(data), 100)
    target = tmp_path / "flipped.zip"
    for position in positions:
        altered = bytearray(original)
        altered[position] ^= 1 << rnd.randrange(8)
        target.write_bytes(bytes(altered))
        result = verify_bundle(target)
        assert not result.ok, f"a flip at byte {position} went unnoticed"
        assert result.fault


async def test_a_bundle_rezipped_with_other_tools_is_named(
    exported: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    _, bundle, _ = exported
    files = _read(bundle)
    with zipfile.ZipFile(tmp_path / "rezipped.zip", "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    fault = verify_bundle(tmp_path / "rezipped.zip").fault or ""
    assert fault.startswith("zip: ")
    _write(tmp_path / "same.zip", files, fix_manifest=False)
    assert (tmp_path / "same.zip").read_bytes() == bundle.read_bytes()
