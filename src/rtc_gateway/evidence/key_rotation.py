"""Rotation of the log's signing key: the old key vouches for the new one.

A rotation statement is a signed note, signed by both the old key (authority) and the
new key (proof of possession)::

    rtc-gateway evidence key rotation v1
    origin <origin>
    old <verifier key>
    new <verifier key>
    time <RFC 3339 UTC>

Statements live beside the key as ``rotations/NNNN.note``. A verifier that trusts the
first key follows the statements in order to the key in use today.
"""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.evidence.signed_note import NoteError, VerifierKey, parse_note, sign_note
from rtc_gateway.security.keys import load_private_key, write_private_key

HEADER = "rtc-gateway evidence key rotation v1"
PENDING_SUFFIX = ".pending"


@dataclass(frozen=True, slots=True)
class Rotation:
    origin: str
    old: VerifierKey
    new: VerifierKey
    time: str


def rotations_dir(key_path: Path) -> Path:
    return key_path.parent / "rotations"


def statement_text(origin: str, old: VerifierKey, new: VerifierKey, time: str) -> str:
    return f"{HEADER}\norigin {origin}\nold {old.encode()}\nnew {new.encode()}\ntime {time}\n"


def parse_rotation(encoded: str) -> Rotation:
    """Parse a statement and check both its signatures."""
    note = parse_note(encoded)
    lines = note.text.split("\n")
    if len(lines) != 6 or lines[0] != HEADER:
        raise NoteError("not a key rotation statement")
    fields = dict(line.split(" ", 1) for line in lines[1:5] if " " in line)
    if set(fields) != {"origin", "old", "new", "time"}:
        raise NoteError("a rotation statement names origin, old, new and time")
    rotation = Rotation(
        fields["origin"],
        VerifierKey.decode(fields["old"]),
        VerifierKey.decode(fields["new"]),
        fields["time"],
    )
    if not note.signed_by(rotation.old):
        raise NoteError(f"rotation of {rotation.time} is not signed by the old key")
    if not note.signed_by(rotation.new):
        raise NoteError(f"rotation of {rotation.time} is not signed by the new key")
    return rotation


def follow_chain(current: VerifierKey, statements: list[str]) -> list[VerifierKey]:
    """Keys from the first (trust anchor) to ``current``, checking every link."""
    if not statements:
        return [current]
    rotations = [parse_rotation(text) for text in statements]
    chain = [rotations[0].old]
    for rotation in rotations:
        if rotation.old != chain[-1]:
            raise NoteError(f"rotation of {rotation.time} does not start from the previous key")
        chain.append(rotation.new)
    if chain[-1] != current:
        raise NoteError("the key in use is not the last key of the rotation chain")
    return chain


def read_statements(key_path: Path, current: VerifierKey) -> list[str]:
    """Statements in order, up to the one that made ``current`` the key in use.

    Statements written after ``current`` was loaded (a rotation by another process)
    are left out, so the list always ends at ``current``. A rotation interrupted by a
    crash is first completed (if its new key is the key on disk) or dropped.
    """
    folder = rotations_dir(key_path)
    if not folder.is_dir():
        return []
    with _rotation_lock(key_path):
        _recover(key_path, folder)
        texts = [p.read_text("utf-8") for p in sorted(folder.glob("*.note"))]
    for position, text in enumerate(texts):
        if parse_rotation(text).new == current:
            return texts[: position + 1]
    return []


def _recover(key_path: Path, folder: Path) -> None:
    on_disk = load_private_key(key_path)
    for pending in folder.glob("*" + PENDING_SUFFIX):
        rotation = parse_rotation(pending.read_text("utf-8"))
        if rotation.new == VerifierKey.of(rotation.origin, on_disk):
            os.replace(pending, pending.with_suffix(""))
        else:
            pending.unlink()


@contextmanager
def _rotation_lock(key_path: Path) -> Iterator[None]:
    """Serialise rotations and recovery between processes sharing the data directory."""
    key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(key_path.parent / ".rotation.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def rotate_key(key_path: Path, origin: str, now: datetime) -> VerifierKey:
    """Replace the key at ``key_path`` by a new one vouched for by the old; return the new.

    The statement is written first (as pending), then the key file is replaced, then
    the statement is made final; a crash in between is repaired by the next reader.
    """
    folder = rotations_dir(key_path)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _rotation_lock(key_path):
        _recover(key_path, folder)
        old_key = load_private_key(key_path)
        old = VerifierKey.of(origin, old_key)
        new_key = Ed25519PrivateKey.generate()
        new = VerifierKey.of(origin, new_key)
        text = statement_text(origin, old, new, format_utc(now))
        statement = sign_note(text, origin, old_key, new_key).encode()
        number = len(list(folder.glob("*.note"))) + 1
        final = folder / f"{number:04d}.note"
        pending = final.with_name(final.name + PENDING_SUFFIX)
        _write_synced(pending, statement)
        write_private_key(key_path, new_key)
        os.replace(pending, final)
        _sync_dir(folder)
    return new


def _write_synced(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
