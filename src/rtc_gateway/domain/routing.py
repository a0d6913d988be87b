"""Who takes which conversation: the waiting queue and the assignment policy.

Pure and synchronous. The policy:
- a conversation may go to an agent that is available, has a free chat slot, belongs
  to the requested force (or any force when none was requested), handles its topic
  and speaks its language;
- waiting conversations are served urgent before normal, then conversations put back
  in the queue (agent dropped, transfer) before new arrivals, then first come first served;
- among eligible agents the least loaded wins, then the one idle longest;
- a conversation nobody eligible can take does not hold up the ones behind it.
"""

import bisect
import itertools
from dataclasses import dataclass, field

from rtc_gateway.domain.agent import AgentProfile, Presence
from rtc_gateway.domain.errors import Conflict, NotFound
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.priority import Priority
from rtc_gateway.domain.roles import Role


@dataclass(slots=True)
class QueueEntry:
    conversation_id: str
    service: Force | None
    topic: str
    language: str
    priority: Priority
    enqueued_at: float
    order: int
    returning: bool = False

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.priority.rank, 0 if self.returning else 1, self.order)


@dataclass(slots=True)
class AgentSlot:
    profile: AgentProfile
    presence: Presence
    idle_since: float
    conversations: set[str] = field(default_factory=set)

    @property
    def load(self) -> int:
        return len(self.conversations)

    @property
    def free_capacity(self) -> int:
        return self.profile.max_chats - self.load

    @property
    def takes_new_work(self) -> bool:
        return (
            self.presence is Presence.AVAILABLE
            and self.profile.role is Role.AGENT
            and self.free_capacity > 0
        )

    def is_eligible_for(self, entry: QueueEntry) -> bool:
        return (
            (entry.service is None or entry.service is self.profile.service)
            and self.profile.handles_topic(entry.topic)
            and self.profile.speaks(entry.language)
        )

    def preference(self) -> tuple[int, float, str]:
        return (self.load, self.idle_since, self.profile.agent_id)


@dataclass(frozen=True, slots=True)
class Assignment:
    conversation_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class QueueStat:
    service: str
    priority: Priority
    length: int
    oldest_wait_s: float


class Router:
    def __init__(self) -> None:
        self.agents: dict[str, AgentSlot] = {}
        self._waiting: list[QueueEntry] = []
        self._waiting_keys: list[tuple[int, int, int]] = []
        self._keys_by_service: dict[Force | None, list[tuple[int, int, int]]] = {
            service: [] for service in (None, *Force)}
        """The waiting keys again, split by requested force: one place in line is then
        two binary searches, not a walk of the whole queue."""
        self._entries: dict[str, QueueEntry] = {}
        self._assigned: dict[str, str] = {}
        self._order = itertools.count()

    # --- agents -----------------------------------------------------------------

    def agent_online(self, profile: AgentProfile, presence: Presence, now: float) -> AgentSlot:
        slot = self.agents.get(profile.agent_id)
        if slot is None:
            slot = AgentSlot(profile, presence, idle_since=now)
            self.agents[profile.agent_id] = slot
        else:
            slot.profile = profile
            slot.presence = presence
        return slot

    def set_presence(self, agent_id: str, presence: Presence) -> None:
        self._agent(agent_id).presence = presence

    def remove_agent(self, agent_id: str) -> list[str]:
        """Forget an agent; returns the conversations it held, for the caller to requeue."""
        slot = self.agents.pop(agent_id, None)
        if slot is None:
            return []
        held = sorted(slot.conversations)
        for conversation_id in held:
            self._assigned.pop(conversation_id, None)
        return held

    def agent_of(self, conversation_id: str) -> str | None:
        return self._assigned.get(conversation_id)

    # --- queue ------------------------------------------------------------------

    def enqueue(
        self,
        conversation_id: str,
        *,
        service: Force | None,
        topic: str,
        language: str,
        priority: Priority,
        now: float,
        returning: bool = False,
    ) -> QueueEntry:
        if conversation_id in self._entries or conversation_id in self._assigned:
            raise Conflict("conversation is already queued or assigned")
        entry = QueueEntry(conversation_id, service, topic, language, priority, now,
                           next(self._order), returning)
        index = bisect.bisect(self._waiting_keys, entry.key)
        self._waiting_keys.insert(index, entry.key)
        self._waiting.insert(index, entry)
        bisect.insort(self._keys_by_service[service], entry.key)
        self._entries[conversation_id] = entry
        return entry

    def is_waiting(self, conversation_id: str) -> bool:
        return conversation_id in self._entries

    def dequeue(self, conversation_id: str) -> QueueEntry | None:
        entry = self._entries.pop(conversation_id, None)
        if entry is not None:
            index = bisect.bisect_left(self._waiting_keys, entry.key)
            del self._waiting_keys[index]
            del self._waiting[index]
            same_force = self._keys_by_service[entry.service]
            del same_force[bisect.bisect_left(same_force, entry.key)]
        return entry

    def release(self, conversation_id: str) -> str | None:
        """Free the slot an assigned conversation used; returns the agent that held it."""
        agent_id = self._assigned.pop(conversation_id, None)
        if agent_id is not None and agent_id in self.agents:
            self.agents[agent_id].conversations.discard(conversation_id)
        return agent_id

    def waiting(self) -> list[QueueEntry]:
        return list(self._waiting)

    def waiting_count(self) -> int:
        return len(self._waiting)

    # --- assignment -------------------------------------------------------------

    def assign(self, now: float) -> list[Assignment]:
        """Give every waiting conversation that some free eligible agent can take."""
        free = [slot for slot in self.agents.values() if slot.takes_new_work]
        if not free or not self._waiting:
            return []
        assignments: list[Assignment] = []
        for entry in list(self._waiting):
            if not free:
                break
            candidates = [slot for slot in free if slot.is_eligible_for(entry)]
            if not candidates:
                continue
            chosen = min(candidates, key=AgentSlot.preference)
            self._give(entry, chosen, now)
            assignments.append(Assignment(entry.conversation_id, chosen.profile.agent_id))
            if not chosen.takes_new_work:
                free.remove(chosen)
        return assignments

    def assign_to(self, conversation_id: str, agent_id: str, now: float) -> Assignment:
        """Hand a waiting conversation to one named agent (a transfer), if it can take it."""
        entry = self._entries.get(conversation_id)
        if entry is None:
            raise NotFound("conversation is not waiting")
        slot = self.agents.get(agent_id)
        if slot is None or not slot.takes_new_work:
            raise Conflict("that agent cannot take a conversation now")
        self._give(entry, slot, now)
        return Assignment(conversation_id, agent_id)

    def adopt(self, conversation_id: str, agent_id: str) -> None:
        """Record an assignment made before a restart or by another path."""
        self.dequeue(conversation_id)
        self._assigned[conversation_id] = agent_id
        if agent_id in self.agents:
            self.agents[agent_id].conversations.add(conversation_id)

    def _give(self, entry: QueueEntry, slot: AgentSlot, now: float) -> None:
        self.dequeue(entry.conversation_id)
        slot.conversations.add(entry.conversation_id)
        slot.idle_since = now
        self._assigned[entry.conversation_id] = slot.profile.agent_id

    # --- what waiting citizens and supervisors are shown ------------------------

    def positions(self) -> dict[str, int]:
        """1-based place in line among the conversations competing for the same force."""
        ahead = {Force.POLICE: 0, Force.GENDARMERIE: 0}
        ahead_any = 0
        result: dict[str, int] = {}
        for entry in self._waiting:
            if entry.service is None:
                result[entry.conversation_id] = 1 + ahead_any + sum(ahead.values())
                ahead_any += 1
            else:
                result[entry.conversation_id] = 1 + ahead_any + ahead[entry.service]
                ahead[entry.service] += 1
        return result

    def position(self, conversation_id: str) -> int | None:
        """One waiting conversation's place in :meth:`positions`, in O(log n): asked at
        every arrival, so a burst of n arrivals must not cost n walks of the queue."""
        entry = self._entries.get(conversation_id)
        if entry is None:
            return None
        if entry.service is None:
            return 1 + bisect.bisect_left(self._waiting_keys, entry.key)
        return (1 + bisect.bisect_left(self._keys_by_service[None], entry.key)
                + bisect.bisect_left(self._keys_by_service[entry.service], entry.key))

    def serving_slots(self, service: Force | None) -> int:
        """Chat slots of present agents that could serve ``service`` (busy or free)."""
        return sum(
            slot.profile.max_chats
            for slot in self.agents.values()
            if slot.presence is Presence.AVAILABLE
            and slot.profile.role is Role.AGENT
            and (service is None or slot.profile.service is service)
        )

    def queue_stats(self, now: float) -> list[QueueStat]:
        groups: dict[tuple[str, Priority], list[QueueEntry]] = {}
        for entry in self._waiting:
            service = entry.service.value if entry.service else "any"
            groups.setdefault((service, entry.priority), []).append(entry)
        return [
            QueueStat(service, priority, len(entries),
                      max(0.0, now - min(e.enqueued_at for e in entries)))
            for (service, priority), entries in sorted(groups.items())
        ]

    def _agent(self, agent_id: str) -> AgentSlot:
        slot = self.agents.get(agent_id)
        if slot is None:
            raise NotFound("unknown agent")
        return slot
