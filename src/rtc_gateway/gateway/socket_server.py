"""The Socket.IO server, configured for this service's limits and transport choices."""

from typing import Any

import socketio
from aiohttp import web
from engineio.async_drivers import aiohttp as engineio_aiohttp

from rtc_gateway.config import Settings
from rtc_gateway.gateway.direct_emit import DirectEmitManager, TextPacket
from rtc_gateway.gateway.fast_json import FastJson
from rtc_gateway.gateway.origins import OriginPolicy


class UncompressedWebSocket(engineio_aiohttp.WebSocket):  # type: ignore[misc]
    """engine.io's aiohttp WebSocket with permessage-deflate off.

    The stock driver accepts compression whenever the client offers it; on short chat
    messages deflate costs a large share of the CPU for little gain.
    """

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        request = environ["aiohttp.request"]
        self._sock = web.WebSocketResponse(max_msg_size=self.server.max_http_buffer_size,
                                           compress=False)
        await self._sock.prepare(request)
        self.environ = environ
        await self.handler(self)
        return self._sock


def create_socket_server(settings: Settings) -> socketio.AsyncServer:
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=DirectEmitManager(),
        serializer="msgpack" if settings.serializer == "msgpack" else TextPacket,
        json=FastJson,
        cors_allowed_origins=OriginPolicy(settings.cors_origins),
        max_http_buffer_size=settings.max_packet_bytes,
        http_compression=False,
        ping_interval=settings.ping_interval_s,
        ping_timeout=settings.ping_timeout_s,
        transports=["websocket", "polling"],
        logger=False,
        engineio_logger=False,
    )
    sio.eio._async = {**sio.eio._async, "websocket": UncompressedWebSocket}
    return sio
