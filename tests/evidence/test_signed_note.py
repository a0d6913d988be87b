"""Signed notes, checkpoints and key rotation.

The PeterNeumann key, text and signature are the example of the Go reference
implementation of signed notes (golang.org/x/mod/sumdb/note, its documentation and
note_test.go), which the C2SP signed-note specification follows.
"""

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rtc_gateway.evidence.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint_body
from rtc_gateway.evidence.key_rotation import follow_chain
from rtc_gateway.evidence.key_store import read_statements, rotate_key
from rtc_gateway.evidence.signed_note import NoteError, VerifierKey, parse_note, sign_note
from rtc_gateway.security.keys import load_or_create_private_key, load_private_key

GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def _go_private_key() -> Ed25519PrivateKey:
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])[1:]
    return Ed25519PrivateKey.from_private_bytes(seed)


def test_reference_verifier_key_decodes_and_reencodes() -> None:
    key = VerifierKey.decode(GO_VKEY)
    assert key.name == "PeterNeumann"
    assert key.key_id.hex() == "c74f20a3"
    assert key.encode() == GO_VKEY
    assert VerifierKey.of("PeterNeumann", _go_private_key()) == key


def test_reference_note_is_reproduced_and_verifies() -> None:
    assert sign_note(GO_TEXT, "PeterNeumann", _go_private_key()).encode() == GO_NOTE
    assert parse_note(GO_NOTE).signed_by(VerifierKey.decode(GO_VKEY))


def test_altered_note_text_does_not_verify() -> None:
    altered = GO_NOTE.replace("answer", "Answer")
    assert not parse_note(altered).signed_by(VerifierKey.decode(GO_VKEY))


@pytest.mark.parametrize(
    "bad",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+AhpjZHNhQwDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
        "Peter+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_malformed_verifier_keys_are_refused(bad: str) -> None:
    with pytest.raises(NoteError):
        VerifierKey.decode(bad)


def test_checkpoint_round_trip_and_format() -> None:
    key = Ed25519PrivateKey.generate()
    checkpoint = Checkpoint("example.org/log", 42, bytes(range(32)))
    note = checkpoint.sign(key)
    assert note.startswith(
        "example.org/log\n42\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "\n\u2014 example.org/log "
    )
    vkey = VerifierKey.of("example.org/log", key)
    assert open_checkpoint(note, [vkey]) == checkpoint
    other = VerifierKey.of("example.org/log", Ed25519PrivateKey.generate())
    with pytest.raises(NoteError):
        open_checkpoint(note, [other])
    with pytest.raises(NoteError):
        open_checkpoint(note.replace("\n42\n", "\n41\n"), [vkey])
    with pytest.raises(NoteError):
        parse_checkpoint_body("example.org/log\n042\nAAAA\n")


def test_rotation_chain(tmp_path: Path) -> None:
    key_path = tmp_path / "keys" / "log-signing.key"
    first = VerifierKey.of("o", load_or_create_private_key(key_path))
    assert key_path.stat().st_mode & 0o777 == 0o600
    when = datetime(2026, 11, 30, tzinfo=UTC)
    second = rotate_key(key_path, "o", when)
    third = rotate_key(key_path, "o", when)
    assert VerifierKey.of("o", load_private_key(key_path)) == third
    assert key_path.stat().st_mode & 0o777 == 0o600
    statements = read_statements(key_path, third)
    assert follow_chain(third, statements) == [first, second, third]
    assert follow_chain(second, read_statements(key_path, second)) == [first, second]
    assert read_statements(key_path, first) == []
    with pytest.raises(NoteError):
        follow_chain(third, statements[1:] + statements[:1])
    with pytest.raises(NoteError):
        follow_chain(second, statements)
    forged = statements[1].replace("time 2026", "time 2027")
    with pytest.raises(NoteError):
        follow_chain(third, [statements[0], forged])


def test_rotation_interrupted_after_the_key_was_replaced_is_completed(tmp_path: Path) -> None:
    key_path = tmp_path / "log-signing.key"
    load_or_create_private_key(key_path)
    new = rotate_key(key_path, "o", datetime(2026, 11, 30, tzinfo=UTC))
    final = next((tmp_path / "rotations").glob("*.note"))
    final.rename(final.with_name(final.name + ".pending"))
    assert len(read_statements(key_path, new)) == 1
    assert final.exists()


def test_rotation_interrupted_before_the_key_was_replaced_is_dropped(tmp_path: Path) -> None:
    key_path = tmp_path / "log-signing.key"
    current = VerifierKey.of("o", load_or_create_private_key(key_path))
    rotate_key(key_path, "o", datetime(2026, 11, 30, tzinfo=UTC))
    statement = next((tmp_path / "rotations").glob("*.note"))
    statement.rename(statement.with_name(statement.name + ".pending"))
    # the key file still holds the new key; put the old one back, as if the crash
    # had come before the key was replaced
    old_key = Ed25519PrivateKey.generate()
    from rtc_gateway.security.keys import write_private_key

    write_private_key(key_path, old_key)
    assert read_statements(key_path, current) == []
    assert not list((tmp_path / "rotations").iterdir())
