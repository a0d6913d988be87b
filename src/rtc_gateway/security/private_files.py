"""Owner-only folders (0700) and files (0600) whatever the process umask.

The data directory holds message texts, locations, recordings and signing keys: nothing
in it is ever group- or world-readable, not even for the instant between creating a file
and changing its mode. Modes are set explicitly after creation because a umask can only
take bits away (0000 would leave a 0666 request as it is).
"""

import contextlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its missing parents) 0700 and make ``path`` itself 0700."""
    create_missing_dirs(path)
    os.chmod(path, DIR_MODE)
    return path


def create_missing_dirs(path: Path) -> None:
    """Create the missing folders of ``path`` 0700; folders that exist are left alone."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(folder, DIR_MODE)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 if it does not exist; make it 0600 if it does."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def open_private(path: Path) -> BinaryIO:
    """Open ``path`` for writing from scratch (truncated), 0600 from its first instant."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def restrict_if_present(path: Path) -> None:
    """Make an existing file 0600 (a file left by an older version); ignore a missing one."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(path, FILE_MODE)


def replace_private_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (a 0600 temporary file, synced, renamed over
    it): a reader sees the old bytes or the new ones, never a part. Each writer has a
    temporary file of its own, so writers in several processes never share one."""
    tmp = _written_temporary(path, data)
    os.replace(tmp, path)


def create_private_file_once(path: Path, data: bytes) -> bool:
    """Create ``path`` holding ``data`` unless it exists; whole or absent, never a part.
    False when another process created it first (its bytes stay): of several nodes
    creating one shared key at once, exactly one key is kept."""
    tmp = _written_temporary(path, data)
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)


def _written_temporary(path: Path, data: bytes) -> Path:
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)
        os.write(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(name)
        raise
    os.close(fd)
    return Path(name)
