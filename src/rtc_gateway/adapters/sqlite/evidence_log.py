"""The evidence log in one SQLite database: a single writer with group commit.

``append`` queues an entry at once, so call order is log order. A writer task takes
everything queued and hands it, as one batch, to the writer (``evidence_writer``),
which runs on a worker thread or in a process of its own (``writer_host``); once the
batch is committed every waiting append resolves. Reads go through a connection of
their own on a reader thread (WAL lets them run beside the writer).
"""

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rtc_gateway.adapters.backlog import Backlog
from rtc_gateway.adapters.evidence_batch import fail_future, pending_entry, settle_append
from rtc_gateway.adapters.evidence_rows import RECORD_COLUMNS, logged_record
from rtc_gateway.adapters.sqlite.evidence_schema import connect
from rtc_gateway.adapters.sqlite.evidence_tree import SqliteHashRanges
from rtc_gateway.adapters.sqlite.evidence_writer import (
    EvidenceLogClosed,
    EvidenceWriter,
    InvalidEntry,
    current_key,
    record_instant,
)
from rtc_gateway.adapters.sqlite.serving_lock import ServingLock
from rtc_gateway.adapters.sqlite.writer_host import (
    Outcome,
    ProcessWriterHost,
    ThreadWriterHost,
    WriterHost,
)
from rtc_gateway.adapters.stored_tree import StoredTree
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.evidence.key_store import read_statements
from rtc_gateway.evidence.signed_note import VerifierKey
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.evidence_archive import StoredCheckpoint, StoredRecord
from rtc_gateway.ports.evidence_log import EvidenceEntry, LoggedRecord, RecordKind

logger = logging.getLogger(__name__)
BATCHES_IN_FLIGHT = 2
ERASE_ALL = "9999-12-31T23:59:59.999Z"
"""A cutoff after every record: erase a whole conversation's texts."""
_T = TypeVar("_T")

__all__ = ["EvidenceLogClosed", "InvalidEntry", "SqliteEvidenceLog", "StoredCheckpoint",
           "StoredRecord"]


class SqliteEvidenceLog:
    """Implements :class:`rtc_gateway.ports.evidence_log.EvidenceLog` on SQLite.

    ``writer="process"`` runs the writer in a child process (what the gateway uses);
    ``"thread"`` keeps it in this process, for the command line and tests.
    ``exclusive`` (what a serving gateway asks for) holds :class:`ServingLock` from
    ``start`` to ``close``: a second gateway on the same log refuses to start.
    """

    _loop: asyncio.AbstractEventLoop
    """The loop ``start`` ran on, kept: ``get_running_loop`` is a system call on 3.11."""

    def __init__(
        self,
        db_path: Path,
        key_path: Path,
        origin: str,
        clock: Clock,
        checkpoint_interval_s: float = 60.0,
        writer: str = "thread",
        exclusive: bool = False,
    ) -> None:
        self.db_path = db_path
        self.key_path = key_path
        self.origin = origin
        self._clock = clock
        self._interval = checkpoint_interval_s
        self._queue: list[tuple[EvidenceEntry, asyncio.Future[LoggedRecord]]] = []
        self._checkpoint_waiters: list[asyncio.Future[str]] = []
        self._send_scheduled = False
        self._backlog = Backlog()
        self._in_flight = 0
        self._settled = asyncio.Event()
        """Set while no batch is in flight."""
        self._host: WriterHost = _host(writer, db_path, key_path, origin, clock)
        self._serving_lock = ServingLock(db_path) if exclusive else None
        self._reader_pool = ThreadPoolExecutor(1, thread_name_prefix="evidence-reader")
        self._reader: sqlite3.Connection | None = None
        self._size = 0
        self._key: Ed25519PrivateKey | None = None
        self._key_stamp: tuple[int, int] | None = None
        self._last_checkpoint_size = -1
        self._ticker_task: asyncio.Task[None] | None = None
        self._accepting = False
        self.batches_committed = 0
        """Transactions (so fsyncs) written by this process: group commit at work."""
        self._records_committed = 0

    # -- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        """Open (or create) the database and the key; start the writer."""
        self._loop = asyncio.get_running_loop()
        if self._serving_lock is not None:
            self._serving_lock.acquire()
        try:
            self._size = await self._host.open()
        except BaseException:
            self._release_lock()
            raise
        self._accepting = True
        self._settled.set()
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
        try:
            await final
        finally:
            await self._settled.wait()
            await self._host.close()
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._reader_pool, self._close_reader)
            self._reader_pool.shutdown()
            self._release_lock()

    def _release_lock(self) -> None:
        if self._serving_lock is not None:
            self._serving_lock.release()

    # -- the port --------------------------------------------------------------

    def append(self, entry: EvidenceEntry) -> "asyncio.Future[LoggedRecord]":
        """Queue ``entry`` now; the future resolves once its record is durable."""
        if not self._accepting:
            raise EvidenceLogClosed("the evidence log is not open")
        future: asyncio.Future[LoggedRecord] = self._loop.create_future()
        self._queue.append((entry, future))
        self._backlog.added()
        self._send_soon()
        return future

    def stats(self) -> dict[str, int]:
        return {"batches": self.batches_committed, "records": self._records_committed,
                "waiting": self._backlog.waiting}

    def watch_backlog(self, limit: int, changed: Callable[[bool], None]) -> None:
        """Overload signals on the entries waiting to be durable (``adapters.backlog``)."""
        self._backlog.watch(limit, changed)

    async def checkpoint(self) -> str:
        """Sign a checkpoint covering every entry appended before this call."""
        if not self._accepting:
            raise EvidenceLogClosed("the evidence log is not open")
        return await self._request_checkpoint()

    async def conversation_records(
        self, conversation_id: str, kinds: Sequence[str] | None = None
    ) -> list[LoggedRecord]:
        rows = await self._read(
            f"SELECT {RECORD_COLUMNS} FROM records WHERE conversation_id = ?"
            " ORDER BY conversation_index",
            (conversation_id,),
        )
        wanted = None if kinds is None else set(kinds)
        return [logged_record(row) for row in rows if wanted is None or row[3] in wanted]

    async def messages_after(self, conversation_id: str, after_seq: int) -> list[LoggedRecord]:
        rows = await self._read(
            f"SELECT {RECORD_COLUMNS} FROM records WHERE conversation_id = ? AND kind = ?"
            " AND seq > ? ORDER BY seq",
            (conversation_id, RecordKind.MESSAGE, after_seq),
        )
        return [logged_record(row) for row in rows]

    async def open_conversation_ids(self) -> list[str]:
        rows = await self._read(
            "SELECT conversation_id FROM conversations WHERE opened = 1 AND closed = 0"
            " ORDER BY conversation_id",
            (),
        )
        return [str(row[0]) for row in rows]

    # -- read helpers for export, audit and the command line ---------------------

    async def opened_conversation_ids(self, since: datetime | None = None) -> list[str]:
        """Conversations opened at or after ``since`` (all without it), oldest first."""
        rows = await self._read(
            "SELECT conversation_id FROM records WHERE kind = ? AND at >= ? ORDER BY idx",
            (RecordKind.CONVERSATION_OPENED, format_utc(since) if since else ""),
        )
        return [str(row[0]) for row in rows]

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def size(self) -> int:
        """Leaves this process knows to be durable."""
        return self._size

    def verifier_key(self) -> VerifierKey:
        """The key checkpoints are signed with now (a rotation replaces its file)."""
        if not self._accepting and self._key is None:
            raise EvidenceLogClosed("the evidence log is not open")
        self._key, self._key_stamp = current_key(self.key_path, self._key, self._key_stamp)
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
            self._reader_pool,
            lambda: job(StoredTree(SqliteHashRanges(self._reader_connection()), size)),
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
        return await self._host.erase(format_utc(cutoff))

    async def erase_text_of(self, conversation_id: str) -> int:
        """Erase text and salt of every record of one conversation (a purged case)."""
        return await self._host.erase(ERASE_ALL, conversation_id)

    # -- writer ----------------------------------------------------------------

    def _request_checkpoint(self) -> "asyncio.Future[str]":
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._checkpoint_waiters.append(future)
        self._send_soon()
        return future

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            if self._size > self._last_checkpoint_size:
                try:
                    await self._request_checkpoint()
                except Exception:  # the next tick tries again; appends report their own errors
                    logger.exception("periodic evidence checkpoint failed")

    def _send_soon(self) -> None:
        """What is queued in this turn of the event loop leaves as one batch."""
        if not self._send_scheduled and self._in_flight < BATCHES_IN_FLIGHT:
            self._send_scheduled = True
            self._loop.call_soon(self._send)

    def _send(self) -> None:
        """Everything queued, as one batch, unless ``BATCHES_IN_FLIGHT`` are already sent
        and unanswered: then it leaves when the oldest is answered. The writer can start
        a batch as soon as it has committed the previous one."""
        self._send_scheduled = False
        if self._in_flight >= BATCHES_IN_FLIGHT or not (self._queue or self._checkpoint_waiters):
            return
        batch, self._queue = self._queue, []
        waiters, self._checkpoint_waiters = self._checkpoint_waiters, []
        instants = [record_instant(entry.at) for entry, _ in batch]
        pending = [pending_entry(entry, at) for (entry, _), at in zip(batch, instants, strict=True)]
        self._in_flight += 1
        self._settled.clear()
        self._host.submit(pending, bool(waiters),
                          lambda outcome: self._settle(batch, instants, waiters, outcome))

    def _settle(self, batch: list[tuple[EvidenceEntry, "asyncio.Future[LoggedRecord]"]],
                instants: list[datetime], waiters: list["asyncio.Future[str]"],
                outcome: Outcome) -> None:
        """The writer's answer for one batch, in the turn it was read."""
        self._in_flight -= 1
        self._backlog.removed(len(batch))
        if isinstance(outcome, Exception):
            for _, future in batch:
                fail_future(future, outcome)
            for waiter in waiters:
                fail_future(waiter, outcome)
        else:
            self._size = outcome.size
            self._last_checkpoint_size = outcome.last_checkpoint_size
            self.batches_committed += 1
            self._records_committed += len(batch)
            for (entry, future), at, placed in zip(batch, instants, outcome.placed, strict=True):
                if not future.done():
                    settle_append(future, entry, at, placed)
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(outcome.note or "")
        self._send()
        if not self._in_flight:
            self._settled.set()
        self._backlog.report_drained()

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


def _host(kind: str, db_path: Path, key_path: Path, origin: str, clock: Clock) -> WriterHost:
    if kind == "process":
        return ProcessWriterHost(str(db_path), str(key_path), origin)
    if kind == "thread":
        return ThreadWriterHost(EvidenceWriter(db_path, key_path, origin, clock.now))
    raise ValueError("the evidence writer runs in a thread or a process")
