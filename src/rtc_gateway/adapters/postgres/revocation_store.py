"""The revocation store in PostgreSQL, shared by every node and the command line.

Each write first increments the single row of ``revocation_version`` and keeps its row
lock until commit, so writers are serialised and versions commit in increasing order;
a reader takes the rows and the latest version in one snapshot (repeatable read), so
asking for ``version > N`` later never misses a write committed before.
"""

from collections.abc import Sequence

from rtc_gateway.adapters.postgres.database import PostgresDatabase
from rtc_gateway.ports.revocations import Changes, RevocationEntry

_UPSERT = """
INSERT INTO revocations (kind, key, value, expires_us, version)
SELECT kind, key, value, expires_us, $5
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS e(kind, key, value,
                                                                     expires_us)
ON CONFLICT (kind, key) DO UPDATE SET
    value = greatest(revocations.value, excluded.value),
    expires_us = greatest(revocations.expires_us, excluded.expires_us),
    version = excluded.version
"""


class PostgresRevocationStore:
    """Implements :class:`rtc_gateway.ports.revocations.RevocationStore` on PostgreSQL."""

    def __init__(self, dsn: str) -> None:
        self._db = PostgresDatabase(dsn, "revocation")

    async def open(self) -> None:
        await self._db.open()

    async def put(self, entries: Sequence[RevocationEntry]) -> None:
        if not entries:
            return
        latest: dict[tuple[str, str], RevocationEntry] = {}
        for entry in entries:  # one row per key: a statement may not upsert a row twice
            current = latest.get((entry.kind, entry.key))
            latest[(entry.kind, entry.key)] = entry if current is None else RevocationEntry(
                entry.kind, entry.key, max(current.value, entry.value),
                max(current.expires_us, entry.expires_us))
        rows = list(latest.values())
        async with self._db.pool.acquire() as connection, connection.transaction():
            version = await connection.fetchval(
                "UPDATE revocation_version SET version = version + 1 WHERE id = 1"
                " RETURNING version")
            await connection.execute(
                _UPSERT, [e.kind for e in rows], [e.key for e in rows],
                [e.value for e in rows], [e.expires_us for e in rows], version)

    async def changes_since(self, version: int) -> Changes:
        async with self._db.pool.acquire() as connection, connection.transaction(
                isolation="repeatable_read", readonly=True):
            rows = await connection.fetch(
                "SELECT kind, key, value, expires_us FROM revocations WHERE version > $1",
                version)
            latest = await connection.fetchval(
                "SELECT version FROM revocation_version WHERE id = 1")
        return Changes([RevocationEntry(row[0], row[1], int(row[2]), int(row[3]))
                        for row in rows], int(latest))

    async def purge_expired(self, now_us: int) -> int:
        status = await self._db.pool.execute(
            "DELETE FROM revocations WHERE expires_us < $1", now_us)
        return int(status.split()[-1])

    async def close(self) -> None:
        await self._db.close()
