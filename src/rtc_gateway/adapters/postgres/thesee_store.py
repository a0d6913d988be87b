"""The THESEE desk's records in PostgreSQL: the same tables as the SQLite store
(``thesee_cases``, ``thesee_links`` indexed both ways, ``thesee_drafts``,
``thesee_pending``), created at open under an advisory lock so nodes starting together
create them once. Its own small asyncpg pool."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from rtc_gateway.domain.cases import CaseStatus
from rtc_gateway.domain.thesee.drafts import Draft
from rtc_gateway.domain.thesee.review import PendingValidation
from rtc_gateway.domain.thesee.summary import CaseSummary
from rtc_gateway.ports.thesee_store import MAX_SERIES, QueueFilter

SCHEMA_LOCK = 0x7274_635F_7468_65  # "rtc_the": the advisory lock of this schema
SCHEMA = """
CREATE TABLE IF NOT EXISTS thesee_cases (
    case_id TEXT PRIMARY KEY,
    scam_type TEXT NOT NULL,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    loss_eur DOUBLE PRECISION NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS thesee_cases_by_status ON thesee_cases (status, created_at);
CREATE INDEX IF NOT EXISTS thesee_cases_by_change ON thesee_cases (updated_at);
CREATE TABLE IF NOT EXISTS thesee_links (
    key TEXT NOT NULL,
    case_id TEXT NOT NULL,
    PRIMARY KEY (key, case_id)
);
CREATE INDEX IF NOT EXISTS thesee_links_by_case ON thesee_links (case_id, key);
CREATE TABLE IF NOT EXISTS thesee_drafts (
    id TEXT PRIMARY KEY,
    citizen_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    body BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS thesee_drafts_by_citizen ON thesee_drafts (citizen_id);
CREATE TABLE IF NOT EXISTS thesee_pending (
    case_id TEXT PRIMARY KEY,
    reviewer_id TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
"""
_COLUMNS = "case_id, scam_type, mode, status, loss_eur, created_at, updated_at, decided_at"
_SUMMARY = (f"SELECT {_COLUMNS}, ARRAY(SELECT key FROM thesee_links l "
            "WHERE l.case_id = c.case_id) AS keys FROM thesee_cases c")
_LINKED = """
SELECT mine.case_id, other.case_id FROM thesee_links AS mine
JOIN thesee_links AS other ON other.key = mine.key AND other.case_id <> mine.case_id
WHERE mine.case_id = ANY($1::text[])
"""
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(dict[str, Any]).decode


def _summary(row: asyncpg.Record) -> CaseSummary:
    return CaseSummary(case_id=row["case_id"], scam_type=row["scam_type"], mode=row["mode"],
                       status=CaseStatus(row["status"]), loss_eur=float(row["loss_eur"]),
                       created_at=row["created_at"], updated_at=row["updated_at"],
                       decided_at=row["decided_at"], keys=frozenset(row["keys"] or ()))


def _draft(row: asyncpg.Record) -> Draft:
    return Draft(row["id"], row["citizen_id"], row["created_at"], row["updated_at"],
                 _decode(bytes(row["body"])))


class PostgresTheseeStore:
    """Implements :class:`rtc_gateway.ports.thesee_store.TheseeStore` on PostgreSQL."""

    def __init__(self, dsn: str, pool_size: int = 4) -> None:
        self.dsn = dsn
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(self.dsn, min_size=0, max_size=self._pool_size)
        async with self._db().acquire() as con, con.transaction():
            await con.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
            await con.execute(SCHEMA)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def put_summary(self, s: CaseSummary) -> None:
        async with self._db().acquire() as con, con.transaction():
            await con.execute(
                f"INSERT INTO thesee_cases ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                " ON CONFLICT (case_id) DO UPDATE SET scam_type = excluded.scam_type,"
                " mode = excluded.mode, status = excluded.status,"
                " loss_eur = excluded.loss_eur, updated_at = excluded.updated_at,"
                " decided_at = excluded.decided_at",
                s.case_id, s.scam_type, s.mode, s.status.value, s.loss_eur, s.created_at,
                s.updated_at, s.decided_at)
            await con.execute("DELETE FROM thesee_links WHERE case_id = $1", s.case_id)
            await con.executemany("INSERT INTO thesee_links (key, case_id) VALUES ($1, $2)",
                                  [(key, s.case_id) for key in sorted(s.keys)])

    async def summary(self, case_id: str) -> CaseSummary | None:
        row = await self._db().fetchrow(f"{_SUMMARY} WHERE case_id = $1", case_id)
        return _summary(row) if row is not None else None

    async def remove(self, case_id: str) -> None:
        async with self._db().acquire() as con, con.transaction():
            for table in ("thesee_links", "thesee_cases", "thesee_pending"):
                await con.execute(f"DELETE FROM {table} WHERE case_id = $1", case_id)

    async def linked(self, case_ids: list[str]) -> dict[str, list[str]]:
        found: dict[str, set[str]] = {case_id: set() for case_id in case_ids}
        for mine, other in await self._db().fetch(_LINKED, case_ids):
            found[mine].add(other)
        return {case_id: sorted(others) for case_id, others in found.items()}

    async def series(self, case_id: str) -> list[str]:
        if await self._db().fetchval("SELECT 1 FROM thesee_cases WHERE case_id = $1",
                                     case_id) is None:
            return []
        seen, frontier = {case_id}, [case_id]
        while frontier and len(seen) < MAX_SERIES:
            linked = await self.linked(frontier)
            frontier = sorted(set().union(*linked.values()) - seen)
            seen.update(frontier)
        return sorted(seen)

    async def queue(self, where: QueueFilter) -> list[CaseSummary]:
        clauses: list[str] = []
        params: list[Any] = []

        def param(value: Any) -> str:
            params.append(value)
            return f"${len(params)}"

        if where.scam_type is not None:
            clauses.append(f"scam_type = {param(where.scam_type)}")
        if where.statuses:
            clauses.append(f"status = ANY({param(sorted(s.value for s in where.statuses))})")
        if where.min_loss_eur is not None:
            clauses.append(f"loss_eur >= {param(where.min_loss_eur)}")
        if where.max_loss_eur is not None:
            clauses.append(f"loss_eur <= {param(where.max_loss_eur)}")
        sql = (_SUMMARY + (f" WHERE {' AND '.join(clauses)}" if clauses else "")
               + f" ORDER BY created_at, case_id LIMIT {param(where.limit)}")
        return [_summary(row) for row in await self._db().fetch(sql, *params)]

    async def summaries(self) -> list[CaseSummary]:
        return [_summary(row) for row in await self._db().fetch(_SUMMARY)]

    async def pairs(self) -> list[tuple[str, str]]:
        return [(row[0], row[1]) for row in
                await self._db().fetch("SELECT key, case_id FROM thesee_links")]

    async def changed_before(self, before: datetime) -> list[str]:
        return [row[0] for row in await self._db().fetch(
            "SELECT case_id FROM thesee_cases WHERE updated_at < $1 ORDER BY case_id",
            before)]

    async def put_draft(self, draft: Draft) -> None:
        await self._db().execute(
            "INSERT INTO thesee_drafts (id, citizen_id, created_at, updated_at, body)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET"
            " updated_at = excluded.updated_at, body = excluded.body",
            draft.id, draft.citizen_id, draft.created_at, draft.updated_at,
            _encode(draft.body))

    async def draft(self, draft_id: str) -> Draft | None:
        row = await self._db().fetchrow("SELECT * FROM thesee_drafts WHERE id = $1", draft_id)
        return _draft(row) if row is not None else None

    async def drafts_of(self, citizen_ids: frozenset[str]) -> list[Draft]:
        return [_draft(row) for row in await self._db().fetch(
            "SELECT * FROM thesee_drafts WHERE citizen_id = ANY($1::text[])"
            " ORDER BY updated_at DESC, id DESC", sorted(citizen_ids))]

    async def delete_draft(self, draft_id: str) -> None:
        await self._db().execute("DELETE FROM thesee_drafts WHERE id = $1", draft_id)

    async def put_pending(self, pending: PendingValidation) -> None:
        await self._db().execute(
            "INSERT INTO thesee_pending (case_id, reviewer_id, at) VALUES ($1, $2, $3)"
            " ON CONFLICT (case_id) DO UPDATE SET reviewer_id = excluded.reviewer_id,"
            " at = excluded.at", pending.case_id, pending.reviewer_id, pending.at)

    async def pending(self, case_id: str) -> PendingValidation | None:
        row = await self._db().fetchrow(
            "SELECT reviewer_id, at FROM thesee_pending WHERE case_id = $1", case_id)
        return PendingValidation(case_id, row[0], row[1]) if row is not None else None

    async def delete_pending(self, case_id: str) -> None:
        await self._db().execute("DELETE FROM thesee_pending WHERE case_id = $1", case_id)

    def _db(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the THESEE store is not open")
        return self._pool


__all__: Sequence[str] = ("PostgresTheseeStore",)
