"""The services' Notifier, spoken as the contract's Socket.IO events."""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.cases import Case
from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.message import Message
from rtc_gateway.domain.routing import QueueStat
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.domain.wait_estimate import QueuePlace
from rtc_gateway.gateway.history import HistoryPager
from rtc_gateway.gateway.rooms import (
    AGENT_NAMESPACE,
    CITIZEN_NAMESPACE,
    STAFF_ROOM,
    SUPERVISORS_ROOM,
    agent_room,
    citizen_room,
)
from rtc_gateway.gateway.wire import (
    agent_overview_wire,
    agent_public,
    conversation_wire,
    message_wire,
    queue_place_wire,
    queue_stat_wire,
)
from rtc_gateway.ports.notifier import AgentOverview
from rtc_gateway.realtime.server import RealtimeServer


class SocketNotifier:
    """Emits write to the recipients' sockets at once; the coroutines never wait."""

    def __init__(self, server: RealtimeServer, pages: HistoryPager) -> None:
        self._server = server
        self._pages = pages
        self.citizen_presence: Callable[[str], dict[str, Any] | None] = _unknown
        """The presence of a citizen as staff see it, added to assignments."""

    def _to_citizen(self, conversation: Conversation, event: str, data: Any,
                    skip: str | None = None) -> None:
        self._to_citizen_id(conversation.citizen_id, event, data, skip)

    def _to_citizen_id(self, citizen_id: str, event: str, data: Any,
                       skip: str | None = None) -> None:
        self._server.emit(event, data, room=citizen_room(citizen_id), skip_sid=skip,
                          namespace=CITIZEN_NAMESPACE)

    def _to_agent(self, agent_id: str | None, event: str, data: Any,
                  skip: str | None = None) -> None:
        if agent_id is not None:
            self._server.emit(event, data, room=agent_room(agent_id), skip_sid=skip,
                              namespace=AGENT_NAMESPACE)

    async def message(self, conversation: Conversation, message: Message,
                      origin: str | None) -> None:
        wire = message_wire(message)
        self._to_citizen(conversation, "message", wire, origin)
        self._to_agent(conversation.agent_id, "message", wire, origin)

    async def typing(self, conversation: Conversation, sender: str, typing: bool,
                     origin: str | None) -> None:
        data = {"conversation_id": conversation.id, "sender": sender, "typing": typing}
        if sender == "citizen":
            self._to_agent(conversation.agent_id, "typing", data)
        else:
            self._to_citizen(conversation, "typing", data)

    async def read(self, conversation: Conversation, seq: int, reader: str,
                   origin: str | None) -> None:
        data = {"conversation_id": conversation.id, "seq": seq, "reader": reader}
        self._to_citizen(conversation, "message:read", data, origin)
        self._to_agent(conversation.agent_id, "message:read", data, origin)

    async def queued(self, conversation: Conversation, place: QueuePlace) -> None:
        self._to_citizen(conversation, "conversation:queued", {
            "conversation_id": conversation.id, **queue_place_wire(place)})

    async def assigned(self, conversation: Conversation, agent: AgentProfile,
                       messages: Sequence[Message]) -> None:
        latest = self._pages.before(messages)
        self._to_agent(agent.agent_id, "conversation:assigned", {
            "conversation": conversation_wire(
                conversation, agent=agent, staff_view=True,
                citizen_presence=self.citizen_presence(conversation.citizen_id)),
            "messages": latest.messages,
            "has_more": latest.has_more,
        })
        self._to_citizen(conversation, "conversation:assigned", {
            "conversation_id": conversation.id,
            "agent": agent_public(agent),
        })

    async def transferred_away(self, conversation: Conversation, agent_id: str) -> None:
        self._to_agent(agent_id, "conversation:transferred",
                             {"conversation_id": conversation.id})

    async def closed(self, conversation: Conversation, reason: str,
                     agent_id: str | None) -> None:
        data = {"conversation_id": conversation.id, "reason": reason}
        self._to_citizen(conversation, "conversation:closed", data)
        self._to_agent(agent_id, "conversation:closed", data)

    async def queue_stats(self, stats: Sequence[QueueStat]) -> None:
        self._server.emit("queue:update", {"queues": [queue_stat_wire(s) for s in stats]},
                          room=STAFF_ROOM, namespace=AGENT_NAMESPACE)

    async def agents_overview(self, agents: Sequence[AgentOverview]) -> None:
        self._server.emit("agents:update", {"agents": [agent_overview_wire(a) for a in agents]},
                          room=SUPERVISORS_ROOM, namespace=AGENT_NAMESPACE)

    async def video_invite(self, citizen_id: str, data: dict[str, Any]) -> None:
        self._to_citizen_id(citizen_id, "video:invite", data)

    async def video_left(self, agent_id: str, data: dict[str, Any]) -> None:
        self._to_agent(agent_id, "video:left", data)

    async def video_ended(self, citizen_ids: Iterable[str], staff_ids: Iterable[str],
                          data: dict[str, Any]) -> None:
        for citizen_id in sorted(set(citizen_ids)):
            self._to_citizen_id(citizen_id, "video:ended", data)
        for staff_id in sorted(set(staff_ids)):
            self._to_agent(staff_id, "video:ended", data)

    async def case_updated(self, case: Case, change: str) -> None:
        data = {
            "case_id": case.id, "reference": case.reference, "kind": case.kind.value,
            "status": case.status.value, "change": change, "unread": case.unread,
            "updated_at": format_utc(case.updated_at)}
        for citizen_id in await self.same_person(case.citizen_id):
            self._to_citizen_id(citizen_id, "case:updated", data)

    async def same_person(self, citizen_id: str) -> Sequence[str]:
        """The citizen ids whose sockets are the same person as ``citizen_id``: itself
        alone here, the ids its verified session vouches for in a subclass."""
        return (citizen_id,)


def _unknown(citizen_id: str) -> None:
    return None
