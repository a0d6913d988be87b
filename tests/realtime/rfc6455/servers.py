"""Three WebSocket echo servers, each in its own process: the gateway's own
WebSocket layer (front door, handshake, frame reader, connection, link), and aiohttp's and
websockets' as references. All get the same message size limit and no compression."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator

from aiohttp import WSMsgType, web

from rtc_gateway.realtime.connection import ClientConnection
from rtc_gateway.realtime.front_door import FrontDoor
from rtc_gateway.realtime.handshake import RequestHead, switching_protocols, websocket_key
from rtc_gateway.realtime.links import WebSocketLink, close_frame_then_transport
from rtc_gateway.realtime.outbox import Outbox
from rtc_gateway.realtime.websocket_connection import WebSocketConnection

MAX_MESSAGE = 256 * 1024
MAX_BUFFERED = 16 * 1024 * 1024


class _EchoHost:
    def receive_text(self, client: ClientConnection, text: str) -> None:
        client.send(text.encode(), False)

    def receive_binary(self, client: ClientConnection, data: bytes) -> None:
        client.send(data, True)

    def lost(self, client: ClientConnection) -> None:
        pass

    def closed(self, connection: WebSocketConnection) -> None:
        pass

    def probed(self, client: ClientConnection) -> None:
        pass

    def upgraded(self, client: ClientConnection, transport: asyncio.Transport) -> bool:
        return False


class _EchoTaker:
    path = "/"

    def __init__(self) -> None:
        self._outbox = Outbox()
        self._host = _EchoHost()

    def take_websocket(self, transport: asyncio.Transport, head: RequestHead,
                       rest: bytes) -> bool:
        key = websocket_key(head)
        if key is None:
            return False
        transport.write(switching_protocols(key))
        link = WebSocketLink(transport, self._outbox, MAX_BUFFERED, lambda: None,
                             close_frame_then_transport(transport))
        client = ClientConnection(link, head.remote, float("inf"), None)
        connection = WebSocketConnection(self._host, transport, client, MAX_MESSAGE,
                                         max_buffered_bytes=MAX_BUFFERED)
        transport.set_protocol(connection)
        if rest:
            connection.data_received(rest)
        return True


class _NotFound(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                        b"Connection: close\r\n\r\n")
        transport.close()


async def gateway_echo(port: int) -> Callable[[], Awaitable[None]]:
    server = await asyncio.get_running_loop().create_server(
        lambda: FrontDoor(_EchoTaker(), _NotFound), "127.0.0.1", port)

    async def stop() -> None:
        server.close()
    return stop


async def aiohttp_echo(port: int) -> Callable[[], Awaitable[None]]:
    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE, compress=False)
        await ws.prepare(request)
        async for message in ws:
            if message.type is WSMsgType.TEXT:
                await ws.send_str(message.data)
            elif message.type is WSMsgType.BINARY:
                await ws.send_bytes(message.data)
        return ws

    app = web.Application()
    app.router.add_get("/", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner.cleanup


async def websockets_echo(port: int) -> Callable[[], Awaitable[None]]:
    from websockets.asyncio.server import ServerConnection, serve

    async def echo(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    server = await serve(echo, "127.0.0.1", port, max_size=MAX_MESSAGE, compression=None,
                         ping_interval=None)

    async def stop() -> None:
        server.close()
    return stop


SERVERS: dict[str, Callable[[int], Awaitable[Callable[[], Awaitable[None]]]]] = {
    "gateway": gateway_echo, "aiohttp": aiohttp_echo, "websockets": websockets_echo}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


@contextlib.contextmanager
def serving(name: str) -> Iterator[int]:
    """The echo server ``name`` on a free port, in a process of its own (threads running
    beside pytest's traceback formatting can trip CPython 3.11's AST recursion check)."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tests.realtime.rfc6455.servers", name,
                                str(port)], stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if _listening(port):
                break
            assert process.poll() is None, f"{name} exited"
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _serve_forever(name: str, port: int) -> None:
    await SERVERS[name](port)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_serve_forever(sys.argv[1], int(sys.argv[2])))
