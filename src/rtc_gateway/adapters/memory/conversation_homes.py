"""Conversation homes in one process: a node alone is the home of every conversation."""

from rtc_gateway.ports.conversation_homes import Home


class MemoryConversationHomes:
    """Implements :class:`rtc_gateway.ports.conversation_homes.ConversationHomes`; tests
    share one instance between several nodes' views with :meth:`for_node`."""

    def __init__(self, node_id: str = "local",
                 homes: dict[str, Home] | None = None) -> None:
        self._node_id = node_id
        self._homes: dict[str, Home] = {} if homes is None else homes

    def for_node(self, node_id: str) -> "MemoryConversationHomes":
        return MemoryConversationHomes(node_id, self._homes)

    @property
    def node_id(self) -> str:
        return self._node_id

    async def settle(self, conversation_id: str) -> Home:
        home = Home(self._node_id, 1)
        self._homes[conversation_id] = home
        return home

    async def home_of(self, conversation_id: str) -> Home | None:
        return self._homes.get(conversation_id)

    async def move_here(self, conversation_id: str, seen: Home | None) -> Home | None:
        if self._homes.get(conversation_id) != seen:
            return None
        home = Home(self._node_id, (seen.epoch if seen else 0) + 1)
        self._homes[conversation_id] = home
        return home

    async def leave(self, conversation_id: str) -> None:
        home = self._homes.get(conversation_id)
        if home is not None and home.node == self._node_id:
            del self._homes[conversation_id]

    async def homed_at(self, node: str) -> list[str]:
        return sorted(cid for cid, home in self._homes.items() if home.node == node)

    async def close(self) -> None:
        return None
