"""A client's WebSocket once the front door has answered its handshake.

It owns the connection outright: no HTTP request, handler task or reader queue stays
behind it, which is most of what an idle connection used to cost. Each message is
handed to the server in the turn that read it; a packet whose handling waits (a
namespace CONNECT) holds the messages read after it, and reading pauses, until it is
done, so a client's packets are handled in the order it sent them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Protocol

from rtc_gateway.realtime.connection import ClientConnection
from rtc_gateway.realtime.frame_reader import FrameReader, Message, ProtocolViolation
from rtc_gateway.realtime.frames import BINARY, CLOSE, PING, PONG, TEXT, close_code, websocket_frame

log = logging.getLogger(__name__)

NORMAL_CLOSURE = 1000
INVALID_DATA = 1007


class MessageHost(Protocol):
    def receive_text(self, client: ClientConnection, text: str) -> Awaitable[None] | None: ...

    def receive_binary(self, client: ClientConnection,
                       data: bytes) -> Awaitable[None] | None: ...

    def lost(self, client: ClientConnection) -> None:
        """The connection is gone; the client leaves its namespaces."""


class WebSocketConnection(asyncio.Protocol):
    __slots__ = ("_client", "_closed", "_held", "_host", "_reader", "_transport", "_waiting")

    def __init__(self, host: MessageHost, transport: asyncio.Transport,
                 client: ClientConnection, max_message_bytes: int) -> None:
        self._host = host
        self._transport = transport
        self._client = client
        self._reader = FrameReader(max_message_bytes)
        self._held: list[Message] = []
        self._waiting: asyncio.Future[None] | None = None
        self._closed = False

    def data_received(self, data: bytes) -> None:
        if self._closed:
            return
        try:
            messages = self._reader.feed(data)
        except ProtocolViolation as violation:
            log.info("websocket protocol violation", extra={"reason": str(violation)})
            self._close(violation.code)
            return
        if self._waiting is not None:
            self._held.extend(messages)
        else:
            self._deliver(messages)

    def eof_received(self) -> bool | None:
        return None  # the transport closes; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._held = []
        self._host.lost(self._client)

    def _deliver(self, messages: list[Message]) -> None:
        for position, (opcode, payload) in enumerate(messages):
            if self._closed:
                return
            pending = self._receive(opcode, payload)
            if pending is not None:
                self._hold(pending, messages[position + 1:])
                return

    def _receive(self, opcode: int, payload: bytes) -> Awaitable[None] | None:
        if opcode == TEXT:
            try:
                text = payload.decode("utf-8")
            except UnicodeDecodeError:
                self._close(INVALID_DATA)
                return None
            return self._host.receive_text(self._client, text)
        if opcode == BINARY:
            return self._host.receive_binary(self._client, payload)
        if opcode == PING:
            self._transport.write(websocket_frame(payload, PONG))
        elif opcode == CLOSE:
            self._close(close_code(payload) or NORMAL_CLOSURE)
        return None

    def _hold(self, pending: Awaitable[None], rest: list[Message]) -> None:
        self._held = rest
        self._transport.pause_reading()
        waiting = asyncio.ensure_future(pending)
        self._waiting = waiting
        waiting.add_done_callback(self._resume)

    def _resume(self, done: asyncio.Future[None]) -> None:
        self._waiting = None
        if not done.cancelled() and done.exception() is not None:
            log.error("packet handling failed", exc_info=done.exception())
        held, self._held = self._held, []
        if self._closed:
            return
        self._transport.resume_reading()
        self._deliver(held)

    def _close(self, code: int) -> None:
        self._closed = True
        self._client.close_soon(code)
