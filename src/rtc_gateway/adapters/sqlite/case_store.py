"""Cases in one SQLite file of the data directory (``cases.db``, 0600).

Each case is one row: the columns the lists filter on, and the whole case as msgspec
JSON. Reference numbers come from a counter row per kind and year, incremented in the
same ``BEGIN IMMEDIATE`` transaction that reads it, so two processes never get the same
number. Calls run on one worker thread of their own.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from rtc_gateway.adapters.sqlite.private_database import PrivateDatabase
from rtc_gateway.domain.cases import Case, CaseKind
from rtc_gateway.ports.case_store import StaffScope

SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    citizen_id TEXT NOT NULL,
    force TEXT NOT NULL,
    unit_id TEXT,
    created_at TEXT NOT NULL,
    body BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cases_by_citizen ON cases (citizen_id, created_at);
CREATE INDEX IF NOT EXISTS cases_by_force ON cases (force, unit_id, created_at);
CREATE TABLE IF NOT EXISTS case_numbers (
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (kind, year)
) WITHOUT ROWID;
"""

_PUT = """
INSERT INTO cases (id, reference, kind, status, citizen_id, force, unit_id, created_at, body)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET status = excluded.status, unit_id = excluded.unit_id,
    body = excluded.body
"""

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(Case).decode


class SqliteCaseStore:
    """Implements :class:`rtc_gateway.ports.case_store.CaseStore` on SQLite."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._db = PrivateDatabase(db_path, SCHEMA, "cases")

    async def open(self) -> None:
        await self._db.open()

    async def next_number(self, kind: CaseKind, year: int) -> int:
        return await self._db.run(lambda: self._next_number(kind, year))

    async def put(self, case: Case) -> None:
        await self._db.run(lambda: self._execute(_PUT, (
            case.id, case.reference, case.kind.value, case.status.value, case.citizen_id,
            case.force.value, case.unit_id, case.created_at.isoformat(), _encode(case))))

    async def get(self, case_id: str) -> Case | None:
        rows = await self._db.run(lambda: self._bodies("SELECT body FROM cases WHERE id = ?",
                                                    (case_id,)))
        return rows[0] if rows else None

    async def of_citizen(self, citizen_id: str) -> list[Case]:
        return await self._db.run(lambda: self._bodies(
            "SELECT body FROM cases WHERE citizen_id = ? ORDER BY created_at DESC, id DESC",
            (citizen_id,)))

    async def in_scope(self, scope: StaffScope, limit: int) -> list[Case]:
        where, params = ["force = ?"], [scope.force.value]
        if scope.unit_id is not None:
            where.append("(unit_id = ? OR unit_id IS NULL)")
            params.append(scope.unit_id)
        for column, value in (("unit_id", scope.only_unit), ("kind", scope.kind),
                              ("status", scope.status)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(str(value))
        sql = (f"SELECT body FROM cases WHERE {' AND '.join(where)} "
               "ORDER BY created_at DESC, id DESC LIMIT ?")
        return await self._db.run(lambda: self._bodies(sql, (*params, limit)))

    async def delete(self, case_id: str) -> None:
        await self._db.run(lambda: self._execute("DELETE FROM cases WHERE id = ?", (case_id,)))

    async def close(self) -> None:
        await self._db.close()

    def _next_number(self, kind: CaseKind, year: int) -> int:
        with self._db.writing() as con:
            (number,) = con.execute(
                "INSERT INTO case_numbers (kind, year, last) VALUES (?, ?, 1) "
                "ON CONFLICT (kind, year) DO UPDATE SET last = last + 1 RETURNING last",
                (kind.value, year)).fetchone()
        return int(number)

    def _execute(self, sql: str, params: Sequence[Any]) -> None:
        self._db.connection().execute(sql, params)

    def _bodies(self, sql: str, params: Sequence[Any]) -> list[Case]:
        return [_decode(body) for (body,) in self._db.connection().execute(sql, params)]
