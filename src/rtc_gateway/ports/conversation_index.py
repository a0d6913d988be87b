"""Every conversation the evidence log knows, open or closed, for staff searches."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class IndexQuery:
    id_prefix: str = ""
    topic: str | None = None
    opened_from: datetime | None = None
    opened_before: datetime | None = None
    closed: bool | None = None
    """``True`` only closed conversations, ``False`` only open ones, ``None`` both."""
    limit: int = 50


@dataclass(frozen=True, slots=True)
class IndexedConversation:
    conversation_id: str
    topic: str
    service: str | None
    priority: str
    discreet: bool
    opened_at: datetime
    closed: bool
    first_text: str | None
    """The first message's text; ``None`` when there is none or it was erased."""


class ConversationIndex(Protocol):
    async def search(self, query: IndexQuery) -> list[IndexedConversation]:
        """Matching conversations, newest first, at most ``query.limit``."""
        ...
