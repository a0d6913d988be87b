"""One entry point per namespace for every client event: rate limit, parse, call, answer.

The rate limit is the identity's bucket, shared by all its connections (see
``services/client_limits.py``): the check costs what a per-connection one did.

Every event gets an acknowledgement object; no payload can crash the handler or close
the connection. Events are registered with their schema, so a reader finds what an
event accepts next to the code that serves it.

The server starts each event eagerly, in the turn that read it, so a handler's first
steps run in the reader's task. Routes that drive other libraries' I/O (WebRTC) are
marked ``own_task`` and run in a task of their own, where timeouts and cancellation
behave as those libraries expect.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from rtc_gateway.domain.errors import DomainError
from rtc_gateway.domain.message import MAX_TEXT_LENGTH
from rtc_gateway.gateway.acks import Ack, failure
from rtc_gateway.gateway.connections import Connection, ConnectionRegistry
from rtc_gateway.gateway.metrics import GatewayMetrics

log = logging.getLogger(__name__)

Handler = Callable[[Connection, Any], Awaitable[Ack]]
Forward = Callable[[Connection, str, Any, Any], Awaitable[Ack | None]]
"""``(connection, event, raw payload, parsed payload)`` → the answer of the node that
holds what the event is about, or ``None`` to serve the event here."""


@dataclass(frozen=True, slots=True)
class Route:
    schema: type[Any]
    handler: Handler
    cost: float
    own_task: bool


class EventDispatcher:
    def __init__(self, namespace: str, connections: ConnectionRegistry,
                 metrics: GatewayMetrics, monotonic: Callable[[], float],
                 budget_spent: Callable[[str], None] = lambda _identity: None) -> None:
        self.namespace = namespace
        self._connections = connections
        self._metrics = metrics
        self._monotonic = monotonic
        self._budget_spent = budget_spent
        self._routes: dict[str, Route] = {}
        self._forward: Forward | None = None

    def route(self, event: str, schema: type[Any], handler: Handler, *,
              cost: float = 1.0, own_task: bool = False) -> None:
        self._routes[event] = Route(schema, handler, cost, own_task)

    @property
    def events(self) -> list[str]:
        return sorted(self._routes)

    async def handle(self, event: object, sid: str, args: tuple[Any, ...]) -> Ack:
        ack = await self._dispatch(event, sid, args)
        if not ack["ok"]:
            self._metrics.rejected(ack["error"]["code"])
        return ack

    def forward_with(self, forward: "Forward") -> None:
        """Let ``forward`` serve events about a conversation another node holds."""
        self._forward = forward

    async def _dispatch(self, event: object, sid: str, args: tuple[Any, ...]) -> Ack:
        connection = self._connections.get(sid)
        if connection is None:
            return failure("unauthorized", "not connected")
        route = self._routes.get(event) if isinstance(event, str) else None
        if route is None:
            return failure("bad_request", "unknown event")
        if not connection.bucket.try_take(self._monotonic(), route.cost):
            self._budget_spent(connection.actor.id)
            return failure("rate_limited", "too many events; slow down")
        if len(args) > 1:
            return failure("bad_request", "expected a single payload object")
        payload = args[0] if args else {}
        parsed = _parsed(route, payload)
        if isinstance(parsed, _Refused):
            return parsed.ack
        if self._forward is not None:
            assert isinstance(event, str)
            try:
                answer = await self._forward(connection, event, payload, parsed)
            except Exception:
                log.exception("event forwarding failed", extra={"event": event,
                                                                "namespace": self.namespace})
                return failure("internal", "internal error")
            if answer is not None:
                return answer
        return await self._call(route, connection, event, parsed)

    async def run_forwarded(self, connection: Connection, event: str, payload: Any) -> Ack:
        """Serve an event another node's client sent about a conversation held here; that
        node checked its rate and its identity, this one parses and serves it."""
        route = self._routes.get(event)
        if route is None:
            return failure("bad_request", "unknown event")
        parsed = _parsed(route, payload)
        if isinstance(parsed, _Refused):
            return parsed.ack
        ack = await self._call(route, connection, event, parsed)
        if not ack["ok"]:
            self._metrics.rejected(ack["error"]["code"])
        return ack

    async def _call(self, route: Route, connection: Connection, event: object,
                    parsed: Any) -> Ack:
        try:
            if route.own_task:
                return await asyncio.ensure_future(route.handler(connection, parsed))
            return await route.handler(connection, parsed)
        except DomainError as exc:
            return failure(exc.code, exc.message)
        except Exception:
            log.exception("event handler failed", extra={"event": event,
                                                         "namespace": self.namespace})
            return failure("internal", "internal error")


@dataclass(frozen=True, slots=True)
class _Refused:
    ack: Ack


def _parsed(route: Route, payload: Any) -> Any:
    """The payload as the route's schema, or why it is refused."""
    try:
        parsed = msgspec.convert(payload, route.schema)
    except msgspec.ValidationError as exc:
        return _Refused(failure("bad_request", str(exc)))
    refused = _oversized_text(parsed)
    return parsed if refused is None else _Refused(refused)


def _oversized_text(parsed: object) -> Ack | None:
    text = getattr(parsed, "text", None)
    if text is None:
        return None
    if not text or text.isspace():
        return failure("bad_request", "text must not be empty")
    if len(text) > MAX_TEXT_LENGTH:
        return failure("too_large", f"text is limited to {MAX_TEXT_LENGTH} characters")
    return None
