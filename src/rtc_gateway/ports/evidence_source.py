"""Where the command line finds the evidence log: SQLite in a data directory, or the
shared PostgreSQL database (``--database-url``). The CLI's composition root
(``cli_wiring``) implements it, so the evidence commands never name an adapter."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from rtc_gateway.ports.blob_store import BlobFiles
from rtc_gateway.ports.evidence_archive import EvidenceArchive

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class LogPlace:
    data_dir: Path
    """Recordings, and the log itself without a database URL."""
    key_path: Path
    """The log's signing key (``keys/log-signing.key``, its rotations beside it)."""
    database_url: str | None = None

    @property
    def recordings(self) -> Path:
        return self.data_dir / "recordings"

    def describe(self) -> str:
        return "the PostgreSQL database" if self.database_url else str(self.data_dir)


class LogUnavailable(Exception):
    """The log cannot be opened or read (unreachable, refused); the message says why."""


class NoLog(LookupError):
    """The place holds no evidence log (a usage error: a mistyped directory or URL)."""


class EvidenceSource(Protocol):
    def check_exists(self, place: LogPlace) -> None:
        """Raise :class:`NoLog` when ``place`` plainly holds no log (a read must never
        create an empty log in a mistyped directory); without looking into a database."""
        ...

    async def using(self, place: LogPlace, job: Callable[[EvidenceArchive], Awaitable[_T]]
                    ) -> _T:
        """Open the log (no periodic checkpoints), run ``job`` on it, close it; a storage
        failure on the way is a :class:`LogUnavailable`, no log there :class:`NoLog`."""
        ...

    def attachment_files(self, place: LogPlace) -> BlobFiles:
        """The cases' attached files kept beside the log's place (``DATA/attachments``)."""
        ...

    async def origin(self, place: LogPlace) -> str:
        """The origin the log was created with; an embedded log not created yet has the
        default one, a database without a log is :class:`NoLog`."""
        ...
