"""A Socket.IO v5 server for a chat relay's hot path, beside aiohttp.

What it does per message, and nothing more: decode the frame, start the namespace's
handler eagerly (no task unless the handler waits), encode the answer once and write
whole frames straight to the recipients' transports. One heartbeat task serves every
client. It speaks Engine.IO v4 over WebSocket, and over HTTP long-polling for clients
that start there (and upgrade) or cannot open a WebSocket (``polling.py``). WebSockets
are read by its own code once the front door has answered their handshake
(``front_door.py``), or through aiohttp when they come on a reused HTTP connection; see
docs/architecture.md for why it replaced python-socketio's server.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from aiohttp import WSMsgType, web

from rtc_gateway.ports.bus import Bus, BusPacket, Receiver, Target
from rtc_gateway.realtime.codecs import Codec
from rtc_gateway.realtime.connection import ClientConnection, ClientInfo, NamespaceSocket
from rtc_gateway.realtime.eager import start_eagerly
from rtc_gateway.realtime.engine import engine_error, open_payload
from rtc_gateway.realtime.frames import BINARY
from rtc_gateway.realtime.handshake import RequestHead, switching_protocols, websocket_key
from rtc_gateway.realtime.links import (
    PollingLink,
    WebSocketLink,
    aiohttp_closing_handshake,
    close_frame_then_transport,
    closing_handshakes,
)
from rtc_gateway.realtime.node_sids import is_tagged, new_sid, sid_prefix
from rtc_gateway.realtime.outbox import Outbox
from rtc_gateway.realtime.packets import (
    ACK,
    BINARY_EVENT,
    CONNECT,
    CONNECT_ERROR,
    DISCONNECT,
    ENGINE_CLOSE,
    ENGINE_MESSAGE,
    ENGINE_PING,
    ENGINE_PONG,
    ENGINE_UPGRADE,
    EVENT,
    MalformedPacket,
    Packet,
)
from rtc_gateway.realtime.polling import PollingEndpoint
from rtc_gateway.realtime.rooms import RoomIndex
from rtc_gateway.realtime.websocket_connection import WebSocketConnection

log = logging.getLogger(__name__)

Greeting = tuple[str, Any]
"""An event sent to a socket right after its CONNECT answer: ``(event, data)``."""

_CLOSED = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED)
NORMAL_CLOSURE = 1000
GOING_AWAY = 1001
PROBE = "probe"
BAD_AUTH = "auth must be an object"
PING_PACKET = ENGINE_PING.encode()


class ConnectRefused(Exception):
    """Raised by a namespace's ``connect``; ``payload`` is the CONNECT_ERROR data."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload.get("message", "refused"))
        self.payload = payload


class NamespaceHandler(Protocol):
    async def connect(self, sid: str, client: ClientInfo, auth: Any) -> Greeting | None: ...

    async def event(self, event: object, sid: str, args: tuple[Any, ...]) -> Any:
        """The acknowledgement payload."""

    def malformed(self, sid: str, reason: str) -> Any:
        """The acknowledgement payload for a packet of ``sid`` that could not be read."""

    async def disconnect(self, sid: str, reason: str) -> None: ...


class OriginCheck(Protocol):
    def __call__(self, origin: str, host: str | None, scheme: str) -> bool:
        """Whether a page from ``origin`` may connect; clients that are not browsers
        send no ``Origin`` and are not asked about (nor is the request's host parsed
        and cached for them, on a request that lives as long as its WebSocket)."""


class RealtimeServer:
    def __init__(self, *, codec: Codec, origins: OriginCheck, max_message_bytes: int,
                 ping_interval_s: float, ping_timeout_s: float,
                 max_buffered_bytes: int = 4 * 1024 * 1024, connect_timeout_s: float = 45.0,
                 path: str = "/socket.io/") -> None:
        """``connect_timeout_s``: a client that has connected to no namespace by then
        is closed."""
        self._codec = codec
        self._origins = origins
        self._max_message_bytes = max_message_bytes
        self._ping_interval_s = ping_interval_s
        self._ping_timeout_s = ping_timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._max_buffered_bytes = max_buffered_bytes
        self.path = path
        self._handlers: dict[str, NamespaceHandler] = {}
        self._clients: set[ClientConnection] = set()
        self._sockets: dict[str, NamespaceSocket] = {}
        self._rooms: RoomIndex[NamespaceSocket] = RoomIndex()
        self._binary = codec.opcode == BINARY
        self._outbox = Outbox()
        self._polling = PollingEndpoint(self)
        self._cut_off = 0
        self._taken = 0
        self._owned: set[WebSocketConnection] = set()
        self._shedding = False
        self._sheddings = 0
        self._heartbeat_timeouts = 0
        self._connect_timeouts = 0
        self._unreadable_dropped = 0
        self._heartbeat: asyncio.Task[None] | None = None
        self._dropping: set[asyncio.Task[None]] = set()
        self._accepting = True
        self._publish: Callable[[BusPacket], None] | None = None
        """The bus's ``publish`` once the server shares rooms with other nodes."""
        self._sid_prefix = ""

    def add_namespace(self, name: str, handler: NamespaceHandler) -> None:
        self._handlers[name] = handler

    def attach(self, app: web.Application) -> None:
        app.router.add_route("*", self.path, self._handle)

        async def on_shutdown(_: web.Application) -> None:
            await self.shutdown()

        app.on_shutdown.append(on_shutdown)

    def stats(self) -> dict[str, int]:
        return {"clients": len(self._clients), "cut_off": self._cut_off,
                "heartbeat_timeouts": self._heartbeat_timeouts,
                "connect_timeouts": self._connect_timeouts,
                "unreadable_dropped": self._unreadable_dropped,
                "websockets_taken": self._taken, "reading_paused": self._sheddings}

    def _count_cut_off(self) -> None:
        self._cut_off += 1

    # Rooms and emits

    def enter_room(self, sid: str, room: str) -> None:
        socket = self._sockets.get(sid)
        if socket is not None and room not in socket.rooms:
            socket.rooms.append(room)
            self._rooms.join(socket.namespace, room, sid, socket)

    def emit(self, event: str, data: Any, *, namespace: str, room: str,
             skip_sid: str | None = None) -> None:
        """To the room's members here and, once on a bus, on every other node; the
        packet is encoded once for both."""
        members = tuple(self._rooms.members(namespace, room))
        publish = self._publish
        if publish is None and (not members or (len(members) == 1
                                                and members[0].sid == skip_sid)):
            return  # no one to write to: the sender's own room, most often, is not encoded
        payload = self._codec.encode(EVENT, namespace, [event, data])
        binary = self._binary
        for socket in members:
            if socket.sid != skip_sid:
                socket.client.send(payload, binary)
        if publish is not None:
            publish(BusPacket(Target.ROOM, namespace, room, payload, skip_sid))

    def emit_to(self, sid: str, event: str, data: Any, *, namespace: str) -> None:
        """To one socket of ``namespace``: here, or on the node whose tag its sid bears
        (through the bus). A sid of this node's that is not here any more is gone."""
        socket = self._sockets.get(sid)
        if socket is not None:
            if socket.namespace == namespace:
                self._send(socket.client, EVENT, namespace, [event, data])
            return
        publish = self._publish
        if publish is None or sid.startswith(self._sid_prefix) or not is_tagged(sid):
            return
        publish(BusPacket(Target.CLIENT, namespace, sid,
                          self._codec.encode(EVENT, namespace, [event, data])))

    def send_event(self, sid: str, event: str, data: Any) -> None:
        socket = self._sockets.get(sid)
        if socket is not None:
            self._send(socket.client, EVENT, socket.namespace, [event, data])

    # Other nodes

    def join_bus(self, bus: Bus) -> Receiver:
        """Share rooms and sids with the other nodes on ``bus``; returns what the bus is
        to hand their packets to. Call it before clients connect: the sids minted from
        then on bear this node's tag (``node_sids.py``). A node alone does not join,
        and its emits cost one test more."""
        self._publish = bus.publish
        self._sid_prefix = sid_prefix(bus.node_id)
        return self.receive_from_bus

    def receive_from_bus(self, packet: BusPacket) -> None:
        """Another node's emit: written to this node's members of the room, or to the
        client if its sid is this node's (the other nodes' clients are dropped at the
        cost of a prefix test). Every node runs the same serializer, so the frame is
        written with this server's own opcode."""
        frame = packet.frame if isinstance(packet.frame, bytes) else packet.frame.encode()
        binary = self._binary
        if packet.target == Target.ROOM:
            skip_sid = packet.skip_sid
            for member in tuple(self._rooms.members(packet.namespace, packet.address)):
                if member.sid != skip_sid:
                    member.client.send(frame, binary)
            return
        if not packet.address.startswith(self._sid_prefix):
            return
        socket = self._sockets.get(packet.address)
        if socket is not None and socket.namespace == packet.namespace:
            socket.client.send(frame, binary)

    async def disconnect_socket(self, sid: str, reason: str) -> None:
        """End one namespace socket from the server side: the client gets a DISCONNECT
        packet (Socket.IO clients do not reconnect by themselves after it) and the
        namespace handler is told once, as for any other departure."""
        socket = self._sockets.get(sid)
        if socket is not None:
            self._send(socket.client, DISCONNECT, socket.namespace)
            await self._leave(socket.client, socket.namespace, reason)

    def _send(self, client: ClientConnection, kind: int, namespace: str, data: Any = None,
              ack_id: int | None = None) -> None:
        client.send(self._codec.encode(kind, namespace, data, ack_id), self._binary)

    # Connections

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        if request.query.get("transport") == "polling":
            return await self._polling.handle(request)
        sid = request.query.get("sid")
        if sid is None:
            return await self._serve_websocket(request)
        return await self._upgrade(request, sid)

    async def _serve_websocket(self, request: web.Request) -> web.StreamResponse:
        ws, transport = await self._accept_websocket(request)
        if transport is None:
            return ws
        client = self._open_websocket_client(self._websocket_link(ws, transport),
                                             request.remote or "unknown",
                                             request.headers.get("Cookie"))
        try:
            await self._read(client, ws)
        finally:
            await self.drop(client)
        return ws

    async def _upgrade(self, request: web.Request, sid: str) -> web.StreamResponse:
        """A long-polling client moving to a WebSocket: ``2probe`` / ``3probe``, the
        waiting GET released with a no-op, then ``5`` switches its packets over."""
        client = self._polling.session(sid)
        if client is None:
            return engine_error(400, 1, "Session ID unknown")
        ws, transport = await self._accept_websocket(request)
        if transport is None or not isinstance(client.link, PollingLink):
            await ws.close()  # the session has upgraded already: this one is not needed
            return ws
        polling = client.link
        try:
            probe = await ws.receive(timeout=self._ping_timeout_s)
            if probe.type is not WSMsgType.TEXT or probe.data != ENGINE_PING + PROBE:
                await ws.close()
                return ws
            await ws.send_str(ENGINE_PONG + PROBE)
            polling.release_poll()
            upgrade = await ws.receive(timeout=self._ping_timeout_s)
        except (TimeoutError, ConnectionError):  # too slow, or reset by the client
            await ws.close()
            return ws
        if upgrade.type is not WSMsgType.TEXT or upgrade.data != ENGINE_UPGRADE \
                or client not in self._clients:
            await ws.close()  # no upgrade, or the polling session ended meanwhile
            return ws
        self._switch(client, polling, self._websocket_link(ws, transport))
        try:
            await self._read(client, ws)
        finally:
            await self.drop(client)
        return ws

    async def _accept_websocket(self, request: web.Request
                                ) -> tuple[web.WebSocketResponse, asyncio.Transport | None]:
        ws = web.WebSocketResponse(compress=False, max_msg_size=self._max_message_bytes,
                                   timeout=2.0, autoping=False)
        await ws.prepare(request)
        transport = request.transport
        return ws, transport

    def _websocket_link(self, ws: web.WebSocketResponse,
                        transport: asyncio.Transport) -> WebSocketLink:
        return WebSocketLink(transport, self._outbox, self._max_buffered_bytes,
                             self._count_cut_off, aiohttp_closing_handshake(ws))

    def _open_websocket_client(self, link: WebSocketLink, remote: str,
                               cookie: str | None = None) -> ClientConnection:
        client = ClientConnection(link, remote, self._next_ping_at(), self._connect_deadline(),
                                  cookie=cookie)
        self._clients.add(client)
        self._start_heartbeat()
        client.send(open_payload(_new_sid(), [], self._ping_interval_s, self._ping_timeout_s,
                                 self._max_message_bytes), False)
        return client

    def take_websocket(self, transport: asyncio.Transport, head: RequestHead,
                       rest: bytes) -> bool:
        """Serve a WebSocket whose opening the front door read (``front_door.py``): a new
        session, or a long-polling one upgrading. Only an opening that passes every
        check is taken; anything else (a refusal to answer, an unknown session) is left
        to aiohttp and ``_handle``."""
        if head.path != self.path or head.query.get("transport") != "websocket":
            return False
        scheme = "https" if transport.get_extra_info("sslcontext") is not None else "http"
        if self._refusal_of(head.query, head.header("origin"), head.header("host"), scheme,
                            head.header("upgrade")) is not None:
            return False
        key = websocket_key(head)
        sid = head.query.get("sid")
        upgrading = None if sid is None else self._polling.session(sid)
        if key is None or (sid is not None and upgrading is None):
            return False
        transport.write(switching_protocols(key))
        if upgrading is not None and not isinstance(upgrading.link, PollingLink):
            close_frame_then_transport(transport)(NORMAL_CLOSURE)  # upgraded already
            return True
        self._taken += 1
        if upgrading is None:
            client = self._open_websocket_client(self._owned_link(transport), head.remote,
                                                 head.header("cookie"))
        else:
            client = upgrading
        connection = WebSocketConnection(self, transport, client, self._max_message_bytes,
                                         upgrade_within_s=None if upgrading is None
                                         else self._ping_timeout_s,
                                         max_buffered_bytes=self._max_buffered_bytes,
                                         on_cut_off=self._count_cut_off)
        self._owned.add(connection)
        transport.set_protocol(connection)
        if self._shedding:
            connection.throttle(True)
        if rest:
            connection.data_received(rest)
        return True

    def shed_load(self, shedding: bool) -> None:
        """While ``shedding``, WebSockets the server owns are not read: clients' packets
        wait in the network (their sends slow down) instead of in the gateway's queues,
        and the gateway goes on relaying at the rate it can make records durable."""
        if shedding == self._shedding:
            return
        self._shedding = shedding
        if shedding:
            self._sheddings += 1
        else:
            self._allow_pongs_read_late()
        for connection in self._owned:
            connection.throttle(shedding)

    def _allow_pongs_read_late(self) -> None:
        """Pongs that arrived while the server was not reading get a full timeout to be
        read now."""
        deadline = asyncio.get_running_loop().time() + self._ping_timeout_s
        for client in self._clients:
            if client.pong_deadline is not None and client.pong_deadline < deadline:
                client.pong_deadline = deadline

    def closed(self, connection: WebSocketConnection) -> None:
        self._owned.discard(connection)

    def _owned_link(self, transport: asyncio.Transport) -> WebSocketLink:
        return WebSocketLink(transport, self._outbox, self._max_buffered_bytes,
                             self._count_cut_off, close_frame_then_transport(transport))

    def probed(self, client: ClientConnection) -> None:
        """The upgrade probe was answered: the client's waiting GET ends with a no-op."""
        if isinstance(client.link, PollingLink):
            client.link.release_poll()

    def upgraded(self, client: ClientConnection, transport: asyncio.Transport) -> bool:
        """The client switches to the WebSocket on ``transport``; False if its
        long-polling session ended meanwhile."""
        polling = client.link
        if client not in self._clients or not isinstance(polling, PollingLink):
            return False
        self._switch(client, polling, self._owned_link(transport))
        return True

    def _switch(self, client: ClientConnection, polling: PollingLink,
                link: WebSocketLink) -> None:
        """Packets queued for the next GET go out on the WebSocket, ahead of new ones.
        The session stays known by its id, so that requests still naming it are told
        it is no longer on long-polling."""
        client.link = link
        for payload, binary in polling.take_queued():
            client.send(payload, binary)
        polling.retire()

    def lost(self, client: ClientConnection) -> None:
        """A WebSocket the server owns closed."""
        self._drop_soon(client)

    def open_polling_client(self, remote: str, sid: str,
                            cookie: str | None = None) -> ClientConnection:
        """A new long-polling session (called by the polling endpoint)."""
        link = PollingLink(self._outbox, self._max_buffered_bytes, self._count_cut_off,
                           lambda: self._drop_soon(client))
        client = ClientConnection(link, remote, self._next_ping_at(), self._connect_deadline(),
                                  sid, cookie)
        self._clients.add(client)
        self._start_heartbeat()
        client.send(open_payload(sid, ["websocket"], self._ping_interval_s,
                                 self._ping_timeout_s, self._max_message_bytes), False)
        self._ping_on_time(client)
        return client

    def _next_ping_at(self) -> float:
        return asyncio.get_running_loop().time() + self._ping_interval_s

    def _ping_on_time(self, client: ClientConnection) -> None:
        """A long-polling client is pinged when due, not at the heartbeat's next tick: it
        sees ping and timeout request by request. (Few clients stay on long-polling;
        WebSockets are pinged by the heartbeat, without a timer each.)"""
        asyncio.get_running_loop().call_at(client.next_ping_at, self._ping_if_due, client,
                                           client.next_ping_at)

    def _ping_if_due(self, client: ClientConnection, due: float) -> None:
        if client in self._clients and isinstance(client.link, PollingLink) \
                and client.pong_deadline is None and client.next_ping_at == due:
            self._ping(client)

    def _ping(self, client: ClientConnection) -> None:
        client.send(PING_PACKET, False)
        client.pong_deadline = client.next_ping_at + self._ping_timeout_s

    def _connect_deadline(self) -> float:
        return asyncio.get_running_loop().time() + self._connect_timeout_s

    def _drop_soon(self, client: ClientConnection) -> None:
        """In a task: disconnect handlers may drive other libraries (WebRTC peers)."""
        task = asyncio.get_running_loop().create_task(self.drop(client))
        self._dropping.add(task)
        task.add_done_callback(self._dropping.discard)

    async def drop(self, client: ClientConnection) -> None:
        """The client is gone: leave its namespaces (each handler is told once)."""
        self._clients.discard(client)
        if client.sid is not None:
            self._polling.forget(client.sid)
        for namespace in list(client.namespaces):
            await self._leave(client, namespace, "transport close")

    async def _read(self, client: ClientConnection, ws: web.WebSocketResponse) -> None:
        """Until the WebSocket closes or the client resets it; ``receive`` directly, one
        coroutine less per idle connection than ``async for``, and no finished coroutine
        kept between messages."""
        try:
            await self._read_messages(client, ws)
        except ConnectionError:
            log.debug("client reset its WebSocket")

    async def _read_messages(self, client: ClientConnection,
                             ws: web.WebSocketResponse) -> None:
        while True:
            message = await ws.receive()
            if message.type in _CLOSED:
                return
            if message.type is WSMsgType.TEXT:
                pending = self.receive_text(client, message.data)
            elif message.type is WSMsgType.BINARY:
                pending = self.receive_binary(client, message.data)
            else:
                if message.type is WSMsgType.PING and isinstance(client.link, WebSocketLink):
                    client.link.pong(message.data)
                continue
            if pending is not None:
                await pending
                pending = None

    def _refusal(self, request: web.Request) -> web.Response | None:
        return self._refusal_of(request.query, request.headers.get("Origin"), request.host,
                                request.scheme, request.headers.get("Upgrade"))

    def _refusal_of(self, query: Mapping[str, str], origin: str | None, host: str | None,
                    scheme: str, upgrade: str | None) -> web.Response | None:
        if not self._accepting:
            return engine_error(503, 3, "Server shutting down")
        if query.get("EIO") != "4":
            return engine_error(400, 5, "Unsupported protocol version")
        transport = query.get("transport")
        if transport not in ("websocket", "polling"):
            return engine_error(400, 0, "Transport unknown")
        if origin is not None and not self._origins(origin, host, scheme):
            return engine_error(403, 4, "Forbidden")
        if transport == "websocket" and (upgrade or "").lower() != "websocket":
            return engine_error(400, 3, "Bad request")
        return None

    def receive_text(self, client: ClientConnection, text: str) -> Awaitable[None] | None:
        """One Engine.IO text packet, from either transport."""
        kind = text[:1]
        if kind == ENGINE_MESSAGE:
            if not self._binary:
                return self._on_packet(client, text[1:])
        elif kind == ENGINE_PONG:
            client.pong_deadline = None
            client.next_ping_at = self._next_ping_at()
            if isinstance(client.link, PollingLink):
                self._ping_on_time(client)
        elif kind == ENGINE_PING:
            client.send((ENGINE_PONG + text[1:]).encode(), False)
        elif kind == ENGINE_CLOSE:
            client.link.closed_by_client()
        return None

    def receive_binary(self, client: ClientConnection, data: bytes) -> Awaitable[None] | None:
        """One binary message: a msgpack packet, or an attachment being dropped."""
        if client.skip_binary:
            client.skip_binary -= 1
        elif self._binary:
            return self._on_packet(client, data)
        return None

    def _on_packet(self, client: ClientConnection, raw: str | bytes) -> Awaitable[None] | None:
        try:
            packet = self._codec.decode(raw)
        except MalformedPacket as bad:
            if bad.kind == CONNECT and bad.namespace is not None:
                self._refuse_connect(client, bad.namespace, BAD_AUTH)
            else:
                self._refuse(client, bad.namespace, bad.ack_id, str(bad))
            return None
        if packet.kind == EVENT:
            self._on_event(client, packet)
        elif packet.kind == CONNECT:
            return self._connect(client, packet)
        elif packet.kind == DISCONNECT:
            return self._leave(client, packet.namespace, "client namespace disconnect")
        elif packet.kind == BINARY_EVENT:
            client.skip_binary += packet.attachments
            self._refuse(client, packet.namespace, packet.ack_id,
                         "binary attachments are not accepted")
        return None

    def _on_event(self, client: ClientConnection, packet: Packet) -> None:
        socket = client.namespaces.get(packet.namespace)
        if socket is None:
            return
        data = packet.data
        if not isinstance(data, list) or not data:
            self._refuse(client, packet.namespace, packet.ack_id,
                         "an event is a list: [name, ...arguments]")
            return
        handler = self._handlers[socket.namespace]
        start_eagerly(self._answer(socket, handler, data[0], tuple(data[1:]), packet.ack_id))

    async def _answer(self, socket: NamespaceSocket, handler: NamespaceHandler,
                      event: object, args: tuple[Any, ...], ack_id: int | None) -> None:
        try:
            result = await handler.event(event, socket.sid, args)
        except Exception:
            log.exception("event handler failed", extra={"namespace": socket.namespace})
            return
        if ack_id is not None:
            self._send(socket.client, ACK, socket.namespace, [result], ack_id)

    def _refuse(self, client: ClientConnection, namespace: str | None, ack_id: int | None,
                reason: str) -> None:
        """An unreadable packet is answered when it asked for an answer, else dropped."""
        socket = client.namespaces.get(namespace) if namespace is not None else None
        if socket is None or ack_id is None:
            self._unreadable_dropped += 1
            log.info("unreadable packet dropped", extra={"reason": reason})
            return
        answer = self._handlers[socket.namespace].malformed(socket.sid, reason)
        self._send(client, ACK, socket.namespace, [answer], ack_id)

    def _refuse_connect(self, client: ClientConnection, namespace: str, reason: str) -> None:
        """A CONNECT that cannot be read gets a CONNECT_ERROR shaped like the namespaces'
        own refusals."""
        if namespace not in self._handlers:
            self._send(client, CONNECT_ERROR, namespace, {"message": "Invalid namespace"})
            return
        log.info("connect refused: unreadable auth", extra={"namespace": namespace})
        self._send(client, CONNECT_ERROR, namespace, {
            "message": reason, "code": "bad_request",
            "data": {"code": "bad_request", "message": reason}})

    async def _connect(self, client: ClientConnection, packet: Packet) -> None:
        name = packet.namespace
        handler = self._handlers.get(name)
        if handler is None:
            self._send(client, CONNECT_ERROR, name, {"message": "Invalid namespace"})
            return
        if packet.data is not None and not isinstance(packet.data, dict):
            self._refuse_connect(client, name, BAD_AUTH)
            return
        if name in client.namespaces:
            self._send(client, CONNECT, name, {"sid": client.namespaces[name].sid})
            return
        socket = NamespaceSocket(new_sid(self._sid_prefix), name, client)
        client.namespaces[name] = socket
        self._sockets[socket.sid] = socket
        try:
            greeting = await handler.connect(socket.sid, ClientInfo(client.remote, client.cookie),
                                                  packet.data)
        except ConnectRefused as refused:
            self._forget(socket)
            self._send(client, CONNECT_ERROR, name, refused.payload)
            return
        except Exception:
            log.exception("connect handler failed", extra={"namespace": name})
            self._forget(socket)
            self._send(client, CONNECT_ERROR, name, {"message": "internal error"})
            return
        client.connect_deadline = None
        self._send(client, CONNECT, name, {"sid": socket.sid})
        if greeting is not None:
            self.send_event(socket.sid, *greeting)

    async def _leave(self, client: ClientConnection, namespace: str, reason: str) -> None:
        socket = client.namespaces.get(namespace)
        if socket is None:
            return
        self._forget(socket)
        try:
            await self._handlers[namespace].disconnect(socket.sid, reason)
        except Exception:
            log.exception("disconnect handler failed", extra={"namespace": namespace})

    def _forget(self, socket: NamespaceSocket) -> None:
        socket.client.namespaces.pop(socket.namespace, None)
        self._sockets.pop(socket.sid, None)
        self._rooms.leave_all(socket.namespace, socket.rooms, socket.sid)
        socket.rooms.clear()

    # Heartbeat and shutdown

    def _start_heartbeat(self) -> None:
        if self._heartbeat is None:
            self._heartbeat = asyncio.get_running_loop().create_task(self._beat())

    async def _beat(self) -> None:
        """Ping every client each interval; cut off those that miss the pong deadline
        (not while shedding load: their pongs are waiting to be read), and those that
        have connected to no namespace in time. A ping goes out up to a tick late, so a
        tick is a tenth of the timeout at most: the client keeps nine tenths of it."""
        loop = asyncio.get_running_loop()
        tick = min(1.0, self._ping_interval_s / 4, self._ping_timeout_s / 10)
        while True:
            await asyncio.sleep(tick)
            now = loop.time()
            for client in list(self._clients):
                if self.timed_out(client, now):
                    continue
                if client.pong_deadline is None and now >= client.next_ping_at:
                    self._ping(client)
                if client.connect_deadline is not None and now > client.connect_deadline \
                        and not client.namespaces:
                    self._connect_timeouts += 1
                    client.connect_deadline = None  # counted once
                    log.info("client closed: connected to no namespace in time")
                    client.close_soon(NORMAL_CLOSURE)

    def timed_out(self, client: ClientConnection, now: float | None = None) -> bool:
        """Cut off ``client`` if its pong is overdue: due ``ping_timeout_s`` after the
        ping was due, however late the heartbeat's tick sent it, so that a long-polling
        request made after that finds the session closed."""
        if self._shedding:
            return False
        if now is None:
            now = asyncio.get_running_loop().time()
        deadline = client.pong_deadline
        if deadline is None:
            deadline = client.next_ping_at + self._ping_timeout_s
        if now <= deadline:
            return False
        self._heartbeat_timeouts += 1
        client.pong_deadline = math.inf  # counted once, whoever asks again before it is gone
        client.abort()
        return True

    async def shutdown(self) -> None:
        """Refuse new clients and close every WebSocket as "going away", so clients
        reconnect (to this server once restarted, or to another one)."""
        self._accepting = False
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            self._heartbeat = None
        for client in list(self._clients):
            client.close_soon(GOING_AWAY)
        await closing_handshakes()


def _new_sid() -> str:
    return secrets.token_urlsafe(15)
