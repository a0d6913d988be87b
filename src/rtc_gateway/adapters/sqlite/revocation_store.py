"""The revocation store in one SQLite file of the data directory (``revocations.db``).

The gateway and the command line open it at once (WAL); ``BEGIN IMMEDIATE`` serialises
writers, so versions grow strictly and a reader that asks for ``version > N`` after a
commit never misses an earlier one. Calls run on one worker thread of their own.
"""

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from rtc_gateway.adapters.sqlite.evidence_schema import prepare_private_database
from rtc_gateway.ports.revocations import Changes, RevocationEntry

_T = TypeVar("_T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS revocations (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    value INTEGER NOT NULL,
    expires_us INTEGER NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS revocations_by_version ON revocations (version);
CREATE TABLE IF NOT EXISTS revocation_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT OR IGNORE INTO revocation_version (id, version) VALUES (1, 0);
"""

_UPSERT = """
INSERT INTO revocations (kind, key, value, expires_us, version) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (kind, key) DO UPDATE SET
    value = max(value, excluded.value),
    expires_us = max(expires_us, excluded.expires_us),
    version = excluded.version
"""


class SqliteRevocationStore:
    """Implements :class:`rtc_gateway.ports.revocations.RevocationStore` on SQLite."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="revocations")
        self._con: sqlite3.Connection | None = None

    async def open(self) -> None:
        await self._run(self._open)

    async def put(self, entries: Sequence[RevocationEntry]) -> None:
        if entries:
            await self._run(lambda: self._put(entries))

    async def changes_since(self, version: int) -> Changes:
        return await self._run(lambda: self._changes_since(version))

    async def purge_expired(self, now_us: int) -> int:
        return await self._run(lambda: self._purge(now_us))

    async def close(self) -> None:
        if self._con is not None:
            await self._run(self._close)
        self._pool.shutdown()

    async def _run(self, job: Callable[[], _T]) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, job)

    def _open(self) -> None:
        if self._con is not None:
            return
        prepare_private_database(self.db_path)
        con = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False,
                              timeout=30.0)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        con.execute("PRAGMA busy_timeout=30000")
        con.executescript(SCHEMA)
        self._con = con

    def _connection(self) -> sqlite3.Connection:
        if self._con is None:
            raise RuntimeError("the revocation store is not open")
        return self._con

    def _put(self, entries: Sequence[RevocationEntry]) -> None:
        con = self._connection()
        con.execute("BEGIN IMMEDIATE")
        try:
            (version,) = con.execute(
                "UPDATE revocation_version SET version = version + 1 WHERE id = 1 "
                "RETURNING version").fetchone()
            con.executemany(_UPSERT, [(e.kind, e.key, e.value, e.expires_us, version)
                                      for e in entries])
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def _changes_since(self, version: int) -> Changes:
        con = self._connection()
        con.execute("BEGIN")
        try:
            rows = con.execute(
                "SELECT kind, key, value, expires_us FROM revocations WHERE version > ?",
                (version,)).fetchall()
            (latest,) = con.execute(
                "SELECT version FROM revocation_version WHERE id = 1").fetchone()
        finally:
            con.execute("COMMIT")
        return Changes([RevocationEntry(str(kind), str(key), int(value), int(expires))
                        for kind, key, value, expires in rows], int(latest))

    def _purge(self, now_us: int) -> int:
        cursor = self._connection().execute(
            "DELETE FROM revocations WHERE expires_us < ?", (now_us,))
        return cursor.rowcount

    def _close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
