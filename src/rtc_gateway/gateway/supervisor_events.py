"""Staff-only events: conversation search for supervisors, and the notices the console
needs (a citizen who left, an urgent wait over the threshold)."""

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

import msgspec
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.errors import BadRequest, Forbidden
from rtc_gateway.domain.reference import conversation_reference
from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.domain.topics import TOPICS_BY_ID
from rtc_gateway.gateway.acks import Ack, ok
from rtc_gateway.gateway.connections import Connection
from rtc_gateway.gateway.dispatcher import EventDispatcher
from rtc_gateway.gateway.presence_wire import presence_wire
from rtc_gateway.gateway.rooms import AGENT_NAMESPACE, SUPERVISORS_ROOM, agent_room
from rtc_gateway.realtime.server import RealtimeServer
from rtc_gateway.services.conversation_search import (
    ConversationSearch,
    FoundConversation,
    SearchRequest,
)
from rtc_gateway.services.presence import CitizenPresence
from rtc_gateway.services.urgent_watch import UrgentWait, UrgentWaitWatch

SEARCH_ROLES = frozenset({Role.SUPERVISOR})
Day = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class SearchIn(msgspec.Struct):
    query: Annotated[str, msgspec.Meta(max_length=64)] = ""
    status: str | None = None
    topic: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    opened_from: Day | None = None
    opened_to: Day | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 50


class SupervisorEvents:
    def __init__(self, search: ConversationSearch) -> None:
        self._search = search

    def register(self, dispatcher: EventDispatcher) -> None:
        dispatcher.route("supervision:search", SearchIn, self.search, cost=3.0)

    async def search(self, connection: Connection, payload: SearchIn) -> Ack:
        if connection.actor.role not in SEARCH_ROLES:
            raise Forbidden("only supervisors search conversations")
        found = await self._search.search(SearchRequest(
            text=payload.query, status=payload.status, topic=payload.topic or None,
            opened_from=_day(payload.opened_from), opened_to=_day(payload.opened_to),
            limit=payload.limit))
        return ok(conversations=[_found_wire(f) for f in found])


class StaffNotices:
    """The presence and urgent-wait listeners, spoken as ``/agent`` events."""

    def __init__(self, server: RealtimeServer) -> None:
        self._server = server

    async def citizen_presence(self, conversation: Conversation,
                               presence: CitizenPresence) -> None:
        data = {"conversation_id": conversation.id, **presence_wire(presence)}
        if conversation.agent_id is not None:
            self._server.emit("citizen:presence", data, room=agent_room(conversation.agent_id),
                              namespace=AGENT_NAMESPACE)
        self._server.emit("citizen:presence", data, room=SUPERVISORS_ROOM,
                          namespace=AGENT_NAMESPACE)

    async def urgent_wait(self, alert: UrgentWait) -> None:
        conversation = alert.conversation
        self._server.emit("supervision:alert", {
            "kind": "urgent_wait",
            "conversation_id": conversation.id,
            "service": conversation.service.value if conversation.service else "auto",
            "topic": conversation.topic,
            "discreet": conversation.discreet,
            "waited_s": round(alert.waited_s),
            "agents_available": alert.serving_slots > 0,
        }, room=SUPERVISORS_ROOM, namespace=AGENT_NAMESPACE)


class UrgentAlertMetrics(Collector):
    def __init__(self, watch: UrgentWaitWatch) -> None:
        self._watch = watch

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "rtc_urgent_wait_alerts",
            "Urgent conversations that waited over the alert threshold since start",
            value=self._watch.alerts)


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest("dates are YYYY-MM-DD") from None


def _found_wire(found: FoundConversation) -> dict[str, Any]:
    item = found.indexed
    topic = TOPICS_BY_ID.get(item.topic)
    wire: dict[str, Any] = {
        "id": item.conversation_id,
        "reference": conversation_reference(item.conversation_id),
        "status": found.status,
        "topic": item.topic,
        "topic_label": topic.label if topic else item.topic,
        "service": item.service or "auto",
        "priority": item.priority,
        "discreet": item.discreet,
        "opened_at": format_utc(item.opened_at),
        "first_words": found.first_words,
    }
    if found.agent_id is not None:
        wire["agent_id"] = found.agent_id
    return wire
