"""The token signing key, its rotation, and how a running node follows a rotation.

``keys/token-signing.key`` signs every token; after ``rtc-gateway token rotate-key``
the key it replaced is kept as ``keys/token-signing.previous.key`` (its public half
only), so tokens signed before the rotation stay valid until they expire; a second
rotation, or ``--drop-previous``, retires it. Nodes that share the key directory
(``keys_dir``) look at both files every ``key_reload_interval_s`` and take the new keys
in when a file changed: a rotation reaches every running node within seconds, with no
restart and no I/O on the connect path.
"""

import asyncio
import fcntl
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from rtc_gateway.background import stop_task
from rtc_gateway.security.keys import (
    load_or_create_private_key,
    load_private_key,
    write_private_key,
)
from rtc_gateway.security.private_files import FILE_MODE, private_dir, replace_private_file

log = logging.getLogger(__name__)
Stamp = tuple[tuple[int, int] | None, tuple[int, int] | None]


@dataclass(frozen=True, slots=True)
class TokenKeys:
    signing: Ed25519PrivateKey
    previous: Ed25519PublicKey | None = None
    """Still accepted when verifying, never used to sign."""


def previous_key_path(key_path: Path) -> Path:
    return key_path.with_name(f"{key_path.stem}.previous{key_path.suffix}")


def load_token_keys(key_path: Path) -> TokenKeys:
    """The keys on disk (the signing key is created on first use)."""
    signing = load_or_create_private_key(key_path)
    previous_path = previous_key_path(key_path)
    previous = None
    if previous_path.exists():
        loaded = serialization.load_pem_public_key(previous_path.read_bytes())
        if not isinstance(loaded, Ed25519PublicKey):
            raise ValueError(f"{previous_path} does not hold an Ed25519 public key")
        previous = loaded
    return TokenKeys(signing, previous)


def rotate_token_key(key_path: Path, keep_previous: bool = True) -> TokenKeys:
    """Sign with a new key from now on; keep the old one's public half for verifying
    (or drop it: tokens it signed end at once). The previous file is written first, so
    a node reading between the two steps still accepts every token it accepted."""
    with _rotation_lock(key_path):
        old = load_private_key(key_path)
        previous_path = previous_key_path(key_path)
        if keep_previous:
            _write_public_key(previous_path, old.public_key())
        else:
            previous_path.unlink(missing_ok=True)
        new = Ed25519PrivateKey.generate()
        write_private_key(key_path, new)
    return TokenKeys(new, old.public_key() if keep_previous else None)


def key_files_stamp(key_path: Path) -> Stamp:
    """What changes when either key file is replaced (inode and modification time)."""
    return (_stat(key_path), _stat(previous_key_path(key_path)))


class TokenKeyWatch:
    """Re-reads the token keys of a node whenever their files change."""

    def __init__(self, key_path: Path, interval_s: float,
                 apply: Callable[[TokenKeys], None]) -> None:
        self._key_path = key_path
        self._interval = interval_s
        self._apply = apply
        self._stamp = key_files_stamp(key_path)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._interval > 0:
            self._task = asyncio.create_task(self._run(), name="token-key-watch")

    async def close(self) -> None:
        await stop_task(self._task)
        self._task = None

    def check(self) -> bool:
        """Take new keys in if a file changed; whether it did."""
        stamp = key_files_stamp(self._key_path)
        if stamp == self._stamp or stamp[0] is None:
            return False
        keys = load_token_keys(self._key_path)
        self._stamp = stamp
        self._apply(keys)
        log.info("token signing keys reloaded",
                 extra={"previous_kept": keys.previous is not None})
        return True

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                self.check()
            except (OSError, ValueError) as error:  # a half-copied file: next pass
                log.warning("token keys not reloaded", extra={"error": type(error).__name__})


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns)


def _write_public_key(path: Path, key: Ed25519PublicKey) -> None:
    pem = key.public_bytes(serialization.Encoding.PEM,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    replace_private_file(path, pem)


@contextmanager
def _rotation_lock(key_path: Path) -> Iterator[None]:
    """Two rotations at once would each keep a key the other replaced."""
    private_dir(key_path.parent)
    fd = os.open(key_path.parent / ".token-rotation.lock", os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
