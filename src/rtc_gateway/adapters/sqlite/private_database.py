"""A small SQLite database of the data directory, private (0600) and served by one
worker thread of its own: what the case store and the revocation store share.

``connect`` gives WAL, ``synchronous=FULL`` and a busy timeout, so the gateway and the
command line may open the file at once; ``BEGIN IMMEDIATE`` serialises their writers.
"""

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from rtc_gateway.adapters.sqlite.evidence_schema import connect, prepare_private_database

_T = TypeVar("_T")


class PrivateDatabase:
    def __init__(self, db_path: Path, schema: str, name: str) -> None:
        self.db_path = db_path
        self._schema = schema
        self._name = name
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=name)
        self._con: sqlite3.Connection | None = None

    async def open(self) -> None:
        await self.run(self._open)

    async def close(self) -> None:
        if self._con is not None:
            await self.run(self._close)
        self._pool.shutdown()

    async def run(self, job: Callable[[], _T]) -> _T:
        """``job`` on the database's own thread."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, job)

    def connection(self) -> sqlite3.Connection:
        """For jobs given to :meth:`run` only."""
        if self._con is None:
            raise RuntimeError(f"the {self._name} database is not open")
        return self._con

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction, rolled back if the block raises."""
        con = self.connection()
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def _open(self) -> None:
        if self._con is not None:
            return
        prepare_private_database(self.db_path)
        con = connect(self.db_path)
        con.executescript(self._schema)
        self._con = con

    def _close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
