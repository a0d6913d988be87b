"""Routing state: the waiting queue, officers' presence and load, and who holds what.

What :class:`rtc_gateway.services.routing.RoutingService` asks of
:class:`rtc_gateway.domain.routing.Router`, as a port: in one node's memory (the Router
itself) or shared by the nodes of a service (Redis). Every method gives the Router's
outcome for the same operations, including the assignment policy of
:mod:`rtc_gateway.domain.routing`; each change is atomic, so nodes sharing the state
never give one conversation to two officers nor an officer more than its ``max_chats``.

Officers are held by the node their connections reach: a node that dies leaves its
officers behind, and :meth:`RoutingState.take_over` lets a surviving node remove them and
put the conversations they held back in the queue. Shared state that does not answer
raises :class:`rtc_gateway.domain.errors.Unavailable`.
"""

from typing import Protocol

from rtc_gateway.domain.agent import AgentProfile, Presence
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.priority import Priority
from rtc_gateway.domain.routing import AgentSlot, Assignment, QueueEntry, QueueStat


class RoutingState(Protocol):
    async def start(self) -> None:
        """Begin serving (shared state: heartbeat this node, forget its previous life)."""
        ...

    async def close(self) -> None: ...

    # --- officers -------------------------------------------------------------

    async def agent_online(self, profile: AgentProfile, presence: Presence,
                           now: float) -> None:
        """Add an officer (idle since ``now``) or update a known one's profile/presence."""
        ...

    async def set_presence(self, agent_id: str, presence: Presence) -> None:
        """``NotFound`` for an unknown officer."""
        ...

    async def remove_agent(self, agent_id: str) -> list[str]:
        """Forget an officer; the conversations it held (sorted), for the caller to requeue."""
        ...

    async def agent(self, agent_id: str) -> AgentSlot | None:
        """A copy (shared state) or the live slot (memory): read it, never change it."""
        ...

    async def agents(self) -> list[AgentSlot]:
        """Every known officer, in the order they first came online."""
        ...

    async def agent_of(self, conversation_id: str) -> str | None: ...

    async def take_over(self, node_id: str, now: float) -> list[str]:
        """Remove the officers of ``node_id`` if that node is dead, requeueing (returning)
        the conversations they held; returns those. Nothing for a live node."""
        ...

    # --- queue ----------------------------------------------------------------

    async def enqueue(self, conversation_id: str, *, service: Force | None, topic: str,
                      language: str, priority: Priority, now: float,
                      returning: bool = False) -> None:
        """``Conflict`` when the conversation is already waiting or assigned."""
        ...

    async def dequeue(self, conversation_id: str) -> QueueEntry | None: ...

    async def release(self, conversation_id: str) -> str | None:
        """Free an assigned conversation's slot; returns the officer that held it."""
        ...

    async def adopt(self, conversation_id: str, agent_id: str) -> None:
        """Record an assignment made before a restart or by another path."""
        ...

    async def waiting(self) -> list[QueueEntry]:
        """The waiting conversations, in the order they are served."""
        ...

    async def waiting_count(self) -> int: ...

    # --- assignment -----------------------------------------------------------

    async def assign(self, now: float) -> list[Assignment]:
        """Give every waiting conversation some free eligible officer can take."""
        ...

    async def assign_to(self, conversation_id: str, agent_id: str,
                        now: float) -> Assignment:
        """Hand a waiting conversation to one named officer: ``NotFound`` when it is not
        waiting, ``Conflict`` when the officer cannot take one now."""
        ...

    # --- what waiting citizens and supervisors are shown ----------------------

    async def positions(self) -> dict[str, int]:
        """1-based place in line among the conversations competing for the same force."""
        ...

    async def position(self, conversation_id: str) -> int | None: ...

    async def serving_slots(self, service: Force | None) -> int:
        """Chat slots of available officers that could serve ``service`` (busy or free)."""
        ...

    async def queue_stats(self, now: float) -> list[QueueStat]: ...
