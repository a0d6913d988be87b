"""Attachment files in the data directory, named by their SHA-256.

Layout: ``attachments/ab/abcdef...`` (the first two hex digits fan the files out), and
``attachments/staging/`` for uploads in progress. Folders are 0700, files 0600 from
their first instant; a committed file is fsynced, then renamed into place, so a crash
never leaves a partial file under a hash. Staged leftovers are removed at start. A
file's modification time is when it was last committed (by the store's clock); commits
and deletions hold one lock, so a sweep never deletes a file being committed again.
"""

import asyncio
import contextlib
import hashlib
import os
import threading
import uuid
from collections.abc import AsyncIterable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, TypeVar

from rtc_gateway.domain.attachments import is_sha256
from rtc_gateway.domain.errors import TooLarge
from rtc_gateway.ports.blob_store import KeptBlob, StagedBlob
from rtc_gateway.ports.clock import Clock, SystemClock
from rtc_gateway.security.private_files import open_private, private_dir

T = TypeVar("T")
HEAD_BYTES = 64
FLUSH_BYTES = 256 * 1024


class FileBlobStore:
    """Implements :class:`rtc_gateway.ports.blob_store.BlobStore` on a folder."""

    def __init__(self, root: Path, clock: Clock | None = None) -> None:
        self.root = root
        self._staging = root / "staging"
        self._clock = clock or SystemClock()
        self._files = threading.Lock()
        """Held by commits and deletions, which run in worker threads."""

    async def open(self) -> None:
        await asyncio.to_thread(self._open)

    def _open(self) -> None:
        private_dir(self.root)
        private_dir(self._staging)
        for leftover in self._staging.iterdir():
            leftover.unlink(missing_ok=True)

    async def stage(self, chunks: AsyncIterable[bytes], max_bytes: int) -> StagedBlob:
        token = uuid.uuid4().hex
        path = self._staging / token
        handle = await asyncio.to_thread(open_private, path)
        digest, size, head, pending = hashlib.sha256(), 0, b"", bytearray()
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"the file is over {max_bytes} bytes")
                digest.update(chunk)
                if len(head) < HEAD_BYTES:
                    head = (head + chunk)[:HEAD_BYTES]
                pending += chunk
                if len(pending) >= FLUSH_BYTES:
                    await asyncio.to_thread(handle.write, bytes(pending))
                    pending.clear()
            await asyncio.to_thread(_finish, handle, bytes(pending))
        except BaseException:
            await asyncio.to_thread(_drop, handle, path)
            raise
        return StagedBlob(token, digest.hexdigest(), size, head)

    async def inspect(self, staged: StagedBlob, use: Callable[[BinaryIO], T]) -> T:
        def run() -> T:
            with open(self._staged_path(staged), "rb") as handle:
                return use(handle)
        return await asyncio.to_thread(run)

    async def commit(self, staged: StagedBlob) -> None:
        await asyncio.to_thread(self._commit, staged)

    def _commit(self, staged: StagedBlob) -> None:
        source, target = self._staged_path(staged), self._blob_path(staged.sha256)
        stamp = _nanoseconds(self._clock.now())
        with self._files:
            if target.is_file():
                source.unlink(missing_ok=True)
                os.utime(target, ns=(stamp, stamp))
                return
            private_dir(target.parent)
            os.utime(source, ns=(stamp, stamp))
            os.replace(source, target)
            _fsync_dir(target.parent)

    async def discard(self, staged: StagedBlob) -> None:
        await asyncio.to_thread(self._staged_path(staged).unlink, missing_ok=True)

    def path_of(self, sha256: str) -> Path | None:
        if not is_sha256(sha256):
            return None
        path = self._blob_path(sha256)
        return path if path.is_file() else None

    async def kept(self) -> list[KeptBlob]:
        return await asyncio.to_thread(self._kept)

    def _kept(self) -> list[KeptBlob]:
        found = []  # a file deleted meanwhile (by another process) is left out
        for folder in self.root.iterdir() if self.root.is_dir() else ():
            if folder == self._staging or not folder.is_dir():
                continue
            for path in folder.iterdir():
                if is_sha256(path.name) and path.name[:2] == folder.name:
                    with contextlib.suppress(FileNotFoundError):
                        found.append(KeptBlob(path.name, _instant(path.stat().st_mtime_ns)))
        return sorted(found, key=lambda blob: blob.sha256)

    async def delete_unless_since(self, sha256: str, since: datetime) -> bool:
        return await asyncio.to_thread(self._delete_unless_since, sha256, since)

    def _delete_unless_since(self, sha256: str, since: datetime) -> bool:
        if not is_sha256(sha256):
            return False
        path = self._blob_path(sha256)
        with self._files, contextlib.suppress(FileNotFoundError):
            if _instant(path.stat().st_mtime_ns) >= since:
                return False
            path.unlink()
            return True
        return False

    def _blob_path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def _staged_path(self, staged: StagedBlob) -> Path:
        if not (len(staged.token) == 32 and staged.token.isalnum()):
            raise ValueError("not a token of this store")
        return self._staging / staged.token


def _finish(handle: BinaryIO, rest: bytes) -> None:
    with handle:
        handle.write(rest)
        handle.flush()
        os.fsync(handle.fileno())


def _drop(handle: BinaryIO, path: Path) -> None:
    handle.close()
    path.unlink(missing_ok=True)


def _nanoseconds(instant: datetime) -> int:
    return round(instant.timestamp() * 1_000_000) * 1000


def _instant(nanoseconds: int) -> datetime:
    return datetime.fromtimestamp(nanoseconds // 1000 / 1_000_000, UTC)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
