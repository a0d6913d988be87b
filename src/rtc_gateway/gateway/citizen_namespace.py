"""The ``/citizen`` namespace: anonymous or resumed identities, and opening conversations."""

from typing import Any

from rtc_gateway.domain.addresses import address_key
from rtc_gateway.domain.conversation import Conversation, Location
from rtc_gateway.domain.errors import BadRequest, DomainError, RateLimited, Unauthorized
from rtc_gateway.domain.forces import AUTO, Force
from rtc_gateway.domain.identity import VerifiedSession
from rtc_gateway.domain.priority import Priority
from rtc_gateway.domain.roles import Actor, Role
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.domain.topics import DISCREET_ALERT
from rtc_gateway.gateway import schemas
from rtc_gateway.gateway.acks import Ack, ok
from rtc_gateway.gateway.anonymous_quota import AnonymousQuota
from rtc_gateway.gateway.connections import Connection
from rtc_gateway.gateway.dispatcher import EventDispatcher
from rtc_gateway.gateway.identity_events import IdentityEvents
from rtc_gateway.gateway.namespace import Namespace, NamespaceParts, refuse
from rtc_gateway.gateway.rooms import CITIZEN_NAMESPACE, citizen_room
from rtc_gateway.realtime.connection import ClientInfo
from rtc_gateway.realtime.server import Greeting
from rtc_gateway.security.tokens import IssuedToken
from rtc_gateway.services.abuse import AbuseService
from rtc_gateway.services.conversations import OpenRequest
from rtc_gateway.services.open_limits import OpenLimits
from rtc_gateway.services.presence import PresenceService
from rtc_gateway.services.urgent_surge import UrgentSurgeWatch


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

    def __init__(self, parts: NamespaceParts, quota: AnonymousQuota, abuse: AbuseService,
                 open_limits: OpenLimits, surge: UrgentSurgeWatch,
                 presence: PresenceService | None = None,
                 identity: IdentityEvents | None = None) -> None:
        super().__init__(parts)
        self._identity = identity
        self._quota = quota
        self._abuse = abuse
        self._open_limits = open_limits
        self._surge = surge
        self._presence = presence

    def add_routes(self, dispatcher: EventDispatcher) -> None:
        dispatcher.route("conversation:open", schemas.OpenConversation, self.open, cost=3.0)
        if self._identity is not None:
            self._identity.register(dispatcher)

    async def connect(self, sid: str, client: ClientInfo, auth: Any) -> Greeting:
        """Each connect issues a fresh token and ends the identity's older ones; its other
        live connections (other tabs) get the fresh one too, so any of them can reconnect."""
        try:
            self.parts.limits.admit_address(client.remote)
            verified_session = None if self._identity is None else \
                await self._identity.session_at_connect(client.cookie)
            issued = self._identify(auth, client, verified_session)
        except DomainError as error:
            raise refuse(error) from None
        self.add_connection(sid, Actor(Role.CITIZEN, issued.subject), client)
        if self._presence is not None:
            await self._presence.connected(issued.subject)
        verified = False
        if self._identity is not None:
            self._identity.connected(sid, client.cookie)
            verified = (verified_session is not None
                        and verified_session.vouches_for(issued.subject)) \
                or await self._identity.is_verified(issued.subject)
        session = {
            "citizen_id": issued.subject,
            "token": issued.token,
            "expires_at": format_utc(issued.expires_at),
            "verified": verified,
        }
        self.parts.server.emit("session", session, namespace=self.name,
                               room=citizen_room(issued.subject))
        self.parts.server.enter_room(sid, citizen_room(issued.subject))
        return "session", session

    async def connection_lost(self, connection: Connection) -> None:
        if self._identity is not None:
            self._identity.disconnected(connection.sid)
        if self._presence is not None:
            await self._presence.disconnected(connection.actor.id)

    def end_sessions_of(self, citizen_id: str) -> None:
        """Disconnect a citizen identity's live connections (blocked after abuse): it
        cannot connect again until its block ends."""
        self.end_connections(lambda connection: connection.actor.id == citizen_id,
                             "blocked after abuse")

    def _admit_citizen(self, citizen_id: str) -> None:
        """Between the token's check and the signing of a renewed one: blocks, limits."""
        self._abuse.check_identity(citizen_id)
        self.parts.limits.admit_identity(self.name, citizen_id)

    def _identify(self, auth: Any, client: ClientInfo,
                  session: VerifiedSession | None = None) -> IssuedToken:
        """Resume the identity of a valid token, or the verified session's, or create an
        anonymous one."""
        tokens = self.parts.tokens
        token = auth.get("token") if isinstance(auth, dict) else None
        if token is not None:
            return tokens.renew_citizen(token, admit=self._admit_citizen)
        if auth not in (None, {}) and not isinstance(auth, dict):
            raise Unauthorized("auth must be an object")
        if session is not None:
            self._admit_citizen(session.citizen_id)
            return tokens.mint_citizen(session.citizen_id)
        if not self._quota.try_issue(address_key(client.remote), self.parts.monotonic()):
            self.parts.limits.anonymous_quota_spent(client.remote)
            raise RateLimited("too many new sessions from this address")
        return tokens.new_citizen()

    async def open(self, connection: Connection, payload: schemas.OpenConversation) -> Ack:
        actor = connection.actor
        self._abuse.check_open(actor.id, connection.remote,
                               discreet=payload.discreet or payload.topic == DISCREET_ALERT)
        if payload.client_msg_id is not None and \
                await self.parts.conversations.opened_with(actor, payload.client_msg_id):
            conversation = await self._open(connection, payload)
            return ok(conversation=await self.parts.events.view(conversation, Role.CITIZEN))
        place = self._open_limits.reserve(
            actor.id, connection.remote,
            already_open=len(self.parts.conversations.list_for(actor)))
        try:
            conversation = await self._open(connection, payload)
        except BaseException:
            self._open_limits.release(place)
            raise
        self._open_limits.confirm(place, conversation)
        self._surge.opened(conversation)
        return ok(conversation=await self.parts.events.view(conversation, Role.CITIZEN))

    async def _open(self, connection: Connection,
                    payload: schemas.OpenConversation) -> Conversation:
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
        return await self.parts.conversations.open(connection.actor, request,
                                                   origin=connection.sid)
