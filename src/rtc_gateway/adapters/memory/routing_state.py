"""Routing state in this node's memory: the pure :class:`Router` behind the port.

No await inside: each call runs to its end before any other task, as the Router did
when it was called directly, and costs what the Router costs.
"""

from rtc_gateway.domain.agent import AgentProfile, Presence
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.priority import Priority
from rtc_gateway.domain.routing import AgentSlot, Assignment, QueueEntry, QueueStat, Router


class MemoryRoutingState:
    """Implements :class:`rtc_gateway.ports.routing_state.RoutingState` on one node."""

    def __init__(self, router: Router | None = None) -> None:
        self.router = router if router is not None else Router()

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def agent_online(self, profile: AgentProfile, presence: Presence,
                           now: float) -> None:
        self.router.agent_online(profile, presence, now)

    async def set_presence(self, agent_id: str, presence: Presence) -> None:
        self.router.set_presence(agent_id, presence)

    async def remove_agent(self, agent_id: str) -> list[str]:
        return self.router.remove_agent(agent_id)

    async def agent(self, agent_id: str) -> AgentSlot | None:
        return self.router.agents.get(agent_id)

    async def agents(self) -> list[AgentSlot]:
        return list(self.router.agents.values())

    async def agent_of(self, conversation_id: str) -> str | None:
        return self.router.agent_of(conversation_id)

    async def take_over(self, node_id: str, now: float) -> list[str]:
        """One node: there is no other node's officers to take over."""
        return []

    async def enqueue(self, conversation_id: str, *, service: Force | None, topic: str,
                      language: str, priority: Priority, now: float,
                      returning: bool = False) -> None:
        self.router.enqueue(conversation_id, service=service, topic=topic, language=language,
                            priority=priority, now=now, returning=returning)

    async def dequeue(self, conversation_id: str) -> QueueEntry | None:
        return self.router.dequeue(conversation_id)

    async def release(self, conversation_id: str) -> str | None:
        return self.router.release(conversation_id)

    async def adopt(self, conversation_id: str, agent_id: str) -> None:
        self.router.adopt(conversation_id, agent_id)

    async def waiting(self) -> list[QueueEntry]:
        return self.router.waiting()

    async def waiting_count(self) -> int:
        return self.router.waiting_count()

    async def assign(self, now: float) -> list[Assignment]:
        return self.router.assign(now)

    async def assign_to(self, conversation_id: str, agent_id: str,
                        now: float) -> Assignment:
        return self.router.assign_to(conversation_id, agent_id, now)

    async def positions(self) -> dict[str, int]:
        return self.router.positions()

    async def position(self, conversation_id: str) -> int | None:
        return self.router.position(conversation_id)

    async def serving_slots(self, service: Force | None) -> int:
        return self.router.serving_slots(service)

    async def queue_stats(self, now: float) -> list[QueueStat]:
        return self.router.queue_stats(now)
