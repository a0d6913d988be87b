"""The front door's limits in a real ``rtc-gateway serve`` (uvloop, the production
wiring): a client that never reads is cut off by the answers to its own Engine.IO pings,
heads are bounded in time on fresh and kept-alive connections, and what trips shows in
the metrics and the log."""

from __future__ import annotations

import asyncio
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.realtime.test_frame_reader import client_frame
from tests.support.gateway_process import GatewayProcess, running_gateway

OPENING = (b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    data_dir: Path = tmp_path_factory.mktemp("served")
    with running_gateway(data_dir, env={"RTC_GATEWAY_MAX_BUFFERED_BYTES": str(256 * 1024),
                                        "RTC_GATEWAY_HEAD_TIMEOUT_S": "0.5",
                                        "RTC_GATEWAY_EVIDENCE": "memory"}) as gateway:
        yield gateway


def metric(gateway: GatewayProcess, name: str) -> float:
    with urllib.request.urlopen(f"{gateway.url}/metrics", timeout=5) as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise AssertionError(f"{name} not exposed")


def flood_engine_io_pings(port: int, limit_bytes: int) -> int:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(5)
        sock.connect(("127.0.0.1", port))
        sock.sendall(OPENING)
        burst = client_frame(0x1, b"2" + b"p" * 100) * 600
        sent = 0
        try:
            while sent < limit_bytes:
                sock.sendall(burst)
                sent += len(burst)
        except OSError:
            pass
        return sent


def test_a_client_sending_engine_io_pings_and_never_reading_is_cut_off(
        served: GatewayProcess) -> None:
    before = metric(served, "rtc_clients_cut_off_total")
    sent = flood_engine_io_pings(served.port, 48 * 1024 * 1024)
    assert sent < 48 * 1024 * 1024, "cut off before the end of the flood"
    assert metric(served, "rtc_clients_cut_off_total") == before + 1
    assert "client cut off: too much unread output" in served.log()


async def closed_within(port: int, first: bytes, dribble: bytes, limit_s: float) -> bool:
    """Whether, after ``first`` is answered, dribbling ``dribble`` a byte at a time gets
    the connection closed within ``limit_s``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        if first:
            writer.write(first)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
        loop = asyncio.get_running_loop()
        started = loop.time()
        for byte in dribble:
            writer.write(bytes([byte]))
            try:
                if await asyncio.wait_for(reader.read(1), 0.05) == b"":
                    break
            except TimeoutError:
                continue
            except ConnectionResetError:
                break
        else:
            return False
        return loop.time() - started < limit_s
    finally:
        writer.close()


@pytest.mark.parametrize("first", [b"", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"],
                         ids=["fresh", "kept-alive"])
@pytest.mark.parametrize("path", ["/demo/", "/socket.io/?EIO=4&transport=polling"])
async def test_a_dribbled_head_is_closed_at_the_deadline(served: GatewayProcess, first: bytes,
                                                         path: str) -> None:
    dribble = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".encode() + b"a" * 60
    assert await closed_within(served.port, first, dribble, 2.5)


async def test_a_refused_head_is_counted_and_logged(served: GatewayProcess) -> None:
    before = metric(served, "rtc_request_heads_refused_total")
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    assert (await asyncio.wait_for(reader.readline(), 5)).startswith(b"HTTP/1.1 400")
    writer.close()
    assert metric(served, "rtc_request_heads_refused_total") == before + 1
    assert "request head refused" in served.log()
    assert "repeated host header" in served.log()
