"""The evidence log as an export, an audit or a retention job reads it.

Both log adapters (SQLite, PostgreSQL) implement it beside
:class:`~rtc_gateway.ports.evidence_log.EvidenceLog`, so the bundle, the export route and
the command line never depend on where the log is kept.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rtc_gateway.evidence.signed_note import VerifierKey
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.evidence_log import EvidenceLog


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as kept in the log, with what an export needs to prove it."""

    index: int
    conversation_index: int
    record: bytes
    leaf_hash: bytes
    text: str | None
    salt: bytes | None


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    signed_at: str


class EvidenceArchive(EvidenceLog, Protocol):
    """What exporting, auditing and erasing read beside the append path."""

    origin: str

    async def start(self) -> None:
        """Open the log (a command line opens it, exports, closes it)."""
        ...

    @property
    def clock(self) -> Clock: ...

    @property
    def size(self) -> int:
        """Leaves this process knows to be durable."""
        ...

    def verifier_key(self) -> VerifierKey:
        """The key checkpoints are signed with now."""
        ...

    def rotation_statements(self) -> list[str]: ...

    async def stored_records(
        self, conversation_id: str, max_index: int | None = None
    ) -> list[StoredRecord]:
        """Records of one conversation in chain order, up to global index ``max_index``."""
        ...

    async def leaf_hashes(self, size: int) -> list[bytes]:
        """Leaf hashes of the first ``size`` records, in log order."""
        ...

    async def inclusion_proofs(self, indexes: Sequence[int], size: int) -> list[list[bytes]]:
        """RFC 9162 inclusion proofs of leaves ``indexes`` in the tree of ``size`` leaves."""
        ...

    async def consistency_proofs(self, old_sizes: Sequence[int], size: int) -> list[list[bytes]]:
        """RFC 9162 consistency proofs from each of ``old_sizes`` to ``size``."""
        ...

    async def root_at(self, size: int) -> bytes: ...

    async def first_checkpoint_after(self, index: int) -> StoredCheckpoint | None:
        """The earliest checkpoint covering global index ``index``."""
        ...

    async def latest_checkpoint(self) -> StoredCheckpoint | None: ...

    async def opened_conversation_ids(self, since: datetime | None = None) -> list[str]:
        """Conversations opened at or after ``since`` (all without it), oldest first."""
        ...

    async def erase_text_before(self, cutoff: datetime) -> int:
        """Erase text and salt of records older than ``cutoff``; the records stay."""
        ...
