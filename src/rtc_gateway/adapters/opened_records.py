"""A conversation as its ``conversation.opened`` record describes it: what the
conversation indexes of every log adapter read back the same way."""

import json

from rtc_gateway.domain.timestamps import parse_utc
from rtc_gateway.ports.conversation_index import IndexedConversation


def indexed_conversation(conversation_id: str, record: bytes, closed: bool,
                         first_text: str | None = None) -> IndexedConversation:
    """The index entry of a conversation from its opening record's canonical bytes."""
    parsed = json.loads(record)
    details = parsed["data"]
    return IndexedConversation(
        conversation_id=conversation_id, topic=details.get("topic", ""),
        service=details.get("service"), priority=details.get("priority", "normal"),
        discreet=bool(details.get("discreet", False)), opened_at=parse_utc(parsed["at"]),
        closed=bool(closed), first_text=first_text)
