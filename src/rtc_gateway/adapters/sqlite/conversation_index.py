"""The conversation index read from the SQLite evidence database (read-only queries).

A conversation's chain starts with its ``conversation.opened`` record (topic, force,
priority); the ``conversations`` table, one row per conversation, says whether a
``closed`` record followed. Conditions on the id, the close and the date are SQL; the
topic is checked on the decoded record; message 1 is looked up only for the results.
"""

import asyncio
import sqlite3
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from rtc_gateway.adapters.opened_records import indexed_conversation
from rtc_gateway.adapters.sqlite.evidence_schema import connect
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.ports.conversation_index import IndexedConversation, IndexQuery
from rtc_gateway.ports.evidence_log import RecordKind

SCAN_LIMIT = 5000
"""Opened records examined per search at most (newest first)."""


class SqliteConversationIndex:
    def __init__(self, db_path: Path) -> None:
        self._db_path = db_path
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    async def search(self, query: IndexQuery) -> list[IndexedConversation]:
        return await asyncio.to_thread(self._search, query)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _search(self, query: IndexQuery) -> list[IndexedConversation]:
        sql = ["SELECT r.conversation_id, r.record, c.closed",
               "FROM conversations c JOIN records r ON r.conversation_id = c.conversation_id",
               "  AND r.conversation_index = 1",
               "WHERE r.kind = ?"]
        params: list[Any] = [RecordKind.CONVERSATION_OPENED]
        if query.id_prefix:
            escaped = query.id_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            sql.append("AND r.conversation_id LIKE ? ESCAPE '\\'")
            params.append(escaped + "%")
        if query.closed is not None:
            sql.append("AND c.closed = ?")
            params.append(1 if query.closed else 0)
        if query.opened_from is not None:
            sql.append("AND r.at >= ?")
            params.append(format_utc(query.opened_from))
        if query.opened_before is not None:
            sql.append("AND r.at < ?")
            params.append(format_utc(query.opened_before))
        sql.append("ORDER BY r.idx DESC LIMIT ?")
        params.append(SCAN_LIMIT)
        with self._lock:
            rows = self._reader().execute(" ".join(sql), params).fetchall()
        found: list[IndexedConversation] = []
        for conversation_id, blob, closed in rows:
            item = indexed_conversation(conversation_id, blob, closed)
            if query.topic is not None and item.topic != query.topic:
                continue
            found.append(replace(item, first_text=self._first_text(conversation_id)))
            if len(found) >= query.limit:
                break
        return found

    def _first_text(self, conversation_id: str) -> str | None:
        """Text of message 1 (``None``: no message yet, or its text erased)."""
        with self._lock:
            row = self._reader().execute(
                "SELECT text FROM records WHERE conversation_id = ? AND kind = ? AND seq = 1",
                (conversation_id, RecordKind.MESSAGE)).fetchone()
        return None if row is None else row[0]

    def _reader(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = connect(self._db_path)
        return self._connection
