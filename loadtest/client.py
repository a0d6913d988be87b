"""One lean Socket.IO connection over an aiohttp WebSocket, with callback-based acks.

Acks resolve through plain callbacks rather than futures, so a client sending thousands
of messages per second creates no task or future per message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from loadtest.wire import (
    ACK,
    CONNECT,
    CONNECT_ERROR,
    DISCONNECT,
    EIO_MESSAGE,
    EIO_OPEN,
    EIO_PING,
    EIO_PONG,
    EVENT,
    Codec,
    Packet,
)

AckCallback = Callable[[Any], None]
EventHandler = Callable[[str, Any], None]


class ConnectRefused(Exception):
    """The server refused the namespace connection (CONNECT_ERROR)."""


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"load tests target loopback only, not {host!r}")


def socketio_url(base_url: str) -> str:
    require_loopback(base_url)
    return base_url.replace("http://", "ws://", 1).rstrip("/") + \
        "/socket.io/?EIO=4&transport=websocket"


class LeanClient:
    """A Socket.IO client for one namespace, speaking the wire format itself."""

    def __init__(self, codec: Codec, namespace: str, on_event: EventHandler) -> None:
        self.codec = codec
        self.namespace = namespace
        self.on_event = on_event
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.closed = asyncio.Event()
        self._acks: dict[int, AckCallback] = {}
        self._next_ack = 0
        self._connected: asyncio.Future[Any] | None = None
        self._reader: asyncio.Task[None] | None = None

    async def connect(self, session: aiohttp.ClientSession, base_url: str,
                      auth: dict[str, Any] | None = None, limit_s: float = 30.0,
                      compress: int = 0) -> Any:
        """Open the WebSocket and the namespace; return the server's CONNECT payload."""
        self.ws = await asyncio.wait_for(
            session.ws_connect(socketio_url(base_url), compress=compress, max_msg_size=0), limit_s)
        self._connected = asyncio.get_running_loop().create_future()
        opening = await asyncio.wait_for(self.ws.receive(), limit_s)
        if opening.type != aiohttp.WSMsgType.TEXT or not opening.data.startswith(EIO_OPEN):
            raise ConnectionError(f"no Engine.IO open packet: {opening!r}")
        self._reader = asyncio.create_task(self._read())
        await self._send(self.codec.connect(self.namespace, auth))
        return await asyncio.wait_for(self._connected, limit_s)

    async def emit(self, event: str, payload: Any, on_ack: AckCallback | None = None) -> None:
        """Send one event; ``on_ack`` runs with the ack payload when it arrives."""
        ack_id = None
        if on_ack is not None:
            ack_id = self._next_ack
            self._next_ack += 1
            self._acks[ack_id] = on_ack
        await self._send(self.codec.event(self.namespace, ack_id, event, payload))

    async def call(self, event: str, payload: Any, limit_s: float = 30.0) -> Any:
        """Emit and wait for the ack payload."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def resolve(value: Any) -> None:
            if not future.done():
                future.set_result(value)

        await self.emit(event, payload, resolve)
        return await asyncio.wait_for(future, limit_s)

    @property
    def pending_acks(self) -> int:
        return len(self._acks)

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _send(self, frame: str | bytes) -> None:
        assert self.ws is not None
        if isinstance(frame, str):
            await self.ws.send_str(frame)
        else:
            await self.ws.send_bytes(frame)

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for message in self.ws:
                if message.type == aiohttp.WSMsgType.BINARY:
                    self._dispatch(self.codec.decode(message.data))
                elif message.type == aiohttp.WSMsgType.TEXT:
                    await self._on_text(message.data)
        except (aiohttp.ClientError, ConnectionError):
            pass
        finally:
            self.closed.set()
            if self._connected is not None and not self._connected.done():
                self._connected.set_exception(ConnectionError("closed before connect"))

    async def _on_text(self, text: str) -> None:
        head = text[:1]
        if head == EIO_MESSAGE:
            self._dispatch(self.codec.decode(text[1:]))
        elif head == EIO_PING:
            await self._send(EIO_PONG)

    def _dispatch(self, packet: Packet) -> None:
        if packet.kind == EVENT:
            data = packet.data
            self.on_event(data[0], data[1] if len(data) > 1 else None)
        elif packet.kind == ACK:
            callback = self._acks.pop(packet.ack_id, None) if packet.ack_id is not None else None
            if callback is not None:
                callback(packet.data[0] if packet.data else None)
        elif packet.kind == CONNECT and self._connected and not self._connected.done():
            self._connected.set_result(packet.data)
        elif packet.kind == CONNECT_ERROR and self._connected and not self._connected.done():
            self._connected.set_exception(ConnectRefused(repr(packet.data)))
        elif packet.kind == DISCONNECT:
            self.closed.set()

