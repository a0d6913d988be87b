"""The front door under attack: request heads aiohttp would refuse, heads that never end,
floods of fragments, pings from a client that never reads, and bad close frames. Raw
TCP clients on loopback; every flood is bounded in bytes and seconds."""

import asyncio
import socket
import struct
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest

from rtc_gateway.realtime import front_door
from rtc_gateway.realtime.frames import CLOSE, CONTINUATION, PING, TEXT
from tests.realtime.echo import EchoNamespace, serving
from tests.realtime.test_frame_reader import client_frame
from tests.realtime.test_front_door import RawClient, opening

OPENING = opening().removesuffix(b"\r\n")
"""A valid WebSocket opening for the realtime server, without its final blank line."""


@pytest.fixture
async def door() -> AsyncIterator[tuple[int, EchoNamespace]]:
    async with serving(front_door=True, ping_interval_s=20, ping_timeout_s=20) as served:
        yield served


async def answer_to(port: int, request: bytes) -> tuple[bytes, bool]:
    """The status line the server answers ``request`` with, and whether it then hung up."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        status = await asyncio.wait_for(reader.readline(), 5)
        rest = await asyncio.wait_for(reader.read(), 5) if status else b""
        return status, b"101" not in status and not rest.startswith(b"\x81")
    except (ConnectionResetError, BrokenPipeError):
        return b"", True
    finally:
        writer.close()


HEADERS = "".join(f"X-Filler-{n}: {n}\r\n" for n in range(150)).encode()


@pytest.mark.parametrize("request_bytes", [
    OPENING + b"X-Hidden: a\nOrigin: https://attacker.example\r\n\r\n",
    OPENING + b"X-Nul: a\x00b\r\n\r\n",
    OPENING + b"Host: attacker.example\r\n\r\n",
    OPENING + HEADERS + b"\r\n",
    OPENING + b"X-Long: " + b"a" * 100_000 + b"\r\n\r\n",
    OPENING + b"Content-Length: 5\r\n\r\nhello",
    OPENING + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX: a\nY: b\r\n\r\n",
], ids=["bare-lf", "nul", "two-hosts", "150-headers", "100k-line", "upgrade-with-length",
        "upgrade-chunked", "plain-two-hosts", "plain-bare-lf"])
async def test_a_head_aiohttp_refuses_is_refused_and_the_connection_closed(
        door: tuple[int, EchoNamespace], request_bytes: bytes) -> None:
    port, namespace = door
    status, hung_up = await answer_to(port, request_bytes)
    assert status.startswith(b"HTTP/1.1 400 "), status
    assert hung_up
    assert namespace.server.stats()["websockets_taken"] == 0
    client = await RawClient.open(port)
    await client.joined()


@pytest.mark.parametrize("path", ["/", "/demo/", "/socket.io/?EIO=4&transport=polling"])
async def test_a_head_dribbled_to_any_path_is_closed_at_the_deadline(
        door: tuple[int, EchoNamespace], monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    port, _ = door
    monkeypatch.setattr(front_door, "HEAD_TIMEOUT_S", 0.5)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".encode() + b"a" * 100
    started = asyncio.get_running_loop().time()
    closed = False
    for byte in head:
        writer.write(bytes([byte]))
        try:
            if await asyncio.wait_for(reader.read(1), 0.02) == b"":
                closed = True
                break
        except TimeoutError:
            continue
        except ConnectionResetError:
            closed = True
            break
    elapsed = asyncio.get_running_loop().time() - started
    writer.close()
    assert closed, "the head was held for its whole dribble"
    assert elapsed < 2.0


async def closing_code(client: RawClient) -> int:
    opcode, payload = await client.frame()
    while opcode != CLOSE:
        opcode, payload = await client.frame()
    return int(struct.unpack("!H", payload[:2])[0])


async def test_endless_empty_continuations_are_cut_off(door: tuple[int, EchoNamespace]) -> None:
    port, _ = door
    client = await RawClient.open(port)
    await client.joined()
    client.send(TEXT, b"", fin=False)
    continuation = client_frame(CONTINUATION, b"", fin=False)
    client.writer.write(continuation * 5000)  # 30 KB on the wire
    await client.writer.drain()
    assert await asyncio.wait_for(closing_code(client), 5) == 1009


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999])
async def test_an_invalid_close_code_is_answered_with_a_protocol_error(
        door: tuple[int, EchoNamespace], code: int) -> None:
    port, _ = door
    client = await RawClient.open(port)
    client.send(CLOSE, struct.pack("!H", code))
    assert await client.closed_with() == 1002


@pytest.mark.parametrize("code", [1000, 1001, 1003, 1007, 1011, 3000, 4999])
async def test_a_valid_close_code_is_echoed(door: tuple[int, EchoNamespace], code: int) -> None:
    port, _ = door
    client = await RawClient.open(port)
    client.send(CLOSE, struct.pack("!H", code) + "à bientôt".encode())
    assert await client.closed_with() == code


async def test_a_close_reason_that_is_not_utf8_is_answered_with_1007(
        door: tuple[int, EchoNamespace]) -> None:
    port, _ = door
    client = await RawClient.open(port)
    client.send(CLOSE, struct.pack("!H", 1000) + b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce")
    assert await client.closed_with() == 1007


async def test_a_one_octet_close_payload_is_a_protocol_error(
        door: tuple[int, EchoNamespace]) -> None:
    port, _ = door
    client = await RawClient.open(port)
    client.send(CLOSE, b"\x03")
    assert await client.closed_with() == 1002


async def test_an_empty_close_is_answered_with_1000_never_1005(
        door: tuple[int, EchoNamespace]) -> None:
    port, _ = door
    client = await RawClient.open(port)
    client.send(CLOSE, b"")
    assert await client.closed_with() == 1000


def flood_without_reading(port: int, frame: bytes, limit_bytes: int) -> int:
    """Send ``frame`` over and over on a socket that never reads; the bytes sent before
    the server cut the connection (``limit_bytes`` if it never did)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(5)
        sock.connect(("127.0.0.1", port))
        sock.sendall(opening())
        burst = frame * max(1, 65536 // len(frame))
        sent = 0
        try:
            while sent < limit_bytes:
                sock.sendall(burst)
                sent += len(burst)
        except OSError:
            pass
        return sent


async def unread_output_scenario(frame: bytes) -> tuple[int, int]:
    """(bytes the flooding client sent, clients cut off) against a server allowing
    256 KiB of unread output."""
    async with serving(front_door=True, ping_interval_s=20, ping_timeout_s=20) as (
            port, namespace):
        sent = await asyncio.to_thread(flood_without_reading, port, frame, 64 * 1024 * 1024)
        await asyncio.sleep(0.1)
        return sent, namespace.server.stats()["cut_off"]


def run_on(loop_name: str, scenario: Coroutine[Any, Any, tuple[int, int]]) -> tuple[int, int]:
    if loop_name == "uvloop":
        import uvloop
        result: tuple[int, int] = uvloop.run(scenario)
        return result
    return asyncio.run(scenario)


LOOPS = ["asyncio"] + (["uvloop"] if sys.platform != "win32" else [])
FLOODS: dict[str, Callable[[], bytes]] = {
    "websocket-pings": lambda: client_frame(PING, b"p" * 125),
    "empty-websocket-pings": lambda: client_frame(PING, b""),
    "engine-io-pings": lambda: client_frame(TEXT, b"2" + b"p" * 100),
}


@pytest.mark.parametrize("loop_name", LOOPS)
@pytest.mark.parametrize("flood", list(FLOODS))
def test_a_client_that_never_reads_is_cut_off_by_its_own_answers(loop_name: str,
                                                                 flood: str) -> None:
    sent, cut_off = run_on(loop_name, unread_output_scenario(FLOODS[flood]()))
    assert cut_off == 1
    assert sent < 48 * 1024 * 1024, "cut off long before the flood's end"
