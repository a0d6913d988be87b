"""Where attachment files are kept: by the SHA-256 of their content.

An upload is first *staged* (streamed, hashed and counted, refused past a size), then
inspected, then committed under its hash or discarded. A committed blob never changes.
"""

from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
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


class BlobFiles(Protocol):
    """What an evidence export needs of a blob store."""

    def path_of(self, sha256: str) -> Path | None: ...
