"""How a client's packets travel: a WebSocket, or HTTP long-polling until it upgrades.

The server hands a link each packet's payload once; the link frames it its own way.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from aiohttp import web

from rtc_gateway.realtime.frames import BINARY, PONG, TEXT, close_frame, websocket_frame
from rtc_gateway.realtime.outbox import Outbox
from rtc_gateway.realtime.packets import ENGINE_CLOSE, ENGINE_NOOP

log = logging.getLogger(__name__)

NOOP_PACKET = ENGINE_NOOP.encode()
CLOSE_PACKET = ENGINE_CLOSE.encode()
POLLING_SEPARATOR = b"\x1e"


class Link(Protocol):
    def send(self, payload: bytes, binary: bool) -> None: ...

    def abort(self) -> None:
        """Drop the client at once."""

    def close_soon(self, code: int) -> None:
        """Close politely; the client may reconnect."""

    def closed_by_client(self) -> None:
        """The client sent an Engine.IO close packet."""


class WebSocketLink:
    """Gathers a client's frames and writes them to the transport once per loop turn; a
    reader that falls too far behind is cut off rather than buffered without bound (it
    reconnects and resumes). ``close`` ends the WebSocket with a status code, after the
    frames already sent: aiohttp's closing handshake, or a close frame written here for
    a connection the realtime server owns (:func:`close_frame_then_transport`)."""

    __slots__ = ("_close", "_closing", "_max_buffered", "_on_cut_off", "_outbox", "_pending",
                 "_transport")

    def __init__(self, transport: asyncio.Transport, outbox: Outbox, max_buffered: int,
                 on_cut_off: Callable[[], None], close: Callable[[int], None]) -> None:
        self._transport = transport
        self._outbox = outbox
        self._pending: list[bytes] | None = None
        self._max_buffered = max_buffered
        self._on_cut_off = on_cut_off
        self._close = close
        self._closing = False

    def send(self, payload: bytes, binary: bool) -> None:
        frame = websocket_frame(payload, BINARY if binary else TEXT)
        if self._pending is None:
            self._pending = [frame]
            self._outbox.flush_soon(self._flush)
        else:
            self._pending.append(frame)

    def pong(self, payload: bytes) -> None:
        """Answer a ping aiohttp read (it does not answer them itself here, so that its
        pongs count against the unread-output limit like every other frame)."""
        transport = self._transport
        if self._closing or transport.is_closing():
            return
        transport.write(websocket_frame(payload, PONG))
        self._cut_off_if_behind()

    def _flush(self) -> None:
        pending, self._pending = self._pending, None
        transport = self._transport
        if pending is None or self._closing or transport.is_closing():
            return
        transport.write(pending[0] if len(pending) == 1 else b"".join(pending))
        self._cut_off_if_behind()

    def _cut_off_if_behind(self) -> None:
        if self._transport.get_write_buffer_size() > self._max_buffered:
            log.warning("client cut off: too much unread output")
            self._on_cut_off()
            self.abort()

    def abort(self) -> None:
        """The reader sees the connection closed and cleans up."""
        self._closing = True
        self._transport.abort()

    def close_soon(self, code: int) -> None:
        if self._closing:
            return
        self._flush()
        self._closing = True
        self._close(code)

    def closed_by_client(self) -> None:
        self.close_soon(1000)


def close_frame_then_transport(transport: asyncio.Transport) -> Callable[[int], None]:
    def close(code: int) -> None:
        if not transport.is_closing():
            transport.write(close_frame(code))
            transport.close()

    return close


def aiohttp_closing_handshake(ws: web.WebSocketResponse) -> Callable[[int], None]:
    def close(code: int) -> None:
        _spawn(ws.close(code=code))

    return close


class PollingLink:
    """Packets wait in a queue for the client's next GET, which takes them all at once
    (Engine.IO v4 payload: packets separated by 0x1E, binary ones as ``b`` + base64).
    A link the server closes answers the waiting GET with a close packet, one the client
    closes with a no-op (the client knows it is closed). A client that stops
    polling while packets pile up is cut off like a WebSocket reader that falls behind."""

    __slots__ = ("_closed", "_max_buffered", "_noop_due", "_on_closed", "_on_cut_off",
                 "_outbox", "_queue", "_queued_bytes", "_scheduled", "_waiter")

    def __init__(self, outbox: Outbox, max_buffered: int, on_cut_off: Callable[[], None],
                 on_closed: Callable[[], None]) -> None:
        self._outbox = outbox
        self._max_buffered = max_buffered
        self._on_cut_off = on_cut_off
        self._on_closed = on_closed
        self._queue: list[tuple[bytes, bool]] = []
        self._queued_bytes = 0
        self._waiter: asyncio.Future[bytes] | None = None
        self._scheduled = False
        self._closed = False
        self._noop_due = False

    @property
    def polling(self) -> bool:
        """A GET is waiting."""
        return self._waiter is not None

    @property
    def closed(self) -> bool:
        return self._closed

    def send(self, payload: bytes, binary: bool) -> None:
        if self._closed:
            return
        self._queue.append((payload, binary))
        self._queued_bytes += len(payload)
        if self._queued_bytes > self._max_buffered:
            log.warning("client cut off: too much unread output")
            self._on_cut_off()
            self.abort()
            return
        if self._waiter is not None and not self._scheduled:
            self._scheduled = True
            self._outbox.flush_soon(self._release)

    async def poll(self) -> bytes:
        """The queued packets, waiting for one if there is none yet."""
        if self._waiter is not None:
            raise RuntimeError("a GET is already waiting")
        if self._queue or self._closed:
            return self._drain()
        if self._noop_due:
            self._noop_due = False
            return NOOP_PACKET
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            return await self._waiter
        finally:
            self._waiter = None

    def take_queued(self) -> list[tuple[bytes, bool]]:
        """What is still queued, for the WebSocket this client upgrades to."""
        queued, self._queue = self._queue, []
        self._queued_bytes = 0
        return queued

    def release_poll(self) -> None:
        """The client is upgrading: the waiting GET, or else the next one, ends with a
        no-op. It is not queued, so it never follows the client to its WebSocket."""
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(NOOP_PACKET)
        else:
            self._noop_due = True

    def retire(self) -> None:
        """The client moved to a WebSocket: a waiting GET ends with a no-op."""
        self._closed = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(NOOP_PACKET)

    def abort(self) -> None:
        self._end(CLOSE_PACKET)

    def close_soon(self, code: int) -> None:
        self.abort()

    def closed_by_client(self) -> None:
        self._end(NOOP_PACKET)

    def _end(self, answer: bytes) -> None:
        """Closed: the waiting GET, if any, gets ``answer``."""
        if self._closed:
            return
        self._closed = True
        self._queue.clear()
        self._queued_bytes = 0
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(answer)
        self._on_closed()

    def _release(self) -> None:
        self._scheduled = False
        if self._waiter is not None and not self._waiter.done() and self._queue:
            self._waiter.set_result(self._drain())

    def _drain(self) -> bytes:
        if self._closed and not self._queue:
            return CLOSE_PACKET
        queued, self._queue = self._queue, []
        self._queued_bytes = 0
        return POLLING_SEPARATOR.join(
            b"b" + base64.b64encode(payload) if binary else payload
            for payload, binary in queued)


_closing: set[asyncio.Task[bool]] = set()


async def closing_handshakes() -> None:
    """Until the closing handshakes started on aiohttp's WebSockets have ended."""
    await asyncio.gather(*_closing, return_exceptions=True)


def _spawn(closing: Coroutine[Any, Any, bool]) -> None:
    task = asyncio.get_running_loop().create_task(closing)
    _closing.add(task)
    task.add_done_callback(_closing.discard)
