"""One client WebSocket (an Engine.IO session) and its namespace sockets."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from rtc_gateway.realtime.outbox import Outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """What a namespace may know of the client at connect time."""

    remote: str


@dataclass(eq=False, slots=True)
class NamespaceSocket:
    """A client's connection to one namespace; ``sid`` is what handlers know it by."""

    sid: str
    namespace: str
    client: ClientConnection
    rooms: list[str] = field(default_factory=list)
    """A list, not a set: a socket is in one to three rooms, and idle sockets are many."""


class ClientConnection:
    """Gathers whole frames and writes them to the transport once per loop turn; a reader
    that falls too far behind is cut off rather than buffered without bound (it
    reconnects and resumes)."""

    __slots__ = (
        "_closing",
        "_max_buffered",
        "_on_cut_off",
        "_outbox",
        "_pending",
        "_transport",
        "namespaces",
        "next_ping_at",
        "pong_deadline",
        "remote",
        "skip_binary",
        "ws",
    )

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport, remote: str,
                 outbox: Outbox, max_buffered: int, next_ping_at: float,
                 on_cut_off: Callable[[], None]) -> None:
        self.ws = ws
        self.remote = remote
        self.namespaces: dict[str, NamespaceSocket] = {}
        self.pong_deadline: float | None = None
        self.next_ping_at = next_ping_at
        self.skip_binary = 0
        """Binary attachments still to drop after a refused binary packet."""
        self._transport = transport
        self._outbox = outbox
        self._pending: list[bytes] | None = None
        self._max_buffered = max_buffered
        self._on_cut_off = on_cut_off
        self._closing = False

    def send(self, frame: bytes) -> None:
        if self._pending is None:
            self._pending = [frame]
            self._outbox.flush_soon(self._flush)
        else:
            self._pending.append(frame)

    def _flush(self) -> None:
        pending, self._pending = self._pending, None
        transport = self._transport
        if pending is None or self._closing or transport.is_closing():
            return
        transport.write(pending[0] if len(pending) == 1 else b"".join(pending))
        if transport.get_write_buffer_size() > self._max_buffered:
            log.warning("client cut off: too much unread output",
                        extra={"sids": [socket.sid for socket in self.namespaces.values()]})
            self._on_cut_off()
            self.abort()

    def abort(self) -> None:
        """Drop the connection at once; the reader loop sees it closed and cleans up."""
        self._closing = True
        self._transport.abort()

    def close_soon(self, code: int) -> None:
        if self._closing:
            return
        self._closing = True
        task = asyncio.get_running_loop().create_task(self.ws.close(code=code))
        _closing_tasks.add(task)
        task.add_done_callback(_closing_tasks.discard)


_closing_tasks: set[asyncio.Task[bool]] = set()
