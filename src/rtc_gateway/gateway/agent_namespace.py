"""The ``/agent`` namespace: officers, supervisors and reviewers with signed tokens."""

from collections.abc import Callable
from typing import Any

import socketio

from rtc_gateway.domain.agent import Presence
from rtc_gateway.domain.errors import BadRequest, DomainError, Forbidden
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.rate_limit import TokenBucket
from rtc_gateway.domain.roles import Actor, Role
from rtc_gateway.gateway import schemas
from rtc_gateway.gateway.acks import Ack, ok
from rtc_gateway.gateway.citizen_namespace import refuse
from rtc_gateway.gateway.connections import Connection, ConnectionRegistry
from rtc_gateway.gateway.conversation_events import ConversationEvents
from rtc_gateway.gateway.dispatcher import EventDispatcher
from rtc_gateway.gateway.rooms import AGENT_NAMESPACE, STAFF_ROOM, SUPERVISORS_ROOM, agent_room
from rtc_gateway.gateway.video_events import VideoEvents
from rtc_gateway.gateway.wire import agent_session_wire
from rtc_gateway.security.tokens import TokenAuthority
from rtc_gateway.services.conversations import ConversationService
from rtc_gateway.services.queue_broadcast import QueueBroadcaster
from rtc_gateway.services.routing import RoutingService, TransferTarget


class AgentNamespace:
    def __init__(
        self,
        *,
        sio: socketio.AsyncServer,
        connections: ConnectionRegistry,
        tokens: TokenAuthority,
        conversations: ConversationService,
        routing: RoutingService,
        broadcaster: QueueBroadcaster,
        events: ConversationEvents,
        video: VideoEvents,
        dispatcher: EventDispatcher,
        monotonic: Callable[[], float],
        rate_per_s: float,
        burst: float,
    ) -> None:
        self._sio = sio
        self._connections = connections
        self._tokens = tokens
        self._conversations = conversations
        self._routing = routing
        self._broadcaster = broadcaster
        self._events = events
        self._video = video
        self._dispatcher = dispatcher
        self._monotonic = monotonic
        self._rate = (rate_per_s, burst)

    def register(self) -> None:
        self._events.register(self._dispatcher)
        self._video.register(self._dispatcher, may_start=True)
        self._dispatcher.route("agent:status", schemas.AgentStatus, self.status)
        self._dispatcher.route("conversation:transfer", schemas.Transfer, self.transfer)
        self._sio.on("connect", self.connect, namespace=AGENT_NAMESPACE)
        self._sio.on("disconnect", self.disconnect, namespace=AGENT_NAMESPACE)
        self._sio.on("*", self._dispatcher.handle, namespace=AGENT_NAMESPACE)

    async def connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            profile = self._tokens.verify_agent(token)
        except DomainError as error:
            raise refuse(error) from None
        self._connections.add(Connection(
            sid, AGENT_NAMESPACE, Actor(profile.role, profile.agent_id),
            TokenBucket.full(*self._rate, self._monotonic()), profile))
        await self._sio.enter_room(sid, agent_room(profile.agent_id), namespace=AGENT_NAMESPACE)
        await self._sio.enter_room(sid, STAFF_ROOM, namespace=AGENT_NAMESPACE)
        if profile.role is Role.SUPERVISOR:
            await self._sio.enter_room(sid, SUPERVISORS_ROOM, namespace=AGENT_NAMESPACE)
        self._routing.agent_connected(profile, sid)
        self._sio.start_background_task(
            self._sio.emit, "agent:session", agent_session_wire(profile), to=sid,
            namespace=AGENT_NAMESPACE)

    async def disconnect(self, sid: str, reason: Any = None) -> None:
        connection = self._connections.remove(sid)
        if connection is not None and connection.profile is not None:
            self._routing.agent_disconnected(connection.profile.agent_id, sid)
            await self._video.disconnected(connection)

    async def status(self, connection: Connection, payload: schemas.AgentStatus) -> Ack:
        if payload.status not in (Presence.AVAILABLE, Presence.AWAY):
            raise BadRequest("status must be available or away")
        await self._routing.set_status(connection.actor.id, Presence(payload.status))
        return ok(status=payload.status)

    async def transfer(self, connection: Connection, payload: schemas.Transfer) -> Ack:
        if connection.actor.role not in (Role.AGENT, Role.SUPERVISOR):
            raise Forbidden("only agents and supervisors transfer conversations")
        conversation = self._conversations.get_for(connection.actor, payload.conversation_id)
        await self._routing.transfer(connection.actor, conversation, _target(payload.to))
        return ok(conversation=self._events.view(conversation, connection.actor.role))


def _target(to: schemas.TransferTo) -> TransferTarget:
    given = [v for v in (to.agent_id, to.topic, to.service) if v is not None]
    if len(given) != 1:
        raise BadRequest("transfer to exactly one of agent_id, topic or service")
    if to.service is not None:
        try:
            return TransferTarget(service=Force(to.service))
        except ValueError:
            raise BadRequest("service must be police or gendarmerie") from None
    return TransferTarget(agent_id=to.agent_id, topic=to.topic)
