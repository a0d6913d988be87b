"""A role one node holds at a time: a PostgreSQL session advisory lock on its own connection.

The lock lives as long as the holder's session: if the node dies or its network is cut,
PostgreSQL ends the session (at once for a dead process, after TCP keepalive for a cut
link) and the next node that asks takes the role. Asking is cheap, so every node asks
about once a second.
"""

import logging

import asyncpg

logger = logging.getLogger(__name__)


class Leadership:
    def __init__(self, dsn: str, lock_key: int, role: str) -> None:
        self._dsn = dsn
        self._key = lock_key
        self._role = role
        self._connection: asyncpg.Connection | None = None
        self.held = False

    async def hold(self) -> bool:
        """Whether this node holds the role now, taking it if it is free."""
        try:
            if self._connection is None or self._connection.is_closed():
                self._connection = await asyncpg.connect(self._dsn, timeout=5)
                self.held = False
            if self.held:
                await self._connection.fetchval("SELECT 1", timeout=5)
                return True
            self.held = bool(await self._connection.fetchval(
                "SELECT pg_try_advisory_lock($1)", self._key, timeout=5))
            if self.held:
                logger.info("took a role", extra={"role": self._role})
            return self.held
        except (OSError, asyncpg.PostgresError, TimeoutError) as error:
            if self.held:
                logger.warning("lost a role", extra={"role": self._role,
                                                     "error": type(error).__name__})
            self.held = False
            await self._drop()
            return False

    async def release(self) -> None:
        self.held = False
        await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            try:
                await connection.close(timeout=5)
            except (OSError, asyncpg.PostgresError, TimeoutError):
                connection.terminate()
