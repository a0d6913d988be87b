"""Cases in PostgreSQL, shared by every node: the same rows as ``adapters/sqlite/case_store``
(the columns the lists filter on, and the whole case as msgspec JSON).

Reference numbers come from one counter row per kind and year, incremented by a single
upsert, so concurrent nodes never get the same number. The database not answering is
``Unavailable`` (503 ``unavailable``).
"""

from typing import Any

import msgspec

from rtc_gateway.adapters.postgres.database import PostgresDatabase
from rtc_gateway.domain.cases import Case, CaseKind
from rtc_gateway.ports.case_store import StaffScope

_PUT = """
INSERT INTO cases (id, reference, kind, status, citizen_id, force, unit_id, created_at, body)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (id) DO UPDATE SET status = excluded.status, unit_id = excluded.unit_id,
    body = excluded.body
"""

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(Case).decode


class PostgresCaseStore:
    """Implements :class:`rtc_gateway.ports.case_store.CaseStore` on PostgreSQL."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._db = PostgresDatabase(dsn, "case", max_size=4)

    async def open(self) -> None:
        await self._db.open()

    async def next_number(self, kind: CaseKind, year: int) -> int:
        with self._db.answering():
            number = await self._db.pool.fetchval(
                "INSERT INTO case_numbers (kind, year, last) VALUES ($1, $2, 1)"
                " ON CONFLICT (kind, year) DO UPDATE SET last = case_numbers.last + 1"
                " RETURNING last", kind.value, year)
        return int(number)

    async def put(self, case: Case) -> None:
        with self._db.answering():
            await self._db.pool.execute(
                _PUT, case.id, case.reference, case.kind.value, case.status.value,
                case.citizen_id, case.force.value, case.unit_id, case.created_at,
                _encode(case))

    async def get(self, case_id: str) -> Case | None:
        found = await self._bodies("SELECT body FROM cases WHERE id = $1", case_id)
        return found[0] if found else None

    async def of_citizen(self, citizen_id: str) -> list[Case]:
        return await self._bodies(
            "SELECT body FROM cases WHERE citizen_id = $1 ORDER BY created_at DESC, id DESC",
            citizen_id)

    async def in_scope(self, scope: StaffScope, limit: int) -> list[Case]:
        params: list[Any] = [scope.force.value]
        where = ["force = $1"]
        if scope.unit_id is not None:
            params.append(scope.unit_id)
            where.append(f"(unit_id = ${len(params)} OR unit_id IS NULL)")
        for column, value in (("unit_id", scope.only_unit), ("kind", scope.kind),
                              ("status", scope.status)):
            if value is not None:
                params.append(str(value))
                where.append(f"{column} = ${len(params)}")
        params.append(limit)
        return await self._bodies(
            f"SELECT body FROM cases WHERE {' AND '.join(where)}"
            f" ORDER BY created_at DESC, id DESC LIMIT ${len(params)}", *params)

    async def of_kind(self, kind: CaseKind) -> list[Case]:
        return await self._bodies(
            "SELECT body FROM cases WHERE kind = $1 ORDER BY created_at, id", kind.value)

    async def delete(self, case_id: str) -> None:
        with self._db.answering():
            await self._db.pool.execute("DELETE FROM cases WHERE id = $1", case_id)

    async def close(self) -> None:
        await self._db.close()

    async def _bodies(self, sql: str, *params: Any) -> list[Case]:
        with self._db.answering():
            rows = await self._db.pool.fetch(sql, *params)
        return [_decode(bytes(row[0])) for row in rows]
