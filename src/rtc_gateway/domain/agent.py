"""Officers as the router sees them: what they handle, how much, and whether they are here."""

from dataclasses import dataclass
from enum import StrEnum

from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.roles import Role


class Presence(StrEnum):
    AVAILABLE = "available"
    AWAY = "away"
    DISCONNECTED = "disconnected"


@dataclass(frozen=True, slots=True)
class AgentProfile:
    """What an agent's token says about it.

    Empty ``topics`` or ``languages`` mean "any": a generalist officer.
    """

    agent_id: str
    display_name: str
    service: Force
    role: Role = Role.AGENT
    topics: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset({"fr"})
    max_chats: int = 3
    unit: str | None = None
    """The unit the officer works in; ``None``: the whole force (cases are narrowed to it)."""

    def handles_topic(self, topic: str) -> bool:
        return not self.topics or topic in self.topics

    def speaks(self, language: str) -> bool:
        return not self.languages or language in self.languages
