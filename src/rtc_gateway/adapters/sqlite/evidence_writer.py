"""The write side of the SQLite evidence log: batches in, durable records out.

Synchronous and self-contained, so it runs the same on a worker thread or in a writer
process of its own (``writer_process``). Each batch is one ``BEGIN IMMEDIATE``
transaction (WAL, ``synchronous=FULL``: one fsync per batch). The Merkle frontier is
stored with each batch, so the root is known after every commit without reading leaves.

Another process (the command line exporting or erasing) may write to the same
database: each batch first checks ``PRAGMA data_version`` and the stored tree size,
and reloads its view of the tree and of the conversation chains if they moved.
"""

import hashlib
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rtc_gateway.adapters.sqlite.evidence_schema import (
    bind_origin,
    connect,
    create_schema,
    prepare_private_database,
)
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.evidence.checkpoint import Checkpoint
from rtc_gateway.evidence.key_store import read_statements
from rtc_gateway.evidence.merkle import Frontier
from rtc_gateway.evidence.records import (
    SALT_SIZE,
    encode_record,
    format_at,
    record_object,
    text_commitment,
)
from rtc_gateway.evidence.signed_note import VerifierKey
from rtc_gateway.ports.evidence_log import RecordKind
from rtc_gateway.security.keys import load_or_create_private_key


class EvidenceLogClosed(RuntimeError):
    """The log is closed (or not started): nothing more can be appended."""


class InvalidEntry(ValueError):
    """An entry has no canonical form (a lone surrogate, a float out of range...)."""


class PendingEntry(msgspec.Struct, frozen=True, array_like=True):
    """An entry as the writer takes it: plain values, its instant already as text (and
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


@dataclass(frozen=True, slots=True)
class BatchResult:
    placed: list[Placed | str]
    """Per entry, where it landed, or why it could not be logged."""
    note: str | None
    """The signed checkpoint, when one was asked for or a conversation closed."""
    size: int
    last_checkpoint_size: int


@dataclass(slots=True)
class _Tail:
    last_index: int
    last_hash: bytes | None
    opened: bool
    closed: bool
    last_seq: int
    """The seq of the conversation's last logged message (0 before the first)."""


_INSERT_RECORD = (
    "INSERT INTO records (idx, conversation_id, conversation_index, kind, seq, at, record,"
    " leaf_hash, text, salt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPSERT_CONVERSATION = (
    "INSERT INTO conversations (conversation_id, last_index, last_hash, opened, closed)"
    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (conversation_id) DO UPDATE SET"
    " last_index = excluded.last_index, last_hash = excluded.last_hash,"
    " opened = excluded.opened, closed = excluded.closed"
)


def record_instant(instant: datetime) -> datetime:
    """The instant a record keeps: UTC, to the millisecond."""
    at = instant if instant.tzinfo is UTC else instant.astimezone(UTC)
    if at.microsecond % 1000:
        at = at.replace(microsecond=at.microsecond - at.microsecond % 1000)
    return at


def pending_text(instant: datetime) -> str:
    return format_at(record_instant(instant))


class EvidenceWriter:
    """The only writer of one evidence database, with its signing key."""

    def __init__(self, db_path: Path, key_path: Path, origin: str,
                 now: Callable[[], datetime]) -> None:
        self.db_path = db_path
        self.key_path = key_path
        self.origin = origin
        self._now = now
        self._con: sqlite3.Connection | None = None
        self._frontier = Frontier()
        self._tails: dict[str, _Tail] = {}
        self._data_version: int | None = None
        self._key: Ed25519PrivateKey | None = None
        self._key_stamp: tuple[int, int] | None = None
        self._last_checkpoint_size = -1

    def open(self) -> int:
        """Open (or create) the database and the key; the durable size."""
        prepare_private_database(self.db_path)
        self._con = connect(self.db_path)
        create_schema(self._con)
        bind_origin(self._con, self.origin)
        read_statements(self.key_path, VerifierKey.of(self.origin, self._current_key()))
        self._con.execute("BEGIN")
        try:
            self._reload()
        finally:
            self._con.execute("COMMIT")
        return self._frontier.size

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def write(self, entries: list[PendingEntry], want_checkpoint: bool) -> BatchResult:
        con = self._db()
        con.execute("BEGIN IMMEDIATE")
        try:
            self._refresh_if_moved()
            frontier = self._frontier.copy()
            tails: dict[str, _Tail] = {}
            nodes: list[tuple[int, int, bytes]] = []
            rows, placed = self._build(entries, frontier, tails, nodes)
            con.executemany(_INSERT_RECORD, rows)
            con.executemany("INSERT INTO nodes (height, idx, hash) VALUES (?, ?, ?)", nodes)
            con.executemany(
                _UPSERT_CONVERSATION,
                [
                    (cid, t.last_index, t.last_hash, int(t.opened), int(t.closed))
                    for cid, t in tails.items()
                ],
            )
            con.execute(
                "UPDATE tree SET size = ?, frontier = ? WHERE id = 1",
                (frontier.size, frontier.to_bytes()),
            )
            note = None
            closing = any(entry.kind == RecordKind.CLOSED for entry in entries)
            if want_checkpoint or closing:
                note = self._sign_checkpoint(con, frontier)
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            self._data_version = None
            raise
        self._frontier = frontier
        for cid, tail in tails.items():
            if tail.closed:
                self._tails.pop(cid, None)
            else:
                self._tails[cid] = tail
        if note is not None:
            self._last_checkpoint_size = frontier.size
        return BatchResult(placed, note, frontier.size, self._last_checkpoint_size)

    def erase(self, cutoff: str) -> int:
        """Erase text and salt of records older than ``cutoff``; the records stay."""
        con = self._db()
        con.execute("BEGIN IMMEDIATE")
        try:
            cursor = con.execute(
                "UPDATE records SET text = NULL, salt = NULL WHERE at < ?"
                " AND (text IS NOT NULL OR salt IS NOT NULL)",
                (cutoff,),
            )
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        return cursor.rowcount

    def _build(
        self,
        entries: list[PendingEntry],
        frontier: Frontier,
        tails: dict[str, _Tail],
        nodes: list[tuple[int, int, bytes]],
    ) -> tuple[list[tuple[Any, ...]], list[Placed | str]]:
        """Rows to insert, and per entry where it lands or why it cannot be logged;
        subtree roots the new leaves complete are added to ``nodes``."""
        rows: list[tuple[Any, ...]] = []
        placed: list[Placed | str] = []
        salts = os.urandom(SALT_SIZE * len(entries))
        for position, entry in enumerate(entries):
            cid = entry.conversation_id
            tail = tails.get(cid) or self._tail(cid)
            salt = salts[position * SALT_SIZE : (position + 1) * SALT_SIZE]
            gap = _out_of_sequence(entry, tail)
            if gap is not None:
                placed.append(gap)
                continue
            try:
                blob, commitment = _encode(entry, tail, salt)
            except (ValueError, TypeError) as error:
                placed.append(f"entry cannot be logged: {error}")
                continue
            leaf = hashlib.sha256(b"\x00" + blob).digest()
            index = frontier.size
            frontier.append(leaf, nodes)
            conversation_index = tail.last_index + 1
            tails[cid] = _Tail(
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

    def _sign_checkpoint(self, con: sqlite3.Connection, frontier: Frontier) -> str:
        root = frontier.root()
        note = Checkpoint(self.origin, frontier.size, root).sign(self._current_key())
        con.execute(
            "INSERT INTO checkpoints (size, root, note, signed_at) VALUES (?, ?, ?, ?)",
            (frontier.size, root, note, format_utc(self._now())),
        )
        return note

    def _db(self) -> sqlite3.Connection:
        if self._con is None:
            raise EvidenceLogClosed("the evidence log is not open")
        return self._con

    def _current_key(self) -> Ed25519PrivateKey:
        """The signing key, reloaded when a rotation replaced the file."""
        key, self._key_stamp = current_key(self.key_path, self._key, self._key_stamp)
        self._key = key
        return key

    def _reload(self) -> None:
        """Read the tree and forget cached chains (another writer moved them)."""
        con = self._db()
        (blob,) = con.execute("SELECT frontier FROM tree WHERE id = 1").fetchone()
        self._frontier = Frontier.from_bytes(blob)
        self._tails.clear()
        (last,) = con.execute("SELECT max(size) FROM checkpoints").fetchone()
        self._last_checkpoint_size = -1 if last is None else int(last)
        self._data_version = int(con.execute("PRAGMA data_version").fetchone()[0])

    def _refresh_if_moved(self) -> None:
        con = self._db()
        version = int(con.execute("PRAGMA data_version").fetchone()[0])
        (size,) = con.execute("SELECT size FROM tree WHERE id = 1").fetchone()
        if version != self._data_version or size != self._frontier.size:
            self._reload()

    def _tail(self, conversation_id: str) -> _Tail:
        tail = self._tails.get(conversation_id)
        if tail is not None:
            return tail
        row = (
            self._db()
            .execute(
                "SELECT last_index, last_hash, opened, closed FROM conversations"
                " WHERE conversation_id = ?",
                (conversation_id,),
            )
            .fetchone()
        )
        if row is None:
            return _Tail(0, None, False, False, 0)
        (last_seq,) = self._db().execute(
            "SELECT max(seq) FROM records WHERE conversation_id = ? AND kind = ?",
            (conversation_id, RecordKind.MESSAGE),
        ).fetchone()
        return _Tail(int(row[0]), bytes(row[1]), bool(row[2]), bool(row[3]), last_seq or 0)


def current_key(key_path: Path, key: Ed25519PrivateKey | None,
                stamp: tuple[int, int] | None
                ) -> tuple[Ed25519PrivateKey, tuple[int, int]]:
    """``key`` while the file is unchanged; the file's key (created if missing) otherwise."""
    if key is not None and stamp is not None:
        stat = os.stat(key_path)
        if (stat.st_ino, stat.st_mtime_ns) == stamp:
            return key, stamp
    key = load_or_create_private_key(key_path)
    stat = os.stat(key_path)
    return key, (stat.st_ino, stat.st_mtime_ns)


def _out_of_sequence(entry: PendingEntry, tail: _Tail) -> str | None:
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


def _encode(entry: PendingEntry, tail: _Tail, salt: bytes) -> tuple[bytes, str | None]:
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
