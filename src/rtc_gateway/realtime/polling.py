"""Engine.IO v4 over HTTP long-polling, for clients that start there or cannot open a
WebSocket (a proxy that strips upgrades, some mobile networks).

``GET`` without a session opens one; ``GET`` with it waits for queued packets; ``POST``
carries the client's packets (separated by 0x1E, binary ones as ``b`` + base64). The
client usually upgrades to a WebSocket at once (``RealtimeServer._upgrade``).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Awaitable
from typing import Protocol

from aiohttp import web

from rtc_gateway.realtime.connection import ClientConnection
from rtc_gateway.realtime.engine import engine_error
from rtc_gateway.realtime.links import PollingLink

SEPARATOR = "\x1e"


class PollingHost(Protocol):
    def open_polling_client(self, remote: str, sid: str,
                            cookie: str | None = None) -> ClientConnection: ...

    def receive_text(self, client: ClientConnection, text: str) -> Awaitable[None] | None: ...

    def receive_binary(self, client: ClientConnection,
                       data: bytes) -> Awaitable[None] | None: ...

    def timed_out(self, client: ClientConnection) -> bool:
        """Whether the client missed its pong (it is cut off then)."""


class PollingEndpoint:
    def __init__(self, host: PollingHost) -> None:
        self._host = host
        self._sessions: dict[str, ClientConnection] = {}

    def session(self, sid: str) -> ClientConnection | None:
        return self._sessions.get(sid)

    def forget(self, sid: str) -> None:
        self._sessions.pop(sid, None)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """``request`` has passed the server's checks (version, origin)."""
        headers = _cors_headers(request)
        if request.method == "OPTIONS":
            return web.Response(status=204, headers={**headers, **_preflight(request)})
        sid = request.query.get("sid")
        if sid is None:
            if request.method != "GET":
                return _with(engine_error(400, 2, "Bad handshake method"), headers)
            return await self._open(request, headers)
        client = self._sessions.get(sid)
        if client is None or not isinstance(client.link, PollingLink) \
                or client.link.closed or self._host.timed_out(client):
            return _with(engine_error(400, 1, "Session ID unknown"), headers)
        if request.method == "GET":
            return await self._poll(client, client.link, headers)
        if request.method == "POST":
            return await self._post(request, client, headers)
        return _with(engine_error(400, 2, "Bad handshake method"), headers)

    async def _open(self, request: web.Request, headers: dict[str, str]) -> web.StreamResponse:
        sid = secrets.token_urlsafe(15)
        client = self._host.open_polling_client(request.remote or "unknown", sid,
                                                request.headers.get("Cookie"))
        self._sessions[sid] = client
        assert isinstance(client.link, PollingLink)
        return await self._poll(client, client.link, headers)

    async def _poll(self, client: ClientConnection, link: PollingLink,
                    headers: dict[str, str]) -> web.StreamResponse:
        if link.polling:
            link.abort()
            return _with(engine_error(400, 3, "Bad request: overlapping GET"), headers)
        body = await link.poll()
        return web.Response(body=body, content_type="text/plain", charset="utf-8",
                            headers=headers)

    async def _post(self, request: web.Request, client: ClientConnection,
                    headers: dict[str, str]) -> web.StreamResponse:
        try:
            text = (await request.read()).decode("utf-8")
        except UnicodeDecodeError:
            return _with(engine_error(400, 3, "Bad request: not UTF-8"), headers)
        for packet in text.split(SEPARATOR):
            pending = self._receive(client, packet)
            if pending is not None:
                await pending
        return web.Response(text="ok", content_type="text/html", headers=headers)

    def _receive(self, client: ClientConnection, packet: str) -> Awaitable[None] | None:
        if not packet.startswith("b"):
            return self._host.receive_text(client, packet)
        try:
            data = base64.b64decode(packet[1:], validate=True)
        except (binascii.Error, ValueError):
            return None
        return self._host.receive_binary(client, data)


def _cors_headers(request: web.Request) -> dict[str, str]:
    """A browser page from an allowed origin (the server refused the others) may read
    the answers and send cookies."""
    origin = request.headers.get("Origin")
    if origin is None:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin"}


def _preflight(request: web.Request) -> dict[str, str]:
    return {"Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers":
                request.headers.get("Access-Control-Request-Headers", "content-type"),
            "Access-Control-Max-Age": "86400"}


def _with(response: web.Response, headers: dict[str, str]) -> web.Response:
    response.headers.update(headers)
    return response
