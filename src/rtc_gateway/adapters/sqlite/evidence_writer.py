"""The write side of the SQLite evidence log: batches in, durable records out.

Synchronous and self-contained, so it runs the same on a worker thread or in a writer
process of its own (``writer_process``). Each batch is one ``BEGIN IMMEDIATE``
transaction (WAL, ``synchronous=FULL``: one fsync per batch). The Merkle frontier is
stored with each batch, so the root is known after every commit without reading leaves.

Another process (the command line exporting or erasing) may write to the same
database: each batch first checks ``PRAGMA data_version`` and the stored tree size,
and reloads its view of the tree and of the conversation chains if they moved.
"""

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rtc_gateway.adapters.evidence_batch import (
    NEW_CHAIN,
    EvidenceLogClosed,
    InvalidEntry,
    PendingEntry,
    Placed,
    Tail,
    build_batch,
    pending_text,
    record_instant,
)
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
from rtc_gateway.evidence.signed_note import VerifierKey
from rtc_gateway.ports.evidence_log import RecordKind
from rtc_gateway.security.keys import load_or_create_private_key

__all__ = ["BatchResult", "EvidenceLogClosed", "EvidenceWriter", "InvalidEntry", "PendingEntry",
           "Placed", "current_key", "pending_text", "record_instant"]


@dataclass(frozen=True, slots=True)
class BatchResult:
    placed: list[Placed | str]
    """Per entry, where it landed, or why it could not be logged."""
    note: str | None
    """The signed checkpoint, when one was asked for or a conversation closed."""
    size: int
    last_checkpoint_size: int


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
        self._tails: dict[str, Tail] = {}
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
            tails: dict[str, Tail] = {}
            nodes: list[tuple[int, int, bytes]] = []
            rows, placed = build_batch(entries, frontier, self._tail, tails, nodes)
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

    def erase(self, cutoff: str, conversation_id: str | None = None) -> int:
        """Erase text and salt of records older than ``cutoff`` (of one conversation
        only, when given); the records stay."""
        con = self._db()
        con.execute("BEGIN IMMEDIATE")
        try:
            cursor = con.execute(
                "UPDATE records SET text = NULL, salt = NULL WHERE at < ?"
                " AND (text IS NOT NULL OR salt IS NOT NULL)"
                " AND (? IS NULL OR conversation_id = ?)",
                (cutoff, conversation_id, conversation_id),
            )
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        return cursor.rowcount

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

    def _tail(self, conversation_id: str) -> Tail:
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
            return NEW_CHAIN
        (last_seq,) = self._db().execute(
            "SELECT max(seq) FROM records WHERE conversation_id = ? AND kind = ?",
            (conversation_id, RecordKind.MESSAGE),
        ).fetchone()
        return Tail(int(row[0]), bytes(row[1]), bool(row[2]), bool(row[3]), last_seq or 0)


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
