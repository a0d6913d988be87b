"""A WebSocket opened on a reused keep-alive connection is served through aiohttp: a
client that never reads is cut off there too, and a client that resets leaves no
traceback in the log. Raw TCP clients on loopback, bounded in bytes and seconds."""

import asyncio
import logging
import socket
import struct

import pytest

from rtc_gateway.realtime.frames import PING, TEXT
from tests.realtime.echo import serving
from tests.realtime.test_frame_reader import client_frame
from tests.realtime.test_front_door import opening
from tests.realtime.test_front_door_abuse import LOOPS, run_on

FIRST_REQUEST = b"GET /nothing-here HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
"""A plain request first, so the front door hands the connection to aiohttp, which then
serves the WebSocket opening that follows on it."""


def flood_after_keep_alive(port: int, frame: bytes, limit_bytes: int) -> int:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(5)
        sock.connect(("127.0.0.1", port))
        sock.sendall(FIRST_REQUEST + opening())
        burst = frame * max(1, 65536 // len(frame))
        sent = 0
        try:
            while sent < limit_bytes:
                sock.sendall(burst)
                sent += len(burst)
        except OSError:
            pass
        return sent


async def flood_scenario(frame: bytes) -> tuple[int, int]:
    async with serving(front_door=True, ping_interval_s=20, ping_timeout_s=20) as (
            port, namespace):
        sent = await asyncio.to_thread(flood_after_keep_alive, port, frame, 48 * 1024 * 1024)
        await asyncio.sleep(0.1)
        return sent, namespace.server.stats()["cut_off"]


@pytest.mark.parametrize("loop_name", LOOPS)
@pytest.mark.parametrize("frame", [client_frame(PING, b"p" * 125),
                                   client_frame(TEXT, b"2" + b"p" * 100)],
                         ids=["websocket-pings", "engine-io-pings"])
def test_a_client_that_never_reads_on_a_reused_connection_is_cut_off(
        loop_name: str, frame: bytes) -> None:
    sent, cut_off = run_on(loop_name, flood_scenario(frame))
    assert cut_off == 1
    assert sent < 32 * 1024 * 1024, "cut off long before the flood's end"


async def _read_101(reader: asyncio.StreamReader) -> None:
    """Past the 404 and the 101 to the end of the Engine.IO open packet."""
    await asyncio.wait_for(reader.readuntil(b"101 Switching Protocols\r\n"), 5)
    await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    _, second = await asyncio.wait_for(reader.readexactly(2), 5)
    await asyncio.wait_for(reader.readexactly(second & 0x7F), 5)  # Engine.IO open


async def test_a_client_reset_on_a_reused_connection_logs_no_traceback(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with serving(front_door=True, ping_interval_s=20, ping_timeout_s=20) as (port, _):
        for _ in range(20):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(FIRST_REQUEST + opening())
            await _read_101(reader)
            writer.write(client_frame(PING, b"p" * 125) * 200)
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        await asyncio.sleep(0.3)
    tracebacks = [record for record in caplog.records if record.exc_info]
    assert not tracebacks, [record.getMessage() for record in tracebacks]
