"""The citizens' advice subscriptions in ``DATA/advice.db``: the themes each follows and
how far it has been shown, so a later session gets what it missed."""

import sqlite3
from datetime import datetime
from pathlib import Path

from rtc_gateway.adapters.sqlite.private_database import PrivateDatabase
from rtc_gateway.domain.advice import Subscription

SCHEMA = """
CREATE TABLE IF NOT EXISTS advice_cursors (
    citizen_id TEXT PRIMARY KEY,
    seen_until TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS advice_themes (
    theme TEXT NOT NULL,
    citizen_id TEXT NOT NULL,
    PRIMARY KEY (theme, citizen_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS advice_themes_by_citizen ON advice_themes (citizen_id);
"""


class SqliteSubscriptionStore:
    def __init__(self, db_path: Path) -> None:
        self._db = PrivateDatabase(db_path, SCHEMA, "advice")

    async def open(self) -> None:
        await self._db.open()

    async def close(self) -> None:
        await self._db.close()

    async def get(self, citizen_id: str) -> Subscription | None:
        return await self._db.run(lambda: self._get(citizen_id))

    async def put(self, subscription: Subscription) -> None:
        await self._db.run(lambda: self._put(subscription))

    async def subscribers(self, theme: str) -> list[str]:
        return await self._db.run(lambda: [row[0] for row in self._db.connection().execute(
            "SELECT citizen_id FROM advice_themes WHERE theme = ? ORDER BY citizen_id",
            (theme,))])

    def _get(self, citizen_id: str) -> Subscription | None:
        con: sqlite3.Connection = self._db.connection()
        row = con.execute("SELECT seen_until FROM advice_cursors WHERE citizen_id = ?",
                          (citizen_id,)).fetchone()
        if row is None:
            return None
        themes = frozenset(r[0] for r in con.execute(
            "SELECT theme FROM advice_themes WHERE citizen_id = ?", (citizen_id,)))
        return Subscription(citizen_id, themes, datetime.fromisoformat(row[0]))

    def _put(self, subscription: Subscription) -> None:
        with self._db.writing() as con:
            con.execute("INSERT INTO advice_cursors (citizen_id, seen_until) VALUES (?, ?) "
                        "ON CONFLICT (citizen_id) DO UPDATE SET seen_until = excluded.seen_until",
                        (subscription.citizen_id, subscription.seen_until.isoformat()))
            con.execute("DELETE FROM advice_themes WHERE citizen_id = ?",
                        (subscription.citizen_id,))
            con.executemany("INSERT INTO advice_themes (theme, citizen_id) VALUES (?, ?)",
                            [(theme, subscription.citizen_id)
                             for theme in sorted(subscription.themes)])
