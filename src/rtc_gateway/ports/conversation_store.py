"""Where open conversations live while they are open (memory on one node)."""

from collections.abc import Iterator
from typing import Protocol

from rtc_gateway.domain.conversation import Conversation


class ConversationStore(Protocol):
    def add(self, conversation: Conversation) -> None: ...

    def get(self, conversation_id: str) -> Conversation | None: ...

    def of_citizen(self, citizen_id: str) -> list[Conversation]: ...

    def of_agent(self, agent_id: str) -> list[Conversation]: ...

    def remove(self, conversation_id: str) -> None: ...

    def __iter__(self) -> Iterator[Conversation]: ...
