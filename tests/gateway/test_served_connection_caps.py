"""The per-address connection cap in a real ``rtc-gateway serve`` (uvloop, the
production wiring): set by its variable, refused with 429, shown in the metrics and in
one log line."""

from __future__ import annotations

import asyncio
import urllib.request
from pathlib import Path

from tests.support.gateway_process import running_gateway


def refused_per_address(url: str) -> float:
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith('rtc_connections_refused_total{limit="per_address"} '):
                return float(line.split()[1])
    raise AssertionError("rtc_connections_refused_total not exposed")


async def test_an_address_over_its_share_of_connections_is_refused(tmp_path: Path) -> None:
    with running_gateway(tmp_path, env={"RTC_GATEWAY_MAX_CONNECTIONS_PER_ADDRESS": "5",
                                        "RTC_GATEWAY_EVIDENCE": "memory"}) as gateway:
        held = [await asyncio.open_connection("127.0.0.1", gateway.port) for _ in range(5)]
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        status = await asyncio.wait_for(reader.readline(), 5)
        writer.close()
        assert status.startswith(b"HTTP/1.1 429"), status
        for _, held_writer in held:
            held_writer.close()
        await asyncio.sleep(0.2)
        assert await asyncio.to_thread(refused_per_address, gateway.url) == 1
        assert "connections refused: too many open" in gateway.log()
