"""What the ``/citizen`` and ``/agent`` namespaces share: wiring, registration, refusals."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.errors import DomainError
from rtc_gateway.domain.roles import Actor
from rtc_gateway.gateway.acks import Ack, failure
from rtc_gateway.gateway.connections import Connection, ConnectionRegistry
from rtc_gateway.gateway.conversation_events import ConversationEvents
from rtc_gateway.gateway.dispatcher import EventDispatcher
from rtc_gateway.gateway.metrics import GatewayMetrics
from rtc_gateway.gateway.video_events import VideoEvents
from rtc_gateway.realtime.connection import ClientInfo
from rtc_gateway.realtime.server import ConnectRefused, Greeting, RealtimeServer
from rtc_gateway.security.tokens import TokenAuthority, TokenStamp
from rtc_gateway.services.client_limits import ClientLimits
from rtc_gateway.services.conversations import ConversationService


@dataclass(frozen=True)
class NamespaceParts:
    server: RealtimeServer
    connections: ConnectionRegistry
    tokens: TokenAuthority
    conversations: ConversationService
    events: ConversationEvents
    video: VideoEvents
    metrics: GatewayMetrics
    monotonic: Callable[[], float]
    limits: ClientLimits


def refuse(error: DomainError) -> ConnectRefused:
    """A connect refusal carrying the error code where every client finds it.

    The JavaScript client exposes ``err.data``; python-socketio passes the whole
    payload, so the code is both at the top level and in ``data``.
    """
    return ConnectRefused({"message": error.message, "code": error.code,
                           "data": {"code": error.code, "message": error.message}})


class Namespace:
    """One Socket.IO namespace: its own events plus the shared conversation and video ones."""

    name = "/"
    may_start_video = False

    def __init__(self, parts: NamespaceParts) -> None:
        self.parts = parts
        self.dispatcher = EventDispatcher(self.name, parts.connections, parts.metrics,
                                          parts.monotonic, parts.limits.event_budget_spent)
        self._ending: set[asyncio.Task[None]] = set()

    def end_connections(self, wanted: Callable[[Connection], bool], reason: str) -> int:
        """Disconnect, from the server side, every live connection of this namespace that
        ``wanted`` picks (a revoked token, a blocked identity); how many."""
        ended = 0
        for connection in self.parts.connections.in_namespace(self.name):
            if wanted(connection):
                task = asyncio.get_running_loop().create_task(
                    self.parts.server.disconnect_socket(connection.sid, reason))
                self._ending.add(task)
                task.add_done_callback(self._ending.discard)
                ended += 1
        return ended

    def register(self) -> None:
        self.parts.events.register(self.dispatcher)
        self.parts.video.register(self.dispatcher, may_start=self.may_start_video)
        self.add_routes(self.dispatcher)
        self.parts.server.add_namespace(self.name, self)

    def add_routes(self, dispatcher: EventDispatcher) -> None:
        """Events only this namespace serves."""

    def add_connection(self, sid: str, actor: Actor, client: ClientInfo,
                       profile: AgentProfile | None = None,
                       token: TokenStamp | None = None) -> Connection:
        """Register an admitted socket, with its identity's shared event bucket."""
        bucket = self.parts.limits.connected(self.name, actor.id)
        connection = Connection(sid, self.name, actor, bucket, profile, remote=client.remote,
                                token=token)
        self.parts.connections.add(connection)
        return connection

    async def connect(self, sid: str, client: ClientInfo, auth: Any) -> Greeting | None:
        raise NotImplementedError

    async def event(self, event: object, sid: str, args: tuple[Any, ...]) -> Ack:
        return await self.dispatcher.handle(event, sid, args)

    def malformed(self, sid: str, reason: str) -> Ack:
        """Unreadable packets are answered, and charged like events."""
        connection = self.parts.connections.get(sid)
        if connection is not None and not connection.bucket.try_take(self.parts.monotonic()):
            self.parts.limits.event_budget_spent(connection.actor.id)
            self.parts.metrics.rejected("rate_limited")
            return failure("rate_limited", "too many events; slow down")
        self.parts.metrics.rejected("bad_request")
        return failure("bad_request", reason)

    async def disconnect(self, sid: str, reason: str) -> None:
        connection = self.parts.connections.remove(sid)
        if connection is not None:
            self.parts.limits.disconnected(self.name, connection.actor.id)
            await self.connection_lost(connection)
            await self.parts.video.disconnected(connection)

    async def connection_lost(self, connection: Connection) -> None:
        """Namespace-specific clean-up when a connection goes."""
