"""Every connection's first request is read here: a WebSocket opening for the realtime
server is answered and the connection handed to it; anything else goes to aiohttp.

Served through aiohttp, a WebSocket keeps its upgrade request, two handler tasks and a
reader queue for as long as it lives (about 13 KB of an idle connection's 16). Taken
over here, it keeps only what the realtime server needs. aiohttp still serves every
other request, including a WebSocket opened on a connection that carried HTTP
requests before (some clients reuse their long-polling connection to upgrade), and
answers every request the realtime server does not take, refusals included.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol, cast

from aiohttp import web

from rtc_gateway.realtime.handshake import MAX_HEAD_BYTES, RequestHead, parse_head

HEAD_TIMEOUT_S = 15.0
"""A connection that has not sent a whole request head by then is closed."""


class WebSocketTaker(Protocol):
    path: str

    def take_websocket(self, transport: asyncio.Transport, head: RequestHead,
                       rest: bytes) -> bool:
        """Serve the WebSocket ``head`` opens, or return False and touch nothing."""


class FrontDoor(asyncio.Protocol):
    __slots__ = ("_buffer", "_deadline", "_http", "_prefix", "_realtime", "_transport")

    def __init__(self, realtime: WebSocketTaker,
                 http: Callable[[], asyncio.Protocol]) -> None:
        self._realtime = realtime
        self._http = http
        self._prefix = f"GET {realtime.path}".encode("ascii")
        self._buffer = b""
        self._transport: asyncio.Transport | None = None
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's do not subclass it
        self._deadline = asyncio.get_running_loop().call_later(HEAD_TIMEOUT_S, transport.close)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer = self._buffer + data
        prefix = self._prefix
        if buffer[:len(prefix)] != prefix[:len(buffer)]:
            self._hand_to_http()
            return
        head_end = buffer.find(b"\r\n\r\n")
        if head_end < 0:
            if len(buffer) > MAX_HEAD_BYTES:
                self._hand_to_http()
            return
        head = parse_head(buffer[:head_end])
        transport = self._transport
        assert transport is not None
        if head is not None and self._realtime.take_websocket(transport, head,
                                                              buffer[head_end + 4:]):
            self._settled()
        else:
            self._hand_to_http()

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._settled()

    def _hand_to_http(self) -> None:
        self._settled()
        transport = self._transport
        assert transport is not None
        http = self._http()
        transport.set_protocol(http)
        http.connection_made(transport)
        buffered, self._buffer = self._buffer, b""
        if buffered:
            http.data_received(buffered)

    def _settled(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


class RealtimeSite(web.BaseSite):
    """A TCP site whose connections pass the :class:`FrontDoor` (instead of
    ``web.TCPSite``, whose connections all go to aiohttp)."""

    __slots__ = ("_host", "_port", "_realtime", "_reuse_address")

    def __init__(self, runner: web.BaseRunner, realtime: WebSocketTaker, host: str, port: int,
                 *, backlog: int = 128, reuse_address: bool | None = None) -> None:
        super().__init__(runner, backlog=backlog)
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
        self._server = await asyncio.get_running_loop().create_server(
            lambda: FrontDoor(realtime, http), self._host, self._port, backlog=self._backlog,
            reuse_address=self._reuse_address)
