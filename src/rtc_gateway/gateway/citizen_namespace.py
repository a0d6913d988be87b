"""The ``/citizen`` namespace: anonymous or resumed identities, and opening conversations."""

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import socketio

from rtc_gateway.domain.conversation import Location
from rtc_gateway.domain.errors import BadRequest, DomainError, RateLimited, Unauthorized
from rtc_gateway.domain.forces import AUTO, Force
from rtc_gateway.domain.priority import Priority
from rtc_gateway.domain.rate_limit import TokenBucket
from rtc_gateway.domain.roles import Actor, Role
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.gateway import schemas
from rtc_gateway.gateway.acks import Ack, ok
from rtc_gateway.gateway.anonymous_quota import AnonymousQuota
from rtc_gateway.gateway.connections import Connection, ConnectionRegistry
from rtc_gateway.gateway.conversation_events import ConversationEvents
from rtc_gateway.gateway.dispatcher import EventDispatcher
from rtc_gateway.gateway.rooms import CITIZEN_NAMESPACE, citizen_room
from rtc_gateway.gateway.video_events import VideoEvents
from rtc_gateway.security.tokens import IssuedToken, TokenAuthority, new_citizen_id
from rtc_gateway.services.conversations import ConversationService, OpenRequest

log = logging.getLogger(__name__)


def refuse(error: DomainError) -> socketio.exceptions.ConnectionRefusedError:
    """A connect refusal carrying the error code where every client finds it.

    The JavaScript client exposes ``err.data``; python-socketio passes the whole
    payload, so the code is both at the top level and in ``data``.
    """
    refusal = socketio.exceptions.ConnectionRefusedError(error.message)
    refusal.error_args = {"message": error.message, "code": error.code,
                          "data": {"code": error.code, "message": error.message}}
    return refusal


def remote_address(environ: dict[str, Any]) -> str:
    request = environ.get("aiohttp.request")
    address = getattr(request, "remote", None) or environ.get("REMOTE_ADDR")
    return str(address or "unknown")


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


class CitizenNamespace:
    def __init__(
        self,
        *,
        sio: socketio.AsyncServer,
        connections: ConnectionRegistry,
        tokens: TokenAuthority,
        quota: AnonymousQuota,
        conversations: ConversationService,
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
        self._quota = quota
        self._conversations = conversations
        self._events = events
        self._video = video
        self._dispatcher = dispatcher
        self._monotonic = monotonic
        self._rate = (rate_per_s, burst)
        self._greetings: set[asyncio.Task[None]] = set()

    def register(self) -> None:
        self._events.register(self._dispatcher)
        self._video.register(self._dispatcher, may_start=False)
        self._dispatcher.route("conversation:open", schemas.OpenConversation, self.open, cost=3.0)
        self._sio.on("connect", self.connect, namespace=CITIZEN_NAMESPACE)
        self._sio.on("disconnect", self.disconnect, namespace=CITIZEN_NAMESPACE)
        self._sio.on("*", self._dispatcher.handle, namespace=CITIZEN_NAMESPACE)

    async def connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        try:
            issued = self._identify(auth, environ)
        except DomainError as error:
            raise refuse(error) from None
        now = self._monotonic()
        self._connections.add(Connection(
            sid, CITIZEN_NAMESPACE, Actor(Role.CITIZEN, issued.subject),
            TokenBucket.full(*self._rate, now)))
        await self._sio.enter_room(sid, citizen_room(issued.subject),
                                   namespace=CITIZEN_NAMESPACE)
        task = asyncio.get_running_loop().create_task(self._greet(sid, issued))
        self._greetings.add(task)
        task.add_done_callback(self._greetings.discard)

    def _identify(self, auth: Any, environ: dict[str, Any]) -> IssuedToken:
        """Resume the identity of a valid token, or create an anonymous one."""
        token = auth.get("token") if isinstance(auth, dict) else None
        if token is not None:
            citizen_id = self._tokens.verify_citizen(token)
            return self._tokens.mint_citizen(citizen_id)
        if auth not in (None, {}) and not isinstance(auth, dict):
            raise Unauthorized("auth must be an object")
        if not self._quota.try_issue(remote_address(environ), self._monotonic()):
            raise RateLimited("too many new sessions from this address")
        return self._tokens.mint_citizen(new_citizen_id())

    async def _greet(self, sid: str, issued: IssuedToken) -> None:
        """Sent once the connection is established (after the CONNECT packet)."""
        await self._sio.emit("session", {
            "citizen_id": issued.subject,
            "token": issued.token,
            "expires_at": format_utc(issued.expires_at),
        }, to=sid, namespace=CITIZEN_NAMESPACE)

    async def disconnect(self, sid: str, reason: Any = None) -> None:
        connection = self._connections.remove(sid)
        if connection is not None:
            await self._video.disconnected(connection)

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
        conversation = await self._conversations.open(connection.actor, request,
                                                      origin=connection.sid)
        return ok(conversation=self._events.view(conversation, Role.CITIZEN))
