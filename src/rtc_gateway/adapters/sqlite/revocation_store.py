"""The revocation store in one SQLite file of the data directory (``revocations.db``).

The gateway and the command line open it at once (WAL); ``BEGIN IMMEDIATE`` serialises
writers, so versions grow strictly and a reader that asks for ``version > N`` after a
commit never misses an earlier one. Calls run on one worker thread of their own.
"""

from collections.abc import Sequence
from pathlib import Path

from rtc_gateway.adapters.sqlite.private_database import PrivateDatabase
from rtc_gateway.ports.revocations import Changes, RevocationEntry

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
        self._db = PrivateDatabase(db_path, SCHEMA, "revocations")

    async def open(self) -> None:
        await self._db.open()

    async def put(self, entries: Sequence[RevocationEntry]) -> None:
        if entries:
            await self._db.run(lambda: self._put(entries))

    async def changes_since(self, version: int) -> Changes:
        return await self._db.run(lambda: self._changes_since(version))

    async def purge_expired(self, now_us: int) -> int:
        return await self._db.run(lambda: self._purge(now_us))

    async def close(self) -> None:
        await self._db.close()

    def _put(self, entries: Sequence[RevocationEntry]) -> None:
        with self._db.writing() as con:
            (version,) = con.execute(
                "UPDATE revocation_version SET version = version + 1 WHERE id = 1 "
                "RETURNING version").fetchone()
            con.executemany(_UPSERT, [(e.kind, e.key, e.value, e.expires_us, version)
                                      for e in entries])

    def _changes_since(self, version: int) -> Changes:
        con = self._db.connection()
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
        cursor = self._db.connection().execute(
            "DELETE FROM revocations WHERE expires_us < ?", (now_us,))
        return cursor.rowcount
