"""The THESEE desk's records in one SQLite file of the data directory (``thesee.db``,
0600): a summary row per case, the link index ``thesee_links (key, case_id)`` with an
index each way, drafts and pending validations. Calls run on one worker thread."""

import sqlite3
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from rtc_gateway.adapters.sqlite.private_database import PrivateDatabase
from rtc_gateway.domain.cases import CaseStatus
from rtc_gateway.domain.thesee.drafts import Draft
from rtc_gateway.domain.thesee.review import PendingValidation
from rtc_gateway.domain.thesee.summary import CaseSummary
from rtc_gateway.ports.thesee_store import MAX_SERIES, QueueFilter

SCHEMA = """
CREATE TABLE IF NOT EXISTS thesee_cases (
    case_id TEXT PRIMARY KEY,
    scam_type TEXT NOT NULL,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    loss_eur REAL NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    decided_at TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS thesee_cases_by_status ON thesee_cases (status, created_at);
CREATE INDEX IF NOT EXISTS thesee_cases_by_change ON thesee_cases (updated_at);
CREATE TABLE IF NOT EXISTS thesee_links (
    key TEXT NOT NULL,
    case_id TEXT NOT NULL,
    PRIMARY KEY (key, case_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS thesee_links_by_case ON thesee_links (case_id, key);
CREATE TABLE IF NOT EXISTS thesee_drafts (
    id TEXT PRIMARY KEY,
    citizen_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    body BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS thesee_drafts_by_citizen ON thesee_drafts (citizen_id);
CREATE TABLE IF NOT EXISTS thesee_pending (
    case_id TEXT PRIMARY KEY,
    reviewer_id TEXT NOT NULL,
    at TEXT NOT NULL
) WITHOUT ROWID;
"""
_COLUMNS = "case_id, scam_type, mode, status, loss_eur, created_at, updated_at, decided_at"
_LINKED = """
SELECT DISTINCT other.case_id FROM thesee_links AS mine
JOIN thesee_links AS other ON other.key = mine.key
WHERE mine.case_id = ? AND other.case_id != ? ORDER BY other.case_id
"""
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(dict[str, Any]).decode


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


class SqliteTheseeStore:
    """Implements :class:`rtc_gateway.ports.thesee_store.TheseeStore` on SQLite."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._db = PrivateDatabase(db_path, SCHEMA, "thesee")

    async def open(self) -> None:
        await self._db.open()

    async def close(self) -> None:
        await self._db.close()

    async def put_summary(self, summary: CaseSummary) -> None:
        await self._db.run(lambda: self._put_summary(summary))

    async def summary(self, case_id: str) -> CaseSummary | None:
        found = await self._db.run(lambda: self._summaries(
            f"SELECT {_COLUMNS} FROM thesee_cases WHERE case_id = ?", (case_id,)))
        return found[0] if found else None

    async def remove(self, case_id: str) -> None:
        def job() -> None:
            with self._db.writing() as con:
                for table in ("thesee_links", "thesee_cases", "thesee_pending"):
                    con.execute(f"DELETE FROM {table} WHERE case_id = ?", (case_id,))
        await self._db.run(job)

    async def linked(self, case_ids: list[str]) -> dict[str, list[str]]:
        def job() -> dict[str, list[str]]:
            con = self._db.connection()
            return {c: [row[0] for row in con.execute(_LINKED, (c, c))] for c in case_ids}
        return await self._db.run(job)

    async def series(self, case_id: str) -> list[str]:
        return await self._db.run(lambda: self._series(case_id))

    async def queue(self, where: QueueFilter) -> list[CaseSummary]:
        clauses: list[str] = []
        params: list[Any] = []
        if where.scam_type is not None:
            clauses.append("scam_type = ?")
            params.append(where.scam_type)
        if where.statuses:
            clauses.append(f"status IN ({', '.join('?' for _ in where.statuses)})")
            params.extend(sorted(s.value for s in where.statuses))
        if where.min_loss_eur is not None:
            clauses.append("loss_eur >= ?")
            params.append(where.min_loss_eur)
        if where.max_loss_eur is not None:
            clauses.append("loss_eur <= ?")
            params.append(where.max_loss_eur)
        sql = (f"SELECT {_COLUMNS} FROM thesee_cases"
               + (f" WHERE {' AND '.join(clauses)}" if clauses else "")
               + " ORDER BY created_at, case_id LIMIT ?")
        return await self._db.run(lambda: self._summaries(sql, (*params, where.limit)))

    async def summaries(self) -> list[CaseSummary]:
        return await self._db.run(lambda: self._summaries(
            f"SELECT {_COLUMNS} FROM thesee_cases", (), with_keys=False))

    async def pairs(self) -> list[tuple[str, str]]:
        return await self._db.run(lambda: [
            (str(k), str(c)) for k, c in
            self._db.connection().execute("SELECT key, case_id FROM thesee_links")])

    async def changed_before(self, before: datetime) -> list[str]:
        return await self._db.run(lambda: [str(row[0]) for row in self._db.connection().execute(
            "SELECT case_id FROM thesee_cases WHERE updated_at < ? ORDER BY case_id",
            (before.isoformat(),))])

    async def put_draft(self, draft: Draft) -> None:
        await self._db.run(lambda: self._db.connection().execute(
            "INSERT INTO thesee_drafts (id, citizen_id, created_at, updated_at, body) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "updated_at = excluded.updated_at, body = excluded.body",
            (draft.id, draft.citizen_id, draft.created_at.isoformat(),
             draft.updated_at.isoformat(), _encode(draft.body))))

    async def draft(self, draft_id: str) -> Draft | None:
        found = await self._db.run(lambda: self._drafts(
            "WHERE id = ?", (draft_id,)))
        return found[0] if found else None

    async def drafts_of(self, citizen_ids: frozenset[str]) -> list[Draft]:
        ids = sorted(citizen_ids)
        marks = ", ".join("?" for _ in ids)
        return await self._db.run(lambda: self._drafts(
            f"WHERE citizen_id IN ({marks}) ORDER BY updated_at DESC, id DESC", ids))

    async def delete_draft(self, draft_id: str) -> None:
        await self._db.run(lambda: self._db.connection().execute(
            "DELETE FROM thesee_drafts WHERE id = ?", (draft_id,)))

    async def put_pending(self, pending: PendingValidation) -> None:
        await self._db.run(lambda: self._db.connection().execute(
            "INSERT OR REPLACE INTO thesee_pending (case_id, reviewer_id, at) VALUES (?, ?, ?)",
            (pending.case_id, pending.reviewer_id, pending.at.isoformat())))

    async def pending(self, case_id: str) -> PendingValidation | None:
        rows = await self._db.run(lambda: self._db.connection().execute(
            "SELECT reviewer_id, at FROM thesee_pending WHERE case_id = ?",
            (case_id,)).fetchall())
        return PendingValidation(case_id, rows[0][0], datetime.fromisoformat(rows[0][1])) \
            if rows else None

    async def delete_pending(self, case_id: str) -> None:
        await self._db.run(lambda: self._db.connection().execute(
            "DELETE FROM thesee_pending WHERE case_id = ?", (case_id,)))

    def _put_summary(self, s: CaseSummary) -> None:
        with self._db.writing() as con:
            con.execute(
                f"INSERT OR REPLACE INTO thesee_cases ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (s.case_id, s.scam_type, s.mode, s.status.value, s.loss_eur,
                 s.created_at.isoformat(), s.updated_at.isoformat(),
                 s.decided_at.isoformat() if s.decided_at else None))
            con.execute("DELETE FROM thesee_links WHERE case_id = ?", (s.case_id,))
            con.executemany("INSERT INTO thesee_links (key, case_id) VALUES (?, ?)",
                            [(key, s.case_id) for key in sorted(s.keys)])

    def _series(self, case_id: str) -> list[str]:
        con = self._db.connection()
        if con.execute("SELECT 1 FROM thesee_cases WHERE case_id = ?",
                       (case_id,)).fetchone() is None:
            return []
        seen, frontier = {case_id}, [case_id]
        while frontier and len(seen) < MAX_SERIES:
            found: set[str] = set()
            for one in frontier:
                found.update(row[0] for row in con.execute(_LINKED, (one, one)))
            frontier = sorted(found - seen)
            seen.update(frontier)
        return sorted(seen)

    def _summaries(self, sql: str, params: Iterable[Any],
                   with_keys: bool = True) -> list[CaseSummary]:
        con = self._db.connection()
        return [self._summary(con, row, with_keys) for row in con.execute(sql, tuple(params))]

    @staticmethod
    def _summary(con: sqlite3.Connection, row: Any, with_keys: bool) -> CaseSummary:
        keys = frozenset(k for (k,) in con.execute(
            "SELECT key FROM thesee_links WHERE case_id = ?", (row[0],))) \
            if with_keys else frozenset()
        return CaseSummary(case_id=row[0], scam_type=row[1], mode=row[2],
                           status=CaseStatus(row[3]), loss_eur=float(row[4]),
                           created_at=datetime.fromisoformat(row[5]),
                           updated_at=datetime.fromisoformat(row[6]),
                           decided_at=_at(row[7]), keys=keys)

    def _drafts(self, where: str, params: Iterable[Any]) -> list[Draft]:
        rows = self._db.connection().execute(
            f"SELECT id, citizen_id, created_at, updated_at, body FROM thesee_drafts {where}",
            tuple(params))
        return [Draft(r[0], r[1], datetime.fromisoformat(r[2]), datetime.fromisoformat(r[3]),
                      _decode(r[4])) for r in rows]
