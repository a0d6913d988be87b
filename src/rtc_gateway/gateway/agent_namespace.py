"""The ``/agent`` namespace: officers, supervisors and reviewers with signed tokens."""

import logging
from typing import Any

from rtc_gateway.domain.agent import Presence
from rtc_gateway.domain.errors import BadRequest, DomainError, Forbidden
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.roles import Actor, Role
from rtc_gateway.gateway import schemas
from rtc_gateway.gateway.acks import Ack, ok
from rtc_gateway.gateway.connections import Connection
from rtc_gateway.gateway.dispatcher import EventDispatcher
from rtc_gateway.gateway.namespace import Namespace, NamespaceParts, refuse
from rtc_gateway.gateway.rooms import AGENT_NAMESPACE, STAFF_ROOM, SUPERVISORS_ROOM, agent_room
from rtc_gateway.gateway.transfer_notice import TransferNotice
from rtc_gateway.gateway.wire import agent_session_wire
from rtc_gateway.realtime.connection import ClientInfo
from rtc_gateway.realtime.server import Greeting
from rtc_gateway.services.abuse import AbuseService
from rtc_gateway.services.routing import RoutingService, TransferTarget

log = logging.getLogger(__name__)


class AgentNamespace(Namespace):
    name = AGENT_NAMESPACE
    may_start_video = True

    def __init__(self, parts: NamespaceParts, routing: RoutingService,
                 abuse: AbuseService, transfer_notice: TransferNotice | None = None) -> None:
        super().__init__(parts)
        self._routing = routing
        self._abuse = abuse
        self._transfer_notice = transfer_notice

    def add_routes(self, dispatcher: EventDispatcher) -> None:
        dispatcher.route("agent:status", schemas.AgentStatus, self.status)
        dispatcher.route("conversation:transfer", schemas.Transfer, self.transfer)
        dispatcher.route("conversation:report_abuse", schemas.ReportAbuse, self.report_abuse)

    async def connect(self, sid: str, client: ClientInfo, auth: Any) -> Greeting:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            self.parts.limits.admit_address(client.remote)
            profile, stamp = self.parts.tokens.verify_agent_stamped(token)
            self.parts.limits.admit_identity(self.name, profile.agent_id)
        except DomainError as error:
            raise refuse(error) from None
        self.add_connection(sid, Actor(profile.role, profile.agent_id), client, profile,
                            token=stamp)
        server = self.parts.server
        server.enter_room(sid, agent_room(profile.agent_id))
        server.enter_room(sid, STAFF_ROOM)
        if profile.role is Role.SUPERVISOR:
            server.enter_room(sid, SUPERVISORS_ROOM)
        await self._routing.agent_connected(profile, sid)
        return "agent:session", agent_session_wire(profile)

    def end_revoked_sessions(self) -> None:
        """Disconnect every live connection whose staff token was revoked since."""
        def revoked(connection: Connection) -> bool:
            if connection.token is None or not self.parts.tokens.staff_revoked(
                    connection.token):
                return False
            log.info("staff token revoked: connection ended",
                     extra={"agent_id": connection.actor.id})
            return True

        self.end_connections(revoked, "token revoked")

    async def connection_lost(self, connection: Connection) -> None:
        if connection.profile is not None:
            await self._routing.agent_disconnected(connection.profile.agent_id,
                                                   connection.sid)

    async def status(self, connection: Connection, payload: schemas.AgentStatus) -> Ack:
        if payload.status not in (Presence.AVAILABLE, Presence.AWAY):
            raise BadRequest("status must be available or away")
        await self._routing.set_status(connection.actor.id, Presence(payload.status))
        return ok(status=payload.status)

    async def transfer(self, connection: Connection, payload: schemas.Transfer) -> Ack:
        if connection.actor.role not in (Role.AGENT, Role.SUPERVISOR):
            raise Forbidden("only agents and supervisors transfer conversations")
        conversation = self.parts.conversations.get_for(connection.actor,
                                                        payload.conversation_id)
        await self._routing.transfer(connection.actor, conversation, _target(payload.to))
        warning = (await self._transfer_notice.after(conversation) if self._transfer_notice
                   else None)
        view = await self.parts.events.view(conversation, connection.actor.role)
        return ok(conversation=view, **({"warning": warning} if warning else {}))


    async def report_abuse(self, connection: Connection, payload: schemas.ReportAbuse) -> Ack:
        conversation = await self._abuse.report(connection.actor, payload.conversation_id,
                                                payload.reason)
        return ok(conversation=await self.parts.events.view(conversation, connection.actor.role))


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
