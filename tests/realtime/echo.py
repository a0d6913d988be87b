"""A namespace for the realtime server's tests: connects with a password, echoes events,
floods on request, emits to a room or a sid on request, and records who left and why."""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from rtc_gateway.ports.bus import Bus
from rtc_gateway.realtime.client_address import AddressSet
from rtc_gateway.realtime.codecs import Codec, JsonCodec
from rtc_gateway.realtime.connection import ClientInfo
from rtc_gateway.realtime.connection_caps import ConnectionCaps
from rtc_gateway.realtime.front_door import RealtimeSite
from rtc_gateway.realtime.server import ConnectRefused, Greeting, RealtimeServer

BIG = "x" * 4000


class EchoNamespace:
    def __init__(self, server: RealtimeServer) -> None:
        self.server = server
        self.gone: list[tuple[str, str]] = []

    async def connect(self, sid: str, client: ClientInfo, auth: Any) -> Greeting | None:
        if auth != {"let": "me in"}:
            raise ConnectRefused({"message": "refused", "data": {"code": "unauthorized"}})
        self.server.enter_room(sid, "all")
        return "hello", {"remote": client.remote}

    async def event(self, event: object, sid: str, args: tuple[Any, ...]) -> Any:
        if event == "flood":
            for sent in range(int(args[0])):
                self.server.emit("big", BIG, namespace="/echo", room="all")
                if sent % 20 == 19:
                    await asyncio.sleep(0.002)
        elif event == "to_room":  # [room, data, skip: true for oneself, or a sid]
            self.server.emit("heard", args[1], namespace="/echo", room=str(args[0]),
                             skip_sid=sid if args[2] is True else args[2] or None)
        elif event == "to_sid":  # [sid, data]
            self.server.emit_to(str(args[0]), "heard", args[1], namespace="/echo")
        elif event == "join":
            self.server.enter_room(sid, str(args[0]))
        await asyncio.sleep(0)
        return {"event": event, "args": list(args)}

    def malformed(self, sid: str, reason: str) -> Any:
        return {"malformed": reason}

    async def disconnect(self, sid: str, reason: str) -> None:
        self.gone.append((sid, reason))

    async def someone_gone(self, limit_s: float = 5.0) -> None:
        """Wait until a socket has left (the assertions that follow say which)."""
        for _ in range(int(limit_s / 0.05)):
            if self.gone:
                return
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def serving(*, front_door: bool, ping_interval_s: float = 0.3,
                  ping_timeout_s: float = 0.3, codec: Codec | None = None,
                  caps: ConnectionCaps | None = None, trusted_proxies: AddressSet | None = None,
                  bus: Bus | None = None) -> AsyncIterator[tuple[int, EchoNamespace]]:
    """An echo server on a free port, behind the front door or a plain aiohttp site;
    one node of several when given a ``bus`` (closed with the server)."""
    server = RealtimeServer(codec=codec or JsonCodec(), origins=lambda origin, host, scheme: True,
                            max_message_bytes=8192, ping_interval_s=ping_interval_s,
                            ping_timeout_s=ping_timeout_s, max_buffered_bytes=256 * 1024)
    namespace = EchoNamespace(server)
    server.add_namespace("/echo", namespace)
    if bus is not None:
        await bus.start(server.join_bus(bus))
    app = web.Application()
    server.attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    if front_door:
        await RealtimeSite(runner, server, "127.0.0.1", port, caps=caps,
                           trusted_proxies=trusted_proxies).start()
    else:
        await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield port, namespace
    finally:
        await runner.cleanup()
        if bus is not None:
            await bus.close()
