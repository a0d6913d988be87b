"""A small connection pool on the shared PostgreSQL database, migrated on open: what the
session, revocation and case stores share (the evidence log keeps a pool of its own).

Opening runs :func:`~rtc_gateway.adapters.postgres.schema.migrate`, which takes the
migration advisory lock: nodes and command lines starting at once apply each migration
once, and a database newer than this code raises ``SchemaTooNew``.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from rtc_gateway.adapters.postgres.schema import migrate
from rtc_gateway.domain.errors import Unavailable

log = logging.getLogger(__name__)

UNREACHABLE = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
"""What a call may raise when the database cannot be reached or refuses."""


class PostgresDatabase:
    def __init__(self, dsn: str, name: str, max_size: int = 2) -> None:
        self.dsn = dsn
        self._name = name
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        if self._pool is not None:
            return
        pool = await asyncpg.create_pool(self.dsn, min_size=0, max_size=self._max_size,
                                         timeout=10)
        try:
            async with pool.acquire() as connection:
                await migrate(connection)
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError(f"the {self._name} store is not open")
        return self._pool

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around a call of the services: the database not answering is
        :class:`Unavailable` (503 ``unavailable``), not a crash of the request."""
        try:
            yield
        except UNREACHABLE as error:
            log.warning("shared database call failed",
                        extra={"store": self._name, "error": type(error).__name__})
            raise Unavailable(f"the {self._name} store is unavailable; try again") from error

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()
