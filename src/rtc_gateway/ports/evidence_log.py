"""The append-only evidence log as the services see it.

The log is the source of truth for everything said: a message is acknowledged to its
sender only once its record is durable, and a reconnecting client replays from here.
"""

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import msgspec

JsonValue = Any
"""A value canonical JSON can hold: None, bool, int, str, list, dict with str keys."""


class EvidenceLogInUse(Exception):
    """Another gateway serves this evidence log; this one must not start."""


class RecordKind:
    """The kinds of event a record describes (the ``kind`` field of a record)."""

    CONVERSATION_OPENED = "conversation.opened"
    MESSAGE = "message"
    ASSIGNED = "conversation.assigned"
    TRANSFERRED = "conversation.transferred"
    REQUEUED = "conversation.requeued"
    CLOSED = "conversation.closed"
    VIDEO_STARTED = "video.started"
    VIDEO_ENDED = "video.ended"
    EXPORTED = "export"
    ABUSE_REPORTED = "abuse.reported"
    IDENTITY_VERIFIED = "identity.verified"
    CASE_OPENED = "case.opened"
    CASE_MESSAGE = "case.message"
    CASE_DECIDED = "case.decided"
    CASE_REVIEW_STARTED = "case.review_started"
    CASE_WITHDRAWN = "case.withdrawn"
    CASE_ATTACHMENT = "case.attachment"
    CASE_PURGED = "case.purged"


class EvidenceEntry(msgspec.Struct, frozen=True, gc=False):
    """What a service submits; the log adds position, chain link, salt and hash.

    ``seq`` is the message's sequence number for ``kind == "message"`` and ``None``
    otherwise. ``text`` is never stored in the hashed record itself: the record holds
    ``SHA-256(salt || text)`` and the text and salt are kept beside it, so text can be
    erased at the end of its retention while the log still verifies.
    """

    conversation_id: str
    kind: str
    actor_role: str
    actor_id: str
    at: datetime
    seq: int | None = None
    client_msg_id: str | None = None
    text: str | None = None
    data: Mapping[str, JsonValue] = msgspec.field(default_factory=dict)


class LoggedRecord(msgspec.Struct, frozen=True, gc=False):
    """A durable record as read back from the log.

    Entries and records are msgspec Structs left out of the garbage collector (plain
    values, no cycles): one of each is made per chat message, and they are cheaper to
    build than frozen dataclasses.
    """

    index: int
    """Position in the global log (the Merkle leaf index), from 0."""
    conversation_id: str
    conversation_index: int
    """Position in this conversation's chain, from 1."""
    kind: str
    actor_role: str
    actor_id: str
    at: datetime
    seq: int | None
    client_msg_id: str | None
    text: str | None
    """``None`` when the entry had no text or the text was erased."""
    data: Mapping[str, JsonValue]
    leaf_hash: bytes

    @classmethod
    def of(cls, entry: EvidenceEntry, *, index: int, conversation_index: int, at: datetime,
           leaf_hash: bytes) -> "LoggedRecord":
        """The record ``entry`` became, once the log placed it."""
        return cls(index=index, conversation_id=entry.conversation_id,
                   conversation_index=conversation_index, kind=entry.kind,
                   actor_role=entry.actor_role, actor_id=entry.actor_id, at=at, seq=entry.seq,
                   client_msg_id=entry.client_msg_id, text=entry.text, data=dict(entry.data),
                   leaf_hash=leaf_hash)


class EvidenceLog(Protocol):
    def append(self, entry: EvidenceEntry) -> "asyncio.Future[LoggedRecord]":
        """Queue ``entry`` at once (call order is log order) and resolve when durable.

        Entries queued together are written in one transaction with one fsync
        (group commit). The returned future fails if the write failed; several callers
        may wait on it (a retried message waits for the first copy). A message must
        carry the seq after its conversation's last logged message: one numbered after
        a message that failed is refused too, so the log never shows a gap.
        """
        ...

    async def conversation_records(
        self, conversation_id: str, kinds: Sequence[str] | None = None
    ) -> list[LoggedRecord]:
        """Every record of one conversation in chain order, optionally of some kinds only."""
        ...

    async def messages_after(self, conversation_id: str, after_seq: int) -> list[LoggedRecord]:
        """Message records of one conversation with ``seq > after_seq``, in seq order."""
        ...

    async def open_conversation_ids(self) -> list[str]:
        """Conversations that have an ``opened`` record and no ``closed`` one (for recovery)."""
        ...

    async def checkpoint(self) -> str:
        """Sign a checkpoint of the log as it is now and return its signed-note text."""
        ...

    def stats(self) -> dict[str, int]:
        """``batches`` and ``records`` made durable by this process since it started, and
        ``waiting``: records appended and not yet durable (read by the metrics)."""
        ...

    async def close(self) -> None:
        """Flush everything queued, sign a final checkpoint, release the database."""
        ...
