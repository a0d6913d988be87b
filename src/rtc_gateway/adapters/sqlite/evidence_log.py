"""The evidence log in one SQLite database: a single writer with group commit.

``append`` queues an entry at once, so call order is log order. A writer task takes
everything queued, builds the records and writes them in one ``BEGIN IMMEDIATE``
transaction (WAL, ``synchronous=FULL``: one fsync per batch) on a worker thread, then
resolves every waiting append. The Merkle frontier is stored with each batch, so the
root is known after every commit without reading the leaves.

Another process (the command line exporting or erasing) may write to the same
database: each batch first checks ``PRAGMA data_version`` and the stored tree size,
and reloads its view of the tree and of the conversation chains if they moved.
"""

import asyncio
import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rtc_gateway.adapters.sqlite.evidence_schema import bind_origin, connect, create_schema
from rtc_gateway.adapters.sqlite.evidence_tree import StoredTree
from rtc_gateway.domain.timestamps import format_utc, parse_utc
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
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.evidence_log import EvidenceEntry, LoggedRecord, RecordKind
from rtc_gateway.security.keys import load_or_create_private_key

logger = logging.getLogger(__name__)
_T = TypeVar("_T")


class EvidenceLogClosed(RuntimeError):
    """The log is closed (or not started): nothing more can be appended."""


class InvalidEntry(ValueError):
    """An entry has no canonical form (a lone surrogate, a float out of range...)."""


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as kept in the database, with what an export needs to prove it."""

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


@dataclass(slots=True)
class _Tail:
    last_index: int
    last_hash: bytes | None
    opened: bool
    closed: bool


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
_RECORD_COLUMNS = "idx, conversation_id, conversation_index, kind, seq, record, leaf_hash, text"


class SqliteEvidenceLog:
    """Implements :class:`rtc_gateway.ports.evidence_log.EvidenceLog` on SQLite."""

    def __init__(
        self,
        db_path: Path,
        key_path: Path,
        origin: str,
        clock: Clock,
        checkpoint_interval_s: float = 60.0,
    ) -> None:
        self.db_path = db_path
        self.key_path = key_path
        self.origin = origin
        self._clock = clock
        self._interval = checkpoint_interval_s
        self._queue: list[tuple[EvidenceEntry, asyncio.Future[LoggedRecord]]] = []
        self._checkpoint_waiters: list[asyncio.Future[str]] = []
        self._wake = asyncio.Event()
        self._writer_pool = ThreadPoolExecutor(1, thread_name_prefix="evidence-writer")
        self._reader_pool = ThreadPoolExecutor(1, thread_name_prefix="evidence-reader")
        self._con: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._frontier = Frontier()
        self._tails: dict[str, _Tail] = {}
        self._data_version: int | None = None
        self._key: Ed25519PrivateKey | None = None
        self._key_stamp: tuple[int, int] | None = None
        self._last_checkpoint_size = -1
        self._writer_task: asyncio.Task[None] | None = None
        self._ticker_task: asyncio.Task[None] | None = None
        self._accepting = False
        self.batches_committed = 0
        """Transactions (so fsyncs) written by this process: group commit at work."""

    # -- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        """Open (or create) the database and the key; start the writer."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._writer_pool, self._open)
        self._accepting = True
        self._writer_task = asyncio.create_task(self._write_loop(), name="evidence-writer")
        if self._interval > 0:
            self._ticker_task = asyncio.create_task(self._tick(), name="evidence-checkpoints")

    async def close(self) -> None:
        """Flush everything queued, sign a final checkpoint, release the database."""
        if not self._accepting:
            return
        final = self._request_checkpoint()
        self._accepting = False
        if self._ticker_task is not None:
            self._ticker_task.cancel()
            await asyncio.gather(self._ticker_task, return_exceptions=True)
        self._wake.set()
        try:
            await final
        finally:
            if self._writer_task is not None:
                self._writer_task.cancel()
                await asyncio.gather(self._writer_task, return_exceptions=True)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._writer_pool, self._close_connection)
            await loop.run_in_executor(self._reader_pool, self._close_reader)
            self._writer_pool.shutdown()
            self._reader_pool.shutdown()

    # -- the port --------------------------------------------------------------

    def append(self, entry: EvidenceEntry) -> "asyncio.Future[LoggedRecord]":
        """Queue ``entry`` now; the future resolves once its record is durable."""
        if not self._accepting:
            raise EvidenceLogClosed("the evidence log is not open")
        future: asyncio.Future[LoggedRecord] = asyncio.get_running_loop().create_future()
        self._queue.append((entry, future))
        self._wake.set()
        return future

    async def checkpoint(self) -> str:
        """Sign a checkpoint covering every entry appended before this call."""
        if not self._accepting:
            raise EvidenceLogClosed("the evidence log is not open")
        return await self._request_checkpoint()

    async def conversation_records(
        self, conversation_id: str, kinds: Sequence[str] | None = None
    ) -> list[LoggedRecord]:
        rows = await self._read(
            f"SELECT {_RECORD_COLUMNS} FROM records WHERE conversation_id = ?"
            " ORDER BY conversation_index",
            (conversation_id,),
        )
        wanted = None if kinds is None else set(kinds)
        return [_logged(row) for row in rows if wanted is None or row[3] in wanted]

    async def messages_after(self, conversation_id: str, after_seq: int) -> list[LoggedRecord]:
        rows = await self._read(
            f"SELECT {_RECORD_COLUMNS} FROM records WHERE conversation_id = ? AND kind = ?"
            " AND seq > ? ORDER BY seq",
            (conversation_id, RecordKind.MESSAGE, after_seq),
        )
        return [_logged(row) for row in rows]

    async def open_conversation_ids(self) -> list[str]:
        rows = await self._read(
            "SELECT conversation_id FROM conversations WHERE opened = 1 AND closed = 0"
            " ORDER BY conversation_id",
            (),
        )
        return [str(row[0]) for row in rows]

    # -- read helpers for export and audit ---------------------------------------

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def size(self) -> int:
        """Leaves this process knows to be durable."""
        return self._frontier.size

    def verifier_key(self) -> VerifierKey:
        if self._key is None:
            raise EvidenceLogClosed("the evidence log is not open")
        return VerifierKey.of(self.origin, self._key)

    def rotation_statements(self) -> list[str]:
        return read_statements(self.key_path, self.verifier_key())

    async def stored_records(
        self, conversation_id: str, max_index: int | None = None
    ) -> list[StoredRecord]:
        """Records of one conversation in chain order, up to global index ``max_index``."""
        limit = max_index if max_index is not None else 2**62
        rows = await self._read(
            "SELECT idx, conversation_index, record, leaf_hash, text, salt FROM records"
            " WHERE conversation_id = ? AND idx <= ? ORDER BY conversation_index",
            (conversation_id, limit),
        )
        return [StoredRecord(*row) for row in rows]

    async def leaf_hashes(self, size: int) -> list[bytes]:
        """Leaf hashes of the first ``size`` records, in log order."""
        rows = await self._read("SELECT leaf_hash FROM records WHERE idx < ? ORDER BY idx", (size,))
        return [bytes(row[0]) for row in rows]

    async def inclusion_proofs(self, indexes: Sequence[int], size: int) -> list[list[bytes]]:
        """RFC 9162 inclusion proofs of leaves ``indexes`` in the tree of ``size`` leaves."""
        return await self._on_tree(
            size, lambda tree: [tree.inclusion_proof(i, size) for i in indexes]
        )

    async def consistency_proofs(self, old_sizes: Sequence[int], size: int) -> list[list[bytes]]:
        """RFC 9162 consistency proofs from each of ``old_sizes`` to ``size``."""
        return await self._on_tree(
            size, lambda tree: [tree.consistency_proof(m, size) for m in old_sizes]
        )

    async def root_at(self, size: int) -> bytes:
        """The root of the first ``size`` leaves, as the stored leaves and nodes give it."""
        return await self._on_tree(size, lambda tree: tree.root(size))

    async def _on_tree(self, size: int, job: Callable[[StoredTree], _T]) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._reader_pool, lambda: job(StoredTree(self._reader_connection(), size))
        )

    async def first_checkpoint_after(self, index: int) -> StoredCheckpoint | None:
        """The earliest checkpoint covering global index ``index``."""
        rows = await self._read(
            "SELECT size, root, note, signed_at FROM checkpoints WHERE size > ?"
            " ORDER BY id LIMIT 1",
            (index,),
        )
        return StoredCheckpoint(*rows[0]) if rows else None

    async def latest_checkpoint(self) -> StoredCheckpoint | None:
        rows = await self._read(
            "SELECT size, root, note, signed_at FROM checkpoints ORDER BY id DESC LIMIT 1", ()
        )
        return StoredCheckpoint(*rows[0]) if rows else None

    async def erase_text_before(self, cutoff: datetime) -> int:
        """Erase text and salt of records older than ``cutoff``; the records stay."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer_pool, self._erase, format_utc(cutoff))

    # -- writer ----------------------------------------------------------------

    def _request_checkpoint(self) -> "asyncio.Future[str]":
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._checkpoint_waiters.append(future)
        self._wake.set()
        return future

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            if self._frontier.size > self._last_checkpoint_size:
                try:
                    await self._request_checkpoint()
                except Exception:  # the next tick tries again; appends report their own errors
                    logger.exception("periodic evidence checkpoint failed")

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._queue = self._queue, []
            waiters, self._checkpoint_waiters = self._checkpoint_waiters, []
            if not batch and not waiters:
                continue
            entries = [entry for entry, _ in batch]
            try:
                records, note = await loop.run_in_executor(
                    self._writer_pool, self._write, entries, bool(waiters)
                )
            except Exception as error:
                for _, future in batch:
                    _fail(future, error)
                for waiter in waiters:
                    _fail(waiter, error)
                continue
            for (_, future), record in zip(batch, records, strict=True):
                if future.done():
                    continue
                if isinstance(record, Exception):
                    future.set_exception(record)
                else:
                    future.set_result(record)
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(note or "")

    def _open(self) -> None:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self._con = connect(self.db_path)
        create_schema(self._con)
        bind_origin(self._con, self.origin)
        self._load_key()
        read_statements(self.key_path, self.verifier_key())
        self._con.execute("BEGIN")
        try:
            self._reload()
        finally:
            self._con.execute("COMMIT")

    def _close_connection(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def _load_key(self) -> None:
        self._key = load_or_create_private_key(self.key_path)
        stat = os.stat(self.key_path)
        self._key_stamp = (stat.st_ino, stat.st_mtime_ns)

    def _current_key(self) -> Ed25519PrivateKey:
        """The signing key, reloaded when a rotation replaced the file."""
        stat = os.stat(self.key_path)
        if (stat.st_ino, stat.st_mtime_ns) != self._key_stamp or self._key is None:
            self._load_key()
        assert self._key is not None
        return self._key

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

    def _db(self) -> sqlite3.Connection:
        if self._con is None:
            raise EvidenceLogClosed("the evidence log is not open")
        return self._con

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
            return _Tail(0, None, False, False)
        return _Tail(int(row[0]), bytes(row[1]), bool(row[2]), bool(row[3]))

    def _write(
        self, entries: list[EvidenceEntry], want_checkpoint: bool
    ) -> tuple[list[LoggedRecord | Exception], str | None]:
        con = self._db()
        con.execute("BEGIN IMMEDIATE")
        try:
            self._refresh_if_moved()
            frontier = self._frontier.copy()
            tails: dict[str, _Tail] = {}
            nodes: list[tuple[int, int, bytes]] = []
            rows, logged = self._build(entries, frontier, tails, nodes)
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
        self.batches_committed += 1
        for cid, tail in tails.items():
            if tail.closed:
                self._tails.pop(cid, None)
            else:
                self._tails[cid] = tail
        if note is not None:
            self._last_checkpoint_size = frontier.size
        return logged, note

    def _build(
        self,
        entries: list[EvidenceEntry],
        frontier: Frontier,
        tails: dict[str, _Tail],
        nodes: list[tuple[int, int, bytes]],
    ) -> tuple[list[tuple[Any, ...]], list[LoggedRecord | Exception]]:
        """Rows to insert, and per entry its record or why it cannot be logged; subtree
        roots the new leaves complete are added to ``nodes``."""
        rows: list[tuple[Any, ...]] = []
        logged: list[LoggedRecord | Exception] = []
        salts = os.urandom(SALT_SIZE * len(entries))
        for position, entry in enumerate(entries):
            cid = entry.conversation_id
            tail = tails.get(cid) or self._tail(cid)
            salt = salts[position * SALT_SIZE : (position + 1) * SALT_SIZE]
            try:
                at, at_text, blob, commitment = _encode(entry, tail, salt)
            except (ValueError, TypeError) as error:
                logged.append(InvalidEntry(f"entry cannot be logged: {error}"))
                continue
            kept_salt = None if commitment is None else salt
            leaf = hashlib.sha256(b"\x00" + blob).digest()
            index = frontier.size
            frontier.append(leaf, nodes)
            conversation_index = tail.last_index + 1
            tails[cid] = _Tail(
                conversation_index,
                leaf,
                tail.opened or entry.kind == RecordKind.CONVERSATION_OPENED,
                tail.closed or entry.kind == RecordKind.CLOSED,
            )
            rows.append(
                (
                    index,
                    cid,
                    conversation_index,
                    entry.kind,
                    entry.seq,
                    at_text,
                    blob,
                    leaf,
                    entry.text,
                    kept_salt,
                )
            )
            logged.append(
                LoggedRecord(
                    index=index,
                    conversation_id=cid,
                    conversation_index=conversation_index,
                    kind=entry.kind,
                    actor_role=entry.actor_role,
                    actor_id=entry.actor_id,
                    at=at,
                    seq=entry.seq,
                    client_msg_id=entry.client_msg_id,
                    text=entry.text,
                    data=entry.data,
                    leaf_hash=leaf,
                )
            )
        return rows, logged

    def _sign_checkpoint(self, con: sqlite3.Connection, frontier: Frontier) -> str:
        root = frontier.root()
        note = Checkpoint(self.origin, frontier.size, root).sign(self._current_key())
        con.execute(
            "INSERT INTO checkpoints (size, root, note, signed_at) VALUES (?, ?, ?, ?)",
            (frontier.size, root, note, format_utc(self._clock.now())),
        )
        return note

    def _erase(self, cutoff: str) -> int:
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

    # -- reader ----------------------------------------------------------------

    async def _read(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reader_pool, self._query, sql, params)

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return self._reader_connection().execute(sql, params).fetchall()

    def _reader_connection(self) -> sqlite3.Connection:
        if self._reader is None:
            self._reader = connect(self.db_path)
        return self._reader

    def _close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def _encode(
    entry: EvidenceEntry, tail: _Tail, salt: bytes
) -> tuple[datetime, str, bytes, str | None]:
    """The record's time (to the millisecond), its text, its bytes and text commitment."""
    at = entry.at if entry.at.tzinfo is UTC else entry.at.astimezone(UTC)
    if at.microsecond % 1000:
        at = at.replace(microsecond=at.microsecond - at.microsecond % 1000)
    at_text = format_at(at)
    commitment = None if entry.text is None else text_commitment(salt, entry.text)
    blob = encode_record(
        record_object(
            conversation_id=entry.conversation_id,
            conversation_index=tail.last_index + 1,
            prev=tail.last_hash,
            kind=entry.kind,
            actor_role=entry.actor_role,
            actor_id=entry.actor_id,
            at=at_text,
            seq=entry.seq,
            client_msg_id=entry.client_msg_id,
            text_sha256=commitment,
            data=entry.data,
        )
    )
    return at, at_text, blob, commitment


def _fail(future: "asyncio.Future[Any]", error: Exception) -> None:
    if not future.done():
        future.set_exception(error)


def _logged(row: tuple[Any, ...]) -> LoggedRecord:
    index, cid, conversation_index, kind, seq, blob, leaf, text = row
    record = json.loads(blob)
    actor = record["actor"]
    return LoggedRecord(
        index=index,
        conversation_id=cid,
        conversation_index=conversation_index,
        kind=kind,
        actor_role=actor["role"],
        actor_id=actor["id"],
        at=parse_utc(record["at"]),
        seq=seq,
        client_msg_id=record["client_msg_id"],
        text=text,
        data=record["data"],
        leaf_hash=bytes(leaf),
    )
