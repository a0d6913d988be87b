"""Every connection's first request is read here: a WebSocket opening for the realtime
server is answered and the connection handed to it; anything else goes to aiohttp.

Served through aiohttp, a WebSocket keeps its upgrade request, two handler tasks and a
reader queue for as long as it lives (about 13 KB of an idle connection's 16). Taken
over here, it keeps only what the realtime server needs. aiohttp still serves every
other request, including a WebSocket opened on a connection that carried HTTP
requests before (some clients reuse their long-polling connection to upgrade), and
answers every request the realtime server does not take, its refusals included.

The first head of every connection, whatever its path, is read here in full, within
``RTC_GATEWAY_HEAD_TIMEOUT_S``, by llhttp (``handshake.py``); a head it refuses gets a
400 here and never reaches aiohttp or the realtime server.

Before that, each accepted connection takes a place in the connection caps
(``connection_caps.py``): over the global cap it gets a 503, over its address's share a
429, and is closed before anything else is read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol, cast

from aiohttp import web

from rtc_gateway.realtime.client_address import AddressSet, client_address
from rtc_gateway.realtime.connection_caps import ConnectionCaps, Place, released_on_close
from rtc_gateway.realtime.handshake import HeadReader, HeadRefused, RequestHead
from rtc_gateway.realtime.websocket_connection import protocol_errors

log = logging.getLogger(__name__)

HEAD_TIMEOUT_S = 10.0
"""A connection that has not sent a whole request head by then is closed (the default
of ``RTC_GATEWAY_HEAD_TIMEOUT_S``)."""
_BAD_REQUEST = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                b"Content-Length: 11\r\nConnection: close\r\n\r\nBad Request")


def _refusal(status: bytes, code: bytes, message: bytes) -> bytes:
    body = b'{"error": {"code": "' + code + b'", "message": "' + message + b'"}}'
    return (b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\nRetry-After: 10\r\n"
            b"Connection: close\r\n\r\n" + body)


_TOO_MANY = _refusal(b"429 Too Many Requests", b"rate_limited",
                     b"too many connections from this address")
_FULL = _refusal(b"503 Service Unavailable", b"unavailable", b"too many connections")


class WebSocketTaker(Protocol):
    path: str

    def take_websocket(self, transport: asyncio.Transport, head: RequestHead,
                       rest: bytes) -> bool:
        """Serve the WebSocket ``head`` opens, or return False and touch nothing."""


class DoorCounters:
    """What the front door turned away, for the metrics."""

    __slots__ = ("caps", "heads_refused", "heads_timed_out")

    def __init__(self) -> None:
        self.heads_refused = 0
        self.heads_timed_out = 0
        self.caps: ConnectionCaps | None = None

    def stats(self) -> dict[str, int]:
        stats = {"heads_refused": self.heads_refused, "heads_timed_out": self.heads_timed_out,
                 "protocol_errors": protocol_errors()}
        caps = self.caps
        if caps is not None:
            stats.update(connections_open=caps.open, connection_addresses=caps.addresses(),
                         connections_refused_total=caps.refused_total,
                         connections_refused_per_address=caps.refused_per_address)
        return stats


class FrontDoor(asyncio.Protocol):
    """Reads a connection's first head in full, with a deadline, whatever its path: a
    head that breaks a rule gets 400 and the connection closes; a whole one goes to the
    realtime server or to aiohttp, with every byte read so far."""

    __slots__ = ("_buffer", "_caps", "_counters", "_deadline", "_head_timeout_s", "_http",
                 "_place", "_reader", "_realtime", "_transport", "_trusted")

    def __init__(self, realtime: WebSocketTaker, http: Callable[[], asyncio.Protocol], *,
                 head_timeout_s: float | None = None, trusted_proxies: AddressSet | None = None,
                 counters: DoorCounters | None = None,
                 caps: ConnectionCaps | None = None) -> None:
        self._realtime = realtime
        self._http = http
        self._head_timeout_s = HEAD_TIMEOUT_S if head_timeout_s is None else head_timeout_s
        self._trusted = trusted_proxies or AddressSet()
        self._counters = counters or DoorCounters()
        self._reader = HeadReader()
        self._buffer: list[bytes] = []
        self._transport: asyncio.Transport | None = None
        self._deadline: asyncio.TimerHandle | None = None
        self._caps = caps
        self._place: Place | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's do not subclass it
        if self._caps is not None:
            self._place = self._caps.admit(self._peer())
            if self._place is None:
                self._answer_and_close(_FULL if self._caps.open >= self._caps.max_total
                                       else _TOO_MANY)
                return
        self._deadline = asyncio.get_running_loop().call_later(self._head_timeout_s,
                                                               self._too_late)

    def data_received(self, data: bytes) -> None:
        try:
            head = self._reader.feed(data)
        except HeadRefused as refused:
            self._refuse(str(refused))
            return
        if head is None:
            self._buffer.append(data)
            return
        self._settled()
        transport = self._transport
        assert transport is not None
        if head.upgrade and head.has_body:
            self._refuse("body on an upgrade request")
            return
        self._buffer.append(data)
        remote = client_address(self._peer() or "unknown", head.header("x-forwarded-for"),
                                self._trusted)
        place = self._place
        if place is not None and self._caps is not None \
                and not self._caps.identify(place, remote):
            self._answer_and_close(_TOO_MANY)
            return
        if head.path == self._realtime.path and head.upgrade:
            head = replace(head, remote=remote)
            if self._realtime.take_websocket(transport, head, self._reader.rest):
                self._buffer = []
                self._hand_place_over()
                return
        self._hand_to_http()
        self._hand_place_over()

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._settled()
        if self._place is not None:
            self._place.release()
            self._place = None

    def _peer(self) -> str | None:
        transport = self._transport
        assert transport is not None
        peer = transport.get_extra_info("peername")
        return str(peer[0]) if peer else None

    def _answer_and_close(self, answer: bytes) -> None:
        self._settled()
        self._buffer = []
        transport = self._transport
        assert transport is not None
        transport.write(answer)
        transport.close()

    def _hand_place_over(self) -> None:
        """The protocol now serving the connection releases its place when it closes
        (unless the connection is still this one's, closing)."""
        place, transport = self._place, self._transport
        assert transport is not None
        if place is None or transport.get_protocol() is self:
            return
        self._place = None
        released_on_close(transport, place)

    def _refuse(self, reason: str) -> None:
        self._settled()
        self._counters.heads_refused += 1
        log.info("request head refused", extra={"reason": reason})
        transport = self._transport
        assert transport is not None
        transport.write(_BAD_REQUEST)
        transport.close()

    def _too_late(self) -> None:
        self._deadline = None
        self._counters.heads_timed_out += 1
        log.info("request head timed out")
        transport = self._transport
        assert transport is not None
        transport.close()

    def _hand_to_http(self) -> None:
        transport = self._transport
        assert transport is not None
        http = self._http()
        transport.set_protocol(http)
        http.connection_made(transport)
        buffered, self._buffer = self._buffer, []
        if buffered:
            http.data_received(b"".join(buffered))

    def _settled(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


class RealtimeSite(web.BaseSite):
    """A TCP site whose connections pass the :class:`FrontDoor` (instead of
    ``web.TCPSite``, whose connections all go to aiohttp)."""

    __slots__ = ("_head_timeout_s", "_host", "_port", "_realtime", "_reuse_address", "_trusted",
                 "caps", "counters")

    def __init__(self, runner: web.BaseRunner, realtime: WebSocketTaker, host: str, port: int,
                 *, backlog: int = 128, reuse_address: bool | None = None,
                 head_timeout_s: float | None = None, trusted_proxies: AddressSet | None = None,
                 counters: DoorCounters | None = None,
                 caps: ConnectionCaps | None = None) -> None:
        super().__init__(runner, backlog=backlog)
        self.counters = counters or DoorCounters()
        self.caps = caps or ConnectionCaps(trusted_proxies=trusted_proxies)
        self.counters.caps = self.caps
        self._head_timeout_s = head_timeout_s
        self._trusted = trusted_proxies
        self._realtime = realtime
        self._host = host
        self._port = port
        self._reuse_address = reuse_address

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        http = self._runner.server
        assert http is not None
        realtime = self._realtime
        timeout, trusted, counters, caps = (self._head_timeout_s, self._trusted,
                                            self.counters, self.caps)
        self._server = await asyncio.get_running_loop().create_server(
            lambda: FrontDoor(realtime, http, head_timeout_s=timeout, trusted_proxies=trusted,
                              counters=counters, caps=caps),
            self._host, self._port, backlog=self._backlog, reuse_address=self._reuse_address)
