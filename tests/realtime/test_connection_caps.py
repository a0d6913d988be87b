"""Caps on open TCP connections, per client address and in all: counted at accept and
close through the front door, whichever protocol then serves the connection. Raw TCP
clients on loopback, a handful of connections each."""

import asyncio
from collections.abc import AsyncIterator
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


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as stack:
        yield stack


async def connect(stack: AsyncExitStack, port: int) -> Connection:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    stack.callback(writer.close)
    return reader, writer


async def test_one_address_holds_at_most_its_share_and_a_closed_connection_frees_its_place(
        stack: AsyncExitStack) -> None:
    caps = ConnectionCaps(max_total=100, max_per_address=4)
    port, _ = await stack.enter_async_context(serving(front_door=True, caps=caps))
    websocket = await RawClient.open(port)  # served by the realtime server
    kept_alive = await connect(stack, port)
    assert (await status_of(kept_alive, plain_request())).startswith(b"HTTP/1.1 404")
    idle = [await connect(stack, port) for _ in range(2)]
    for connection in idle:
        assert await is_refused_at_once(connection) is None
    assert caps.open == 4

    fifth = await connect(stack, port)
    assert (await status_of(fifth)).startswith(b"HTTP/1.1 429")
    assert caps.refused_per_address == 1

    websocket.writer.close()
    kept_alive[1].close()
    idle[0][1].close()
    for _ in range(50):
        if caps.open == 1:
            break
        await asyncio.sleep(0.02)
    assert caps.open == 1, "the WebSocket, the kept-alive and the idle one freed their places"
    again = await connect(stack, port)
    assert (await status_of(again, plain_request())).startswith(b"HTTP/1.1 404")


async def test_over_the_global_cap_a_connection_gets_503(stack: AsyncExitStack) -> None:
    caps = ConnectionCaps(max_total=3, max_per_address=100)
    port, _ = await stack.enter_async_context(serving(front_door=True, caps=caps))
    for _ in range(3):
        assert await is_refused_at_once(await connect(stack, port)) is None
    assert (await status_of(await connect(stack, port))).startswith(b"HTTP/1.1 503")
    assert caps.refused_total == 1


async def test_behind_a_trusted_proxy_each_client_has_its_own_share(
        stack: AsyncExitStack) -> None:
    trusted = AddressSet(["127.0.0.1"])
    caps = ConnectionCaps(max_total=100, max_per_address=2, trusted_proxies=trusted)
    port, _ = await stack.enter_async_context(
        serving(front_door=True, caps=caps, trusted_proxies=trusted))
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
    port, _ = await stack.enter_async_context(
        serving(front_door=True, caps=caps, trusted_proxies=trusted))
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
    port, _ = await stack.enter_async_context(serving(front_door=True, caps=caps))
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
