"""Where attachment files are kept: by the SHA-256 of their content.

An upload is first *staged* (streamed, hashed and counted, refused past a size), then
inspected, then committed under its hash or discarded. A committed blob never changes;
it is deleted only by the sweep of files no case references
(``services/cases/attachment_sweep.py``).
"""

from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StagedBlob:
    token: str
    """The store's name for the staged file."""
    sha256: str
    size: int
    head: bytes
    """The first bytes (up to 64), to recognise the type by."""


@dataclass(frozen=True, slots=True)
class KeptBlob:
    sha256: str
    committed_at: datetime
    """When it was last committed (committing the same content again renews it)."""


class BlobStore(Protocol):
    async def open(self) -> None: ...

    async def stage(self, chunks: AsyncIterable[bytes], max_bytes: int) -> StagedBlob:
        """Stream ``chunks`` aside; :class:`~rtc_gateway.domain.errors.TooLarge` (and
        nothing kept) as soon as they pass ``max_bytes``."""
        ...

    async def inspect(self, staged: StagedBlob, use: Callable[[BinaryIO], T]) -> T:
        """``use(readable file of the staged content)``, run off the event loop."""
        ...

    async def commit(self, staged: StagedBlob) -> None:
        """Keep the staged content under its SHA-256 (a no-op when already kept)."""
        ...

    async def discard(self, staged: StagedBlob) -> None: ...

    def path_of(self, sha256: str) -> Path | None:
        """The committed file of that hash, or ``None``."""
        ...

    async def kept(self) -> list[KeptBlob]:
        """Every committed blob."""
        ...

    async def delete_unless_since(self, sha256: str, since: datetime) -> bool:
        """Delete the blob unless it was committed at or after ``since`` (checked in the
        same step as the deletion, so a commit under way is never undone)."""
        ...


class BlobFiles(Protocol):
    """What an evidence export needs of a blob store."""

    def path_of(self, sha256: str) -> Path | None: ...
