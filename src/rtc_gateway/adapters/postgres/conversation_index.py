"""The conversation index read from the PostgreSQL evidence log (read-only queries).

The same read model as ``adapters/sqlite/conversation_index.py``: a conversation's chain
starts with its ``conversation.opened`` record, ``evidence_conversations`` says whether a
``closed`` record followed, and message 1 gives the first words.
"""

from typing import Any

from rtc_gateway.adapters.opened_records import indexed_conversation
from rtc_gateway.adapters.postgres.evidence_log import PostgresEvidenceLog
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.ports.conversation_index import IndexedConversation, IndexQuery
from rtc_gateway.ports.evidence_log import RecordKind

SCAN_LIMIT = 5000
"""Opened records examined per search at most (newest first)."""


class PostgresConversationIndex:
    def __init__(self, log: PostgresEvidenceLog) -> None:
        self._log = log

    async def search(self, query: IndexQuery) -> list[IndexedConversation]:
        sql = ["SELECT r.conversation_id, r.record, c.closed, m.text",
               "FROM evidence_conversations c JOIN evidence_records r",
               "  ON r.conversation_id = c.conversation_id AND r.conversation_index = 1",
               "LEFT JOIN evidence_records m ON m.conversation_id = c.conversation_id",
               "  AND m.kind = $1 AND m.seq = 1",
               "WHERE r.kind = $2"]
        params: list[Any] = [RecordKind.MESSAGE, RecordKind.CONVERSATION_OPENED]
        if query.id_prefix:
            params.append(query.id_prefix)
            sql.append(f"AND starts_with(r.conversation_id, ${len(params)})")
        if query.closed is not None:
            params.append(query.closed)
            sql.append(f"AND c.closed = ${len(params)}")
        if query.opened_from is not None:
            params.append(format_utc(query.opened_from))
            sql.append(f"AND r.at >= ${len(params)}")
        if query.opened_before is not None:
            params.append(format_utc(query.opened_before))
            sql.append(f"AND r.at < ${len(params)}")
        params.append(SCAN_LIMIT)
        sql.append(f"ORDER BY r.idx DESC LIMIT ${len(params)}")
        found: list[IndexedConversation] = []
        for conversation_id, blob, closed, first_text in await self._log.fetch(
                " ".join(sql), *params):
            item = indexed_conversation(conversation_id, bytes(blob), closed, first_text)
            if query.topic is not None and item.topic != query.topic:
                continue
            found.append(item)
            if len(found) >= query.limit:
                break
        return found
