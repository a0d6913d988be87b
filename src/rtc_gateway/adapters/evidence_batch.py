"""Turning a batch of entries into hashed, chained records: what every log adapter shares.

Pure and synchronous: the SQLite writer (on a thread or in a process of its own) and the
PostgreSQL log (inside its transaction) build the very same bytes, so a conversation's
records, leaf hashes and proofs do not depend on where the log is kept.
"""

import asyncio
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from rtc_gateway.evidence.merkle import Frontier
from rtc_gateway.evidence.records import (
    SALT_SIZE,
    encode_record,
    format_at,
    record_object,
    text_commitment,
)
from rtc_gateway.ports.evidence_log import EvidenceEntry, LoggedRecord, RecordKind


class EvidenceLogClosed(RuntimeError):
    """The log is closed (or not started): nothing more can be appended."""


class StorageUnavailable(RuntimeError):
    """The log's storage could not be reached or failed mid-write: nothing of the batch was
    recorded, and a later append may succeed (the cause is chained)."""


class InvalidEntry(ValueError):
    """An entry has no canonical form (a lone surrogate, a float out of range...)."""


class PendingEntry(msgspec.Struct, frozen=True, array_like=True):
    """An entry as a writer takes it: plain values, its instant already as text (and
    as compact msgpack arrays when it crosses to a writer process)."""

    conversation_id: str
    kind: str
    actor_role: str
    actor_id: str
    at: str
    seq: int | None
    client_msg_id: str | None
    text: str | None
    data: Any


Placed = tuple[int, int, bytes]
"""Where a record landed: global index, index in its conversation, leaf hash."""

RecordRow = tuple[int, str, int, str, int | None, str, bytes, bytes, str | None, bytes | None]
"""A record as stored: index, conversation, conversation index, kind, seq, at, record
bytes, leaf hash, text, salt."""

NodeRow = tuple[int, int, bytes]
"""A complete subtree's root: height, index at that height, hash."""


@dataclass(slots=True)
class Tail:
    """The end of one conversation's chain, as a batch continues it."""

    last_index: int
    last_hash: bytes | None
    opened: bool
    closed: bool
    last_seq: int
    """The seq of the conversation's last logged message (0 before the first)."""


NEW_CHAIN = Tail(0, None, False, False, 0)


_SUB_MILLISECOND = tuple(timedelta(microseconds=micros) for micros in range(1000))
"""What to take off an instant to bring it down to its millisecond: one subtraction
costs a twentieth of ``datetime.replace`` on the append path."""


def record_instant(instant: datetime) -> datetime:
    """The instant a record keeps: UTC, to the millisecond."""
    at = instant if instant.tzinfo is UTC else instant.astimezone(UTC)
    extra = at.microsecond % 1000
    return at - _SUB_MILLISECOND[extra] if extra else at


def pending_text(instant: datetime) -> str:
    return format_at(record_instant(instant))


def build_batch(
    entries: list[PendingEntry],
    frontier: Frontier,
    tail_of: Callable[[str], Tail],
    tails: dict[str, Tail],
    nodes: list[NodeRow],
) -> tuple[list[RecordRow], list[Placed | str]]:
    """Rows to insert, and per entry where it lands or why it cannot be logged.

    ``frontier`` is advanced in place; ``tails`` receives the new end of every chain the
    batch touches (``tail_of`` gives a chain's end before the batch); the subtree roots
    that the new leaves complete are added to ``nodes``.
    """
    rows: list[RecordRow] = []
    placed: list[Placed | str] = []
    salts = os.urandom(SALT_SIZE * len(entries))
    for position, entry in enumerate(entries):
        cid = entry.conversation_id
        tail = tails.get(cid) or tail_of(cid)
        salt = salts[position * SALT_SIZE : (position + 1) * SALT_SIZE]
        gap = out_of_sequence(entry, tail)
        if gap is not None:
            placed.append(gap)
            continue
        try:
            blob, commitment = encode_entry(entry, tail, salt)
        except (ValueError, TypeError) as error:
            placed.append(f"entry cannot be logged: {error}")
            continue
        leaf = hashlib.sha256(b"\x00" + blob).digest()
        index = frontier.size
        frontier.append(leaf, nodes)
        conversation_index = tail.last_index + 1
        tails[cid] = Tail(
            conversation_index,
            leaf,
            tail.opened or entry.kind == RecordKind.CONVERSATION_OPENED,
            tail.closed or entry.kind == RecordKind.CLOSED,
            entry.seq if entry.kind == RecordKind.MESSAGE and entry.seq else tail.last_seq,
        )
        rows.append((index, cid, conversation_index, entry.kind, entry.seq, entry.at, blob,
                     leaf, entry.text, None if commitment is None else salt))
        placed.append((index, conversation_index, leaf))
    return rows, placed


def out_of_sequence(entry: PendingEntry, tail: Tail) -> str | None:
    """A message must take the seq after the conversation's last logged one.

    Messages are numbered when queued. If one could not be logged (its batch failed,
    or it had no canonical form), the messages numbered after it are refused too, so
    the log never shows a gap; the service numbers again from the last logged one.
    """
    if entry.kind != RecordKind.MESSAGE or entry.seq is None:
        return None
    if entry.seq == tail.last_seq + 1:
        return None
    return f"message out of sequence: seq {entry.seq} after {tail.last_seq}"


def encode_entry(entry: PendingEntry, tail: Tail, salt: bytes) -> tuple[bytes, str | None]:
    """The record's bytes and its text commitment."""
    commitment = None if entry.text is None else text_commitment(salt, entry.text)
    blob = encode_record(
        record_object(
            conversation_id=entry.conversation_id,
            conversation_index=tail.last_index + 1,
            prev=tail.last_hash,
            kind=entry.kind,
            actor_role=entry.actor_role,
            actor_id=entry.actor_id,
            at=entry.at,
            seq=entry.seq,
            client_msg_id=entry.client_msg_id,
            text_sha256=commitment,
            data=entry.data,
        )
    )
    return blob, commitment


def pending_entry(entry: EvidenceEntry, at: datetime) -> PendingEntry:
    """``entry`` as a writer takes it, at the instant ``at`` (see :func:`record_instant`)."""
    return PendingEntry(entry.conversation_id, entry.kind, entry.actor_role, entry.actor_id,
                        format_at(at), entry.seq, entry.client_msg_id, entry.text, entry.data)


def settle_append(future: "asyncio.Future[LoggedRecord]", entry: EvidenceEntry, at: datetime,
                  placed: Placed | str) -> None:
    """Resolve an append with where its record landed, or fail it with why it did not."""
    if isinstance(placed, str):
        future.set_exception(InvalidEntry(placed))
        return
    index, conversation_index, leaf = placed
    future.set_result(LoggedRecord.of(entry, index=index, conversation_index=conversation_index,
                                      at=at, leaf_hash=bytes(leaf)))


def fail_future(future: "asyncio.Future[Any]", error: Exception) -> None:
    if not future.done():
        future.set_exception(error)
