"""The log's signing key on disk and its rotations (server side).

The key is ``keys/log-signing.key`` (PEM, mode 0600); rotation statements (see
``key_rotation``) live beside it as ``rotations/NNNN.note``. Rotations and crash
recovery take a lock file, so a server and the command line can share the folder.
"""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rtc_gateway.evidence.key_rotation import parse_rotation, statement_text
from rtc_gateway.evidence.records import format_at
from rtc_gateway.evidence.signed_note import VerifierKey, sign_note
from rtc_gateway.security.keys import load_private_key, write_private_key
from rtc_gateway.security.private_files import FILE_MODE

PENDING_SUFFIX = ".pending"


def rotations_dir(key_path: Path) -> Path:
    return key_path.parent / "rotations"


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
        text = statement_text(origin, old, new, format_at(now))
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
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
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
