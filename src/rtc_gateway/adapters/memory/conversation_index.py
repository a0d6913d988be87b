"""The conversation index over the in-memory evidence log (tests and benchmarks)."""

from rtc_gateway.adapters.memory.evidence_log import MemoryEvidenceLog
from rtc_gateway.ports.conversation_index import IndexedConversation, IndexQuery
from rtc_gateway.ports.evidence_log import RecordKind


class MemoryConversationIndex:
    def __init__(self, log: MemoryEvidenceLog) -> None:
        self._log = log

    async def search(self, query: IndexQuery) -> list[IndexedConversation]:
        closed = {r.conversation_id for r in self._log.records if r.kind == RecordKind.CLOSED}
        first_text = {r.conversation_id: r.text for r in self._log.records
                      if r.kind == RecordKind.MESSAGE and r.seq == 1}
        found: list[IndexedConversation] = []
        for record in reversed(self._log.records):
            if record.kind != RecordKind.CONVERSATION_OPENED:
                continue
            item = IndexedConversation(
                conversation_id=record.conversation_id, topic=str(record.data.get("topic", "")),
                service=record.data.get("service"),
                priority=str(record.data.get("priority", "normal")),
                discreet=bool(record.data.get("discreet", False)), opened_at=record.at,
                closed=record.conversation_id in closed,
                first_text=first_text.get(record.conversation_id))
            if _matches(item, query):
                found.append(item)
            if len(found) >= query.limit:
                break
        return found


def _matches(item: IndexedConversation, query: IndexQuery) -> bool:
    return (item.conversation_id.startswith(query.id_prefix)
            and (query.topic is None or item.topic == query.topic)
            and (query.closed is None or item.closed == query.closed)
            and (query.opened_from is None or item.opened_at >= query.opened_from)
            and (query.opened_before is None or item.opened_at < query.opened_before))
