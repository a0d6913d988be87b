"""The evidence log in PostgreSQL, shared by every node of a service.

One global order: each batch is one transaction that first locks the single row of
``evidence_tree`` (``SELECT ... FOR UPDATE``). Whoever holds that lock is the only
integrator at that moment: it reads the chain ends of the conversations in its batch,
builds the records (the same bytes as on SQLite, ``adapters.evidence_batch``), appends
their leaves to the Merkle frontier, stores the completed subtree roots and commits.
So every record's index, chain link and proof are final when its append resolves, and
a conversation written from two nodes keeps one chain: the second node's batch sees
the first one's records. A message whose ``seq`` does not follow the conversation's
last logged message is refused, whichever node numbered it.

Group commit: appends queued in one turn of the event loop leave as one batch; while a
batch is being written the next ones queue. Checkpoints are signed under the same lock
(so their sizes only grow): on request, when a conversation closes, and periodically by
one node at a time, the holder of a session advisory lock
(:class:`~rtc_gateway.adapters.postgres.leadership.Leadership`); when that node dies its
session ends, the lock is free, and another node takes the role within a second.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rtc_gateway.adapters.backlog import Backlog
from rtc_gateway.adapters.evidence_batch import (
    NEW_CHAIN,
    EvidenceLogClosed,
    InvalidEntry,
    PendingEntry,
    Placed,
    StorageUnavailable,
    Tail,
    build_batch,
    fail_future,
    pending_entry,
    record_instant,
    settle_append,
)
from rtc_gateway.adapters.evidence_rows import RECORD_COLUMNS, logged_record
from rtc_gateway.adapters.postgres.leadership import Leadership
from rtc_gateway.adapters.postgres.schema import bind_origin, migrate
from rtc_gateway.adapters.postgres.tree import on_tree
from rtc_gateway.adapters.sqlite.evidence_writer import current_key
from rtc_gateway.adapters.stored_tree import StoredTree
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.evidence.checkpoint import Checkpoint, open_checkpoint
from rtc_gateway.evidence.key_rotation import follow_chain
from rtc_gateway.evidence.key_store import read_statements
from rtc_gateway.evidence.merkle import Frontier
from rtc_gateway.evidence.signed_note import NoteError, VerifierKey
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.evidence_archive import StoredCheckpoint, StoredRecord
from rtc_gateway.ports.evidence_log import EvidenceEntry, LoggedRecord, RecordKind

logger = logging.getLogger(__name__)
_T = TypeVar("_T")
SIGNING_LOCK = 0x7274_635F_636B_70  # "rtc_ckp": the advisory lock of periodic signing
_RECORD_TABLE_COLUMNS = ("idx", "conversation_id", "conversation_index", "kind", "seq", "at",
                         "record", "leaf_hash", "text", "salt")
_UPSERT_CHAINS = """
    INSERT INTO evidence_conversations
        (conversation_id, last_index, last_hash, last_seq, opened, closed)
    SELECT * FROM unnest($1::text[], $2::int[], $3::bytea[], $4::bigint[], $5::bool[],
                         $6::bool[])
    ON CONFLICT (conversation_id) DO UPDATE SET
        last_index = excluded.last_index, last_hash = excluded.last_hash,
        last_seq = excluded.last_seq, opened = excluded.opened, closed = excluded.closed
"""

__all__ = ["EvidenceLogClosed", "InvalidEntry", "PostgresEvidenceLog", "SigningKeyMismatch"]


class SigningKeyMismatch(RuntimeError):
    """This node's log signing key is not the one the shared log is signed with."""

Batch = list[tuple[EvidenceEntry, "asyncio.Future[LoggedRecord]"]]


class PostgresEvidenceLog:
    """Implements :class:`rtc_gateway.ports.evidence_log.EvidenceLog` on PostgreSQL."""

    def __init__(
        self,
        dsn: str,
        key_path: Path,
        origin: str,
        clock: Clock,
        checkpoint_interval_s: float = 60.0,
        node_id: str = "node",
        pool_size: int = 4,
    ) -> None:
        self.dsn = dsn
        self.key_path = key_path
        self.origin = origin
        self.node_id = node_id
        self._clock = clock
        self._interval = checkpoint_interval_s
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._queue: Batch = []
        self._checkpoint_waiters: list[asyncio.Future[str]] = []
        self._writing: asyncio.Task[None] | None = None
        self._backlog = Backlog()
        self._size = 0
        self._key: Ed25519PrivateKey | None = None
        self._key_stamp: tuple[int, int] | None = None
        self._leadership = Leadership(dsn, SIGNING_LOCK, "periodic checkpoints")
        self._ticker_task: asyncio.Task[None] | None = None
        self._accepting = False
        self.batches_committed = 0
        self._records_committed = 0

    # -- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        """Connect, bring the schema up to date, check the origin and the key."""
        self._pool = await asyncpg.create_pool(self.dsn, min_size=0, max_size=self._pool_size)
        async with self._pool.acquire() as connection:
            await migrate(connection)
            await bind_origin(connection, self.origin)
            self._size = int(await connection.fetchval(
                "SELECT size FROM evidence_tree WHERE id = 1"))
            latest = await connection.fetchval(
                "SELECT note FROM evidence_checkpoints ORDER BY id DESC LIMIT 1")
        try:
            self._check_key_signs(latest)
        except SigningKeyMismatch:
            await self._pool.close()
            self._pool = None
            raise
        self._accepting = True
        self._ticker_task = asyncio.create_task(self._tick(), name="evidence-checkpoints")

    async def close(self) -> None:
        """Flush everything queued, sign a final checkpoint, release the connections."""
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
            while self._writing is not None:
                await asyncio.gather(self._writing, return_exceptions=True)
            await self._leadership.release()
            if self._pool is not None:
                await self._pool.close()
                self._pool = None

    def _check_key_signs(self, latest_note: str | None) -> None:
        """Refuse a key that is not the log's: the nodes of a service share one key
        (and its rotations); one that made its own would sign checkpoints no verifier
        holding the log's key accepts."""
        statements = self.rotation_statements()
        if latest_note is None:
            return
        try:
            open_checkpoint(latest_note, follow_chain(self.verifier_key(), statements))
        except NoteError as error:
            raise SigningKeyMismatch(
                f"the log signing key at {self.key_path} did not sign this log's latest"
                " checkpoint: give every node the same keys/log-signing.key (and"
                " keys/rotations/)") from error

    # -- the port --------------------------------------------------------------

    def append(self, entry: EvidenceEntry) -> "asyncio.Future[LoggedRecord]":
        """Queue ``entry`` now; the future resolves once its record is committed."""
        if not self._accepting:
            raise EvidenceLogClosed("the evidence log is not open")
        future: asyncio.Future[LoggedRecord] = asyncio.get_running_loop().create_future()
        self._queue.append((entry, future))
        self._backlog.added()
        self._write_soon()
        return future

    async def reachable(self) -> bool:
        """Whether PostgreSQL answers now (readiness); never raises."""
        if self._pool is None:
            return False
        try:
            async with self._pool.acquire(timeout=1.0) as connection:
                await connection.fetchval("SELECT 1", timeout=1.0)
            return True
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False

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
        rows = await self.fetch(
            f"SELECT {RECORD_COLUMNS} FROM evidence_records WHERE conversation_id = $1"
            " ORDER BY conversation_index", conversation_id)
        wanted = None if kinds is None else set(kinds)
        return [logged_record(row) for row in rows if wanted is None or row[3] in wanted]

    async def messages_after(self, conversation_id: str, after_seq: int) -> list[LoggedRecord]:
        rows = await self.fetch(
            f"SELECT {RECORD_COLUMNS} FROM evidence_records WHERE conversation_id = $1"
            " AND kind = $2 AND seq > $3 ORDER BY seq",
            conversation_id, RecordKind.MESSAGE, after_seq)
        return [logged_record(row) for row in rows]

    async def opened_conversation_ids(self, since: datetime | None = None) -> list[str]:
        """Conversations opened at or after ``since`` (all without it), oldest first."""
        rows = await self.fetch(
            "SELECT conversation_id FROM evidence_records WHERE kind = $1 AND at >= $2"
            " ORDER BY idx", RecordKind.CONVERSATION_OPENED, format_utc(since) if since else "")
        return [str(row[0]) for row in rows]

    async def open_conversation_ids(self) -> list[str]:
        rows = await self.fetch(
            "SELECT conversation_id FROM evidence_conversations WHERE opened AND NOT closed"
            " ORDER BY conversation_id")
        return [str(row[0]) for row in rows]

    # -- read helpers for export and audit ---------------------------------------

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def size(self) -> int:
        """Leaves this node knows to be durable."""
        return self._size

    def verifier_key(self) -> VerifierKey:
        """The key checkpoints are signed with now (a rotation replaces its file)."""
        self._key, self._key_stamp = current_key(self.key_path, self._key, self._key_stamp)
        return VerifierKey.of(self.origin, self._key)

    def rotation_statements(self) -> list[str]:
        return read_statements(self.key_path, self.verifier_key())

    async def stored_records(
        self, conversation_id: str, max_index: int | None = None
    ) -> list[StoredRecord]:
        """Records of one conversation in chain order, up to global index ``max_index``."""
        rows = await self.fetch(
            "SELECT idx, conversation_index, record, leaf_hash, text, salt FROM evidence_records"
            " WHERE conversation_id = $1 AND idx <= $2 ORDER BY conversation_index",
            conversation_id, max_index if max_index is not None else 2**62)
        return [StoredRecord(row[0], row[1], bytes(row[2]), bytes(row[3]), row[4],
                             None if row[5] is None else bytes(row[5])) for row in rows]

    async def leaf_hashes(self, size: int) -> list[bytes]:
        rows = await self.fetch(
            "SELECT leaf_hash FROM evidence_records WHERE idx < $1 ORDER BY idx", size)
        return [bytes(row[0]) for row in rows]

    async def inclusion_proofs(self, indexes: Sequence[int], size: int) -> list[list[bytes]]:
        return await self._on_tree(
            size, lambda tree: [tree.inclusion_proof(i, size) for i in indexes])

    async def consistency_proofs(self, old_sizes: Sequence[int], size: int) -> list[list[bytes]]:
        return await self._on_tree(
            size, lambda tree: [tree.consistency_proof(m, size) for m in old_sizes])

    async def root_at(self, size: int) -> bytes:
        return await self._on_tree(size, lambda tree: tree.root(size))

    async def first_checkpoint_after(self, index: int) -> StoredCheckpoint | None:
        rows = await self.fetch(
            "SELECT size, root, note, signed_at FROM evidence_checkpoints WHERE size > $1"
            " ORDER BY id LIMIT 1", index)
        return _checkpoint(rows[0]) if rows else None

    async def latest_checkpoint(self) -> StoredCheckpoint | None:
        rows = await self.fetch(
            "SELECT size, root, note, signed_at FROM evidence_checkpoints ORDER BY id DESC"
            " LIMIT 1")
        return _checkpoint(rows[0]) if rows else None

    async def erase_text_before(self, cutoff: datetime) -> int:
        """Erase text and salt of records older than ``cutoff``; the records stay."""
        status = await self._connected_pool().execute(
            "UPDATE evidence_records SET text = NULL, salt = NULL WHERE at < $1"
            " AND (text IS NOT NULL OR salt IS NOT NULL)", format_utc(cutoff))
        return int(status.split()[-1])

    async def erase_text_of(self, conversation_id: str) -> int:
        """Erase text and salt of every record of one conversation (a purged case)."""
        status = await self._connected_pool().execute(
            "UPDATE evidence_records SET text = NULL, salt = NULL WHERE conversation_id = $1"
            " AND (text IS NOT NULL OR salt IS NOT NULL)", conversation_id)
        return int(status.split()[-1])

    # -- writer ----------------------------------------------------------------

    def _request_checkpoint(self) -> "asyncio.Future[str]":
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._checkpoint_waiters.append(future)
        self._write_soon()
        return future

    def _write_soon(self) -> None:
        if self._writing is None:
            self._writing = asyncio.get_running_loop().create_task(self._write_queued())

    async def _write_queued(self) -> None:
        """Batch after batch while anything waits; one batch in flight per node."""
        try:
            await asyncio.sleep(0)  # what the callers queue in this turn leaves together
            while self._queue or self._checkpoint_waiters:
                batch, self._queue = self._queue, []
                waiters, self._checkpoint_waiters = self._checkpoint_waiters, []
                await self._write_batch(batch, waiters)
        finally:
            self._writing = None

    async def _write_batch(self, batch: Batch, waiters: list["asyncio.Future[str]"]) -> None:
        instants = [record_instant(entry.at) for entry, _ in batch]
        pending = [pending_entry(entry, at) for (entry, _), at in zip(batch, instants, strict=True)]
        try:
            placed, note, size = await self._commit(pending, bool(waiters))
        except Exception as cause:
            logger.warning("evidence batch failed", extra={"records": len(batch),
                                                           "error": type(cause).__name__})
            error = StorageUnavailable(f"the evidence database failed: {type(cause).__name__}")
            error.__cause__ = cause
            for _, future in batch:
                fail_future(future, error)
            for waiter in waiters:
                fail_future(waiter, error)
        else:
            self._size = max(self._size, size)
            self.batches_committed += 1
            self._records_committed += len(batch)
            for (entry, future), at, where in zip(batch, instants, placed, strict=True):
                if not future.done():
                    settle_append(future, entry, at, where)
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(note or "")
        finally:
            self._backlog.removed(len(batch))
            self._backlog.report_drained()

    async def _commit(self, pending: list[PendingEntry], want_checkpoint: bool
                      ) -> tuple[list[Placed | str], str | None, int]:
        async with self._connected_pool().acquire() as connection, connection.transaction():
            size, blob = await connection.fetchrow(
                "SELECT size, frontier FROM evidence_tree WHERE id = 1 FOR UPDATE")
            frontier = Frontier.from_bytes(bytes(blob))
            known = await _chain_ends(connection, {e.conversation_id for e in pending})
            tails: dict[str, Tail] = {}
            nodes: list[tuple[int, int, bytes]] = []
            rows, placed = build_batch(pending, frontier, lambda cid: known.get(cid, NEW_CHAIN),
                                       tails, nodes)
            if rows:
                await connection.copy_records_to_table(
                    "evidence_records", records=rows, columns=_RECORD_TABLE_COLUMNS)
            if nodes:
                await connection.copy_records_to_table(
                    "evidence_nodes", records=nodes, columns=("height", "idx", "hash"))
            if tails:
                await _store_chain_ends(connection, tails)
            if frontier.size != size:
                await connection.execute(
                    "UPDATE evidence_tree SET size = $1, frontier = $2 WHERE id = 1",
                    frontier.size, frontier.to_bytes())
            note = None
            closing = any(entry.kind == RecordKind.CLOSED for entry in pending)
            if want_checkpoint or closing:
                note = await self._sign(connection, frontier)
            return placed, note, frontier.size

    async def _sign(self, connection: asyncpg.Connection, frontier: Frontier) -> str:
        root = frontier.root()
        self._key, self._key_stamp = current_key(self.key_path, self._key, self._key_stamp)
        note = Checkpoint(self.origin, frontier.size, root).sign(self._key)
        await connection.execute(
            "INSERT INTO evidence_checkpoints (size, root, note, signed_at, signer)"
            " VALUES ($1, $2, $3, $4, $5)",
            frontier.size, root, note, format_utc(self._clock.now()), self.node_id)
        return note

    async def _tick(self) -> None:
        """Every second: the node holding the signing role signs when the interval has
        passed and the tree grew; the others try to take the role."""
        last_signed = self._clock.monotonic()
        while True:
            await asyncio.sleep(min(1.0, self._interval) if self._interval > 0 else 1.0)
            if self._interval <= 0 or not await self._leadership.hold():
                continue
            if self._clock.monotonic() - last_signed < self._interval:
                continue
            last_signed = self._clock.monotonic()
            try:
                if await self._tree_grew_since_checkpoint():
                    await self._request_checkpoint()
            except Exception:  # the next tick tries again; appends report their own errors
                logger.exception("periodic evidence checkpoint failed")

    async def _tree_grew_since_checkpoint(self) -> bool:
        grown: bool = await self._connected_pool().fetchval(
            "SELECT (SELECT size FROM evidence_tree WHERE id = 1)"
            " > coalesce((SELECT max(size) FROM evidence_checkpoints), -1)")
        return grown

    # -- reader ----------------------------------------------------------------

    def _connected_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise EvidenceLogClosed("the evidence log is not open")
        return self._pool

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        """Rows of a read-only query on the log's tables (for read models such as the
        conversation index, which live beside this adapter)."""
        rows: list[Any] = await self._connected_pool().fetch(sql, *args)
        return rows

    async def _on_tree(self, size: int, job: Callable[[StoredTree], _T]) -> _T:
        async with self._connected_pool().acquire() as connection:
            return await on_tree(connection, size, job)

    @property
    def leader(self) -> bool:
        """Whether this node holds the periodic signing role now."""
        return self._leadership.held


async def _chain_ends(connection: asyncpg.Connection, conversation_ids: set[str]
                      ) -> dict[str, Tail]:
    rows = await connection.fetch(
        "SELECT conversation_id, last_index, last_hash, last_seq, opened, closed"
        " FROM evidence_conversations WHERE conversation_id = ANY($1::text[])",
        list(conversation_ids))
    return {row[0]: Tail(row[1], bytes(row[2]), row[4], row[5], row[3]) for row in rows}


async def _store_chain_ends(connection: asyncpg.Connection, tails: dict[str, Tail]) -> None:
    ends = list(tails.items())
    await connection.execute(
        _UPSERT_CHAINS,
        [cid for cid, _ in ends], [t.last_index for _, t in ends],
        [t.last_hash for _, t in ends], [t.last_seq for _, t in ends],
        [t.opened for _, t in ends], [t.closed for _, t in ends])


def _checkpoint(row: Any) -> StoredCheckpoint:
    return StoredCheckpoint(int(row[0]), bytes(row[1]), str(row[2]), str(row[3]))
