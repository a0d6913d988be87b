"""The ``/citizen`` namespace: anonymous or resumed identities, and opening conversations."""

from typing import Any

from rtc_gateway.domain.conversation import Location
from rtc_gateway.domain.errors import BadRequest, DomainError, RateLimited, Unauthorized
from rtc_gateway.domain.forces import AUTO, Force
from rtc_gateway.domain.priority import Priority
from rtc_gateway.domain.roles import Actor, Role
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.gateway import schemas
from rtc_gateway.gateway.acks import Ack, ok
from rtc_gateway.gateway.anonymous_quota import AnonymousQuota
from rtc_gateway.gateway.connections import Connection
from rtc_gateway.gateway.dispatcher import EventDispatcher
from rtc_gateway.gateway.namespace import Namespace, NamespaceParts, refuse
from rtc_gateway.gateway.rooms import CITIZEN_NAMESPACE, citizen_room
from rtc_gateway.realtime.connection import ClientInfo
from rtc_gateway.realtime.server import Greeting
from rtc_gateway.security.tokens import IssuedToken
from rtc_gateway.services.conversations import OpenRequest


def parse_service(value: str | None) -> Force | None:
    if value is None or value == AUTO:
        return None
    try:
        return Force(value)
    except ValueError:
        raise BadRequest("service must be police, gendarmerie or auto") from None


def parse_priority(value: str | None) -> Priority:
    try:
        return Priority(value or Priority.NORMAL)
    except ValueError:
        raise BadRequest("priority must be normal or urgent") from None


class CitizenNamespace(Namespace):
    name = CITIZEN_NAMESPACE

    def __init__(self, parts: NamespaceParts, quota: AnonymousQuota) -> None:
        super().__init__(parts)
        self._quota = quota

    def add_routes(self, dispatcher: EventDispatcher) -> None:
        dispatcher.route("conversation:open", schemas.OpenConversation, self.open, cost=3.0)

    async def connect(self, sid: str, client: ClientInfo, auth: Any) -> Greeting:
        """Each connect issues a fresh token and ends the identity's older ones; its other
        live connections (other tabs) get the fresh one too, so any of them can reconnect."""
        try:
            issued = self._identify(auth, client)
        except DomainError as error:
            raise refuse(error) from None
        self.parts.connections.add(Connection(
            sid, self.name, Actor(Role.CITIZEN, issued.subject), self.new_bucket()))
        session = {
            "citizen_id": issued.subject,
            "token": issued.token,
            "expires_at": format_utc(issued.expires_at),
        }
        self.parts.server.emit("session", session, namespace=self.name,
                               room=citizen_room(issued.subject))
        self.parts.server.enter_room(sid, citizen_room(issued.subject))
        return "session", session

    def _identify(self, auth: Any, client: ClientInfo) -> IssuedToken:
        """Resume the identity of a valid token, or create an anonymous one."""
        tokens = self.parts.tokens
        token = auth.get("token") if isinstance(auth, dict) else None
        if token is not None:
            return tokens.renew_citizen(token)
        if auth not in (None, {}) and not isinstance(auth, dict):
            raise Unauthorized("auth must be an object")
        if not self._quota.try_issue(client.remote, self.parts.monotonic()):
            raise RateLimited("too many new sessions from this address")
        return tokens.new_citizen()

    async def open(self, connection: Connection, payload: schemas.OpenConversation) -> Ack:
        request = OpenRequest(
            topic=payload.topic,
            service=parse_service(payload.service),
            priority=parse_priority(payload.priority),
            discreet=payload.discreet,
            language=payload.language,
            location=Location(payload.location.lat, payload.location.lon)
            if payload.location else None,
            text=payload.text,
            client_msg_id=payload.client_msg_id,
        )
        conversation = await self.parts.conversations.open(connection.actor, request,
                                                           origin=connection.sid)
        return ok(conversation=self.parts.events.view(conversation, Role.CITIZEN))
