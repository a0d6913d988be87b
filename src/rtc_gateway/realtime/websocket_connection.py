"""A client's WebSocket once the front door has answered its handshake.

It owns the connection outright: no HTTP request, handler task or reader queue stays
behind it, which is most of what an idle connection used to cost. Each message is
handed to the server in the turn that read it; a packet whose handling waits (a
namespace CONNECT) holds the messages read after it, and reading pauses, until it is
done, so a client's packets are handled in the order it sent them.

A long-polling client upgrading first proves the WebSocket works (``2probe`` answered
with ``3probe``, its waiting GET released), then switches with ``5``. Until then its
session stays on long-polling, and a failed or abandoned upgrade only closes this
WebSocket.

Every byte the server writes counts against the unread-output limit, the pongs and close
frames of this layer included; the pongs a batch of pings asks for leave in one write
(a client streaming pings gets every one answered, not a write per ping).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from rtc_gateway.realtime.connection import ClientConnection
from rtc_gateway.realtime.frame_reader import (
    INVALID_DATA,
    NORMAL_CLOSURE,
    FrameReader,
    Message,
    close_answer,
)
from rtc_gateway.realtime.frames import BINARY, CLOSE, PING, PONG, TEXT, websocket_frame
from rtc_gateway.realtime.links import close_frame_then_transport

log = logging.getLogger(__name__)


class MessageHost(Protocol):
    def receive_text(self, client: ClientConnection, text: str) -> Awaitable[None] | None: ...

    def receive_binary(self, client: ClientConnection,
                       data: bytes) -> Awaitable[None] | None: ...

    def lost(self, client: ClientConnection) -> None:
        """The connection is gone; the client leaves its namespaces."""

    def closed(self, connection: WebSocketConnection) -> None:
        """The connection is gone, whatever it carried."""

    def probed(self, client: ClientConnection) -> None:
        """An upgrading client's probe was answered."""

    def upgraded(self, client: ClientConnection, transport: asyncio.Transport) -> bool:
        """The upgrading client switches to this WebSocket (False: it cannot)."""


_protocol_errors = 0
_PROTOCOL_ERRORS = frozenset({1002, 1007, 1009})


def protocol_errors() -> int:
    """WebSockets closed in this process for breaking RFC 6455 or a frame limit."""
    return _protocol_errors


_NOT_UPGRADING, _AWAITING_PROBE, _AWAITING_UPGRADE = 0, 1, 2
_PROBE = b"2probe"
_PROBE_ANSWER = websocket_frame(b"3probe", TEXT)
_UPGRADE = b"5"


class WebSocketConnection(asyncio.Protocol):
    __slots__ = ("_client", "_closed", "_deadline", "_held", "_host", "_max_buffered",
                 "_on_cut_off", "_pongs", "_reader", "_throttled", "_transport", "_upgrade",
                 "_waiting")

    def __init__(self, host: MessageHost, transport: asyncio.Transport,
                 client: ClientConnection, max_message_bytes: int,
                 upgrade_within_s: float | None = None, *,
                 max_buffered_bytes: int = 4 * 1024 * 1024,
                 on_cut_off: Callable[[], None] = lambda: None) -> None:
        """``upgrade_within_s``: ``client`` is on long-polling and upgrades to this
        WebSocket, in that time or not at all."""
        self._host = host
        self._max_buffered = max_buffered_bytes
        self._on_cut_off = on_cut_off
        self._pongs: list[bytes] = []
        self._transport = transport
        self._client = client
        self._reader = FrameReader(max_message_bytes)
        self._held: list[Message] = []
        self._waiting: asyncio.Future[None] | None = None
        self._closed = False
        self._throttled = False
        self._upgrade = _NOT_UPGRADING if upgrade_within_s is None else _AWAITING_PROBE
        self._deadline = None if upgrade_within_s is None else \
            asyncio.get_running_loop().call_later(upgrade_within_s, self._upgrade_too_late)

    def data_received(self, data: bytes) -> None:
        if self._closed:
            return
        messages = self._reader.feed(data)
        if self._waiting is not None:
            self._held.extend(messages)
        else:
            self._deliver(messages)
        self._send_pongs()
        violation = self._reader.violation
        if violation is not None and not self._closed:
            log.info("websocket protocol violation",
                     extra={"reason": str(violation), "code": violation.code})
            self._close(violation.code)

    def eof_received(self) -> bool | None:
        return None  # the transport closes; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._held = []
        if self._deadline is not None:
            self._deadline.cancel()
        self._host.closed(self)
        if self._upgrade == _NOT_UPGRADING:
            self._host.lost(self._client)

    def throttle(self, throttled: bool) -> None:
        """Stop reading while the server sheds load, and read again after."""
        self._throttled = throttled
        self._read_when_free()

    def _read_when_free(self) -> None:
        """Read unless a packet is being handled or the server is shedding load."""
        if self._closed:
            return
        if self._throttled or self._waiting is not None:
            self._transport.pause_reading()
        else:
            self._transport.resume_reading()

    def _deliver(self, messages: list[Message]) -> None:
        for position, (opcode, payload) in enumerate(messages):
            if self._closed:
                return
            pending = self._receive(opcode, payload)
            if pending is not None:
                self._hold(pending, messages[position + 1:])
                return

    def _receive(self, opcode: int, payload: bytes) -> Awaitable[None] | None:
        if self._upgrade and opcode in (TEXT, BINARY):
            self._upgrade_step(payload if opcode == TEXT else None)
            return None
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
            self._pongs.append(websocket_frame(payload, PONG))
        elif opcode == CLOSE:
            self._close(close_answer(payload))
        return None

    def _send_pongs(self) -> None:
        pongs = self._pongs
        if not pongs or self._closed:
            pongs.clear()
            return
        self._pongs = []
        transport = self._transport
        transport.write(pongs[0] if len(pongs) == 1 else b"".join(pongs))
        if transport.get_write_buffer_size() > self._max_buffered:
            log.warning("client cut off: too much unread output")
            self._on_cut_off()
            self._closed = True
            if self._upgrade:
                transport.abort()
            else:
                self._client.abort()

    def _hold(self, pending: Awaitable[None], rest: list[Message]) -> None:
        self._held = rest
        waiting = asyncio.ensure_future(pending)
        self._waiting = waiting
        waiting.add_done_callback(self._resume)
        self._read_when_free()

    def _resume(self, done: asyncio.Future[None]) -> None:
        self._waiting = None
        if not done.cancelled() and done.exception() is not None:
            log.error("packet handling failed", exc_info=done.exception())
        held, self._held = self._held, []
        if self._closed:
            return
        self._read_when_free()
        self._deliver(held)
        self._send_pongs()

    def _upgrade_step(self, text: bytes | None) -> None:
        if self._upgrade == _AWAITING_PROBE and text == _PROBE:
            self._transport.write(_PROBE_ANSWER)
            self._host.probed(self._client)
            self._upgrade = _AWAITING_UPGRADE
        elif self._upgrade == _AWAITING_UPGRADE and text == _UPGRADE \
                and self._host.upgraded(self._client, self._transport):
            self._upgrade = _NOT_UPGRADING
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None
        else:
            self._close(NORMAL_CLOSURE)

    def _upgrade_too_late(self) -> None:
        self._deadline = None
        if self._upgrade and not self._closed:
            self._close(NORMAL_CLOSURE)

    def _close(self, code: int) -> None:
        """Only this WebSocket's client goes, and not one still on long-polling."""
        if code in _PROTOCOL_ERRORS:
            global _protocol_errors
            _protocol_errors += 1
        self._send_pongs()
        self._closed = True
        if self._upgrade:
            close_frame_then_transport(self._transport)(code)
        else:
            self._client.close_soon(code)
