from collections.abc import Iterator

from rtc_gateway.domain.conversation import Conversation


class MemoryConversationStore:
    """Open conversations indexed by id and by citizen; closed ones are removed."""

    def __init__(self) -> None:
        self._by_id: dict[str, Conversation] = {}
        self._by_citizen: dict[str, dict[str, Conversation]] = {}

    def add(self, conversation: Conversation) -> None:
        self._by_id[conversation.id] = conversation
        self._by_citizen.setdefault(conversation.citizen_id, {})[conversation.id] = conversation

    def get(self, conversation_id: str) -> Conversation | None:
        return self._by_id.get(conversation_id)

    def of_citizen(self, citizen_id: str) -> list[Conversation]:
        return list(self._by_citizen.get(citizen_id, {}).values())

    def of_agent(self, agent_id: str) -> list[Conversation]:
        return [c for c in self._by_id.values() if c.agent_id == agent_id]

    def remove(self, conversation_id: str) -> None:
        conversation = self._by_id.pop(conversation_id, None)
        if conversation is not None:
            owned = self._by_citizen.get(conversation.citizen_id, {})
            owned.pop(conversation_id, None)
            if not owned:
                self._by_citizen.pop(conversation.citizen_id, None)

    def __iter__(self) -> Iterator[Conversation]:
        return iter(list(self._by_id.values()))
