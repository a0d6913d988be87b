"""Caps on open TCP connections, per client address and in all: counted at accept and
close through the front door, whichever protocol then serves the connection. Raw TCP
clients on loopback, a handful of connections each."""

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack

import pytest

from rtc_gateway.realtime.client_address import AddressSet
from rtc_gateway.realtime.connection_caps import ConnectionCaps
from tests.realtime.echo import serving
from tests.realtime.test_front_door import RawClient

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def plain_request(forwarded_for: str | None = None) -> bytes:
    header = f"X-Forwarded-For: {forwarded_for}\r\n" if forwarded_for else ""
    return f"GET /nothing-here HTTP/1.1\r\nHost: 127.0.0.1\r\n{header}\r\n".encode()


async def status_of(connection: Connection, request: bytes | None = None) -> bytes:
    """The status line answered (to ``request`` if given); b"" if the server hung up."""
    reader, writer = connection
    if request is not None:
        writer.write(request)
    try:
        return await asyncio.wait_for(reader.readline(), 5)
    except (ConnectionResetError, BrokenPipeError):
        return b""


async def is_refused_at_once(connection: Connection) -> bytes | None:
    """The status line of a connection the server answered without being asked, else
    None (it is waiting for a request)."""
    try:
        return await asyncio.wait_for(connection[0].readline(), 0.3)
    except TimeoutError:
        return None


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(250):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("not within 5 s")


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as stack:
        yield stack


async def door(stack: AsyncExitStack, caps: ConnectionCaps,
               trusted: AddressSet | None = None) -> int:
    """An echo server behind the front door; heartbeats slow enough not to close the
    test's silent WebSockets."""
    port, _ = await stack.enter_async_context(serving(
        front_door=True, ping_interval_s=20, ping_timeout_s=20, caps=caps,
        trusted_proxies=trusted))
    return port


async def connect(stack: AsyncExitStack, port: int) -> Connection:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    stack.callback(writer.close)
    return reader, writer


async def test_one_address_holds_at_most_its_share_and_a_closed_connection_frees_its_place(
        stack: AsyncExitStack) -> None:
    caps = ConnectionCaps(max_total=100, max_per_address=4)
    port = await door(stack, caps)
    websocket = await RawClient.open(port)  # served by the realtime server
    kept_alive = await connect(stack, port)
    assert (await status_of(kept_alive, plain_request())).startswith(b"HTTP/1.1 404")
    idle = [await connect(stack, port) for _ in range(2)]
    for connection in idle:
        assert await is_refused_at_once(connection) is None
    await until(lambda: caps.open == 4)

    fifth = await connect(stack, port)
    assert (await status_of(fifth)).startswith(b"HTTP/1.1 429")
    assert caps.refused_per_address == 1

    websocket.writer.close()
    kept_alive[1].close()
    idle[0][1].close()
    await until(lambda: caps.open == 1)  # the WebSocket, the kept-alive and an idle one
    again = await connect(stack, port)
    assert (await status_of(again, plain_request())).startswith(b"HTTP/1.1 404")


async def test_over_the_global_cap_a_connection_gets_503(stack: AsyncExitStack) -> None:
    caps = ConnectionCaps(max_total=3, max_per_address=100)
    port = await door(stack, caps)
    for _ in range(3):
        assert await is_refused_at_once(await connect(stack, port)) is None
    refused = await connect(stack, port)
    assert (await status_of(refused)).startswith(b"HTTP/1.1 503")
    head, body = (await asyncio.wait_for(refused[0].read(), 5)).split(b"\r\n\r\n", 1)
    assert b"Retry-After: 10" in head
    assert json.loads(body) == {"error": {"code": "unavailable",
                                          "message": "too many connections"}}
    assert caps.refused_total == 1


async def test_behind_a_trusted_proxy_each_client_has_its_own_share(
        stack: AsyncExitStack) -> None:
    trusted = AddressSet(["127.0.0.1"])
    caps = ConnectionCaps(max_total=100, max_per_address=2, trusted_proxies=trusted)
    port = await door(stack, caps, trusted)
    for client in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        for _ in range(2):
            answer = await status_of(await connect(stack, port), plain_request(client))
            assert answer.startswith(b"HTTP/1.1 404"), (client, answer)
    third = await status_of(await connect(stack, port), plain_request("198.51.100.1"))
    assert third.startswith(b"HTTP/1.1 429")
    for _ in range(3):  # the proxy's own requests, naming no client: not one client
        answer = await status_of(await connect(stack, port), plain_request())
        assert answer.startswith(b"HTTP/1.1 404")


async def test_ipv6_clients_are_counted_per_64(stack: AsyncExitStack) -> None:
    trusted = AddressSet(["127.0.0.1"])
    caps = ConnectionCaps(max_total=100, max_per_address=2, trusted_proxies=trusted)
    port = await door(stack, caps, trusted)
    for client in ("2001:db8::1", "2001:db8::ffff:2"):
        answer = await status_of(await connect(stack, port), plain_request(client))
        assert answer.startswith(b"HTTP/1.1 404")
    same_64 = await status_of(await connect(stack, port), plain_request("2001:db8::3"))
    assert same_64.startswith(b"HTTP/1.1 429")
    other_64 = await status_of(await connect(stack, port), plain_request("2001:db8:0:1::1"))
    assert other_64.startswith(b"HTTP/1.1 404")


async def test_a_flood_of_refusals_logs_one_line(stack: AsyncExitStack,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    caps = ConnectionCaps(max_total=100, max_per_address=1)
    port = await door(stack, caps)
    await connect(stack, port)
    for _ in range(30):
        assert (await status_of(await connect(stack, port))).startswith(b"HTTP/1.1 429")
    lines = [record for record in caplog.records
             if record.getMessage() == "connections refused: too many open"]
    assert len(lines) == 1
    assert caps.refused_per_address == 30


def test_places_are_freed_under_uvloop_too() -> None:
    """uvloop, the production loop, hands connections between protocols its own way."""
    import uvloop

    async def scenario() -> None:
        async with AsyncExitStack() as stack:
            await test_one_address_holds_at_most_its_share_and_a_closed_connection_frees_its_place(
                stack)

    uvloop.run(scenario())


def test_the_global_cap_follows_the_raised_file_descriptor_limit() -> None:
    """In a child process whose soft limit is lowered to 512: raised back to the hard
    limit at start, and the default cap is that less what the gateway keeps."""
    script = (
        "import resource\n"
        "from rtc_gateway.realtime.connection_caps import ConnectionCaps, raise_file_limit\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (512, hard))\n"
        "assert ConnectionCaps().max_total == 512 - 256\n"
        "raise_file_limit()\n"
        "assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == hard\n"
        "expected = 1_000_000 if hard == resource.RLIM_INFINITY else hard - 256\n"
        "assert ConnectionCaps().max_total == expected, ConnectionCaps().max_total\n"
        "assert ConnectionCaps(max_total=7).max_total == 7\n")
    subprocess.run([sys.executable, "-c", script], check=True, timeout=30)
