"""Advice on ``/citizen``: ``advice:subscribe {themes}`` → ``{ok, themes}``,
``advice:missed {}`` → ``{ok, themes, advice}`` (what the citizen's followed themes
published since it last looked), and the ``advice:new {advice}`` push."""

from typing import Any

from rtc_gateway.gateway import schemas
from rtc_gateway.gateway.acks import Ack, ok
from rtc_gateway.gateway.advice_schemas import Subscribe, summary_wire
from rtc_gateway.gateway.connections import Connection, ConnectionRegistry
from rtc_gateway.gateway.dispatcher import EventDispatcher
from rtc_gateway.gateway.rooms import CITIZEN_NAMESPACE, citizen_room
from rtc_gateway.realtime.server import RealtimeServer
from rtc_gateway.services.advice.subscriptions import AdviceSubscriptions


class SocketAdviceNotifier:
    """The advice notifier port over this node's citizen sockets."""

    def __init__(self, server: RealtimeServer, connections: ConnectionRegistry) -> None:
        self._server = server
        self._connections = connections

    def connected_citizens(self) -> set[str]:
        return {c.actor.id for c in self._connections.in_namespace(CITIZEN_NAMESPACE)}

    def advice_new(self, citizen_id: str, advice: dict[str, Any]) -> None:
        self._server.emit("advice:new", {"advice": advice}, namespace=CITIZEN_NAMESPACE,
                          room=citizen_room(citizen_id))


class AdviceEvents:
    def __init__(self, subscriptions: AdviceSubscriptions) -> None:
        self._subscriptions = subscriptions

    def register(self, dispatcher: EventDispatcher) -> None:
        dispatcher.route("advice:subscribe", Subscribe, self.subscribe)
        dispatcher.route("advice:missed", schemas.Empty, self.missed)

    async def subscribe(self, connection: Connection, payload: Subscribe) -> Ack:
        subscription = await self._subscriptions.subscribe(connection.actor.id,
                                                           payload.themes)
        return ok(themes=sorted(subscription.themes))

    async def missed(self, connection: Connection, payload: schemas.Empty) -> Ack:
        subscription = await self._subscriptions.of(connection.actor.id)
        missed = await self._subscriptions.missed(connection.actor.id)
        return ok(themes=sorted(subscription.themes) if subscription else [],
                  advice=[summary_wire(a) for a in missed])
