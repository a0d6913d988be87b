"""The console shows a long conversation whole, though the gateway sends it in pages."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import Pages
from tests.browser.steps import go_available, pane_messages, seqs
from tests.support.gateway_process import GatewayProcess, start_gateway
from tests.support.sio_client import RecordingClient

COUNT = 250
"""More than two pages of the default hundred messages."""


@pytest.fixture
def fast_gateway(tmp_path: Path) -> Iterator[GatewayProcess]:
    process = start_gateway(tmp_path / "data", env={"RTC_GATEWAY_RATE_PER_S": "2000",
                                                    "RTC_GATEWAY_RATE_BURST": "2000"})
    yield process
    process.stop()


async def long_conversation(url: str) -> str:
    citizen = RecordingClient(url, "/citizen")
    await citizen.connect()
    await citizen.wait_for("session")
    opened = await citizen.ok("conversation:open", {"topic": "general", "service": "police"})
    cid = str(opened["conversation"]["id"])
    for start in range(0, COUNT, 50):
        await asyncio.gather(*(
            citizen.ok("message:send", {"conversation_id": cid, "client_msg_id": f"m{i}",
                                        "text": f"message {i + 1}"})
            for i in range(start, start + 50)))
    await citizen.disconnect()
    return cid


def in_its_own_loop(url: str) -> str:
    """The sync Playwright driver owns this thread's event loop: the client runs beside it."""
    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(long_conversation(url))))
    thread.start()
    thread.join(60)
    assert result, "the conversation could not be prepared"
    return result[0]


def test_an_officer_taking_a_long_conversation_sees_all_of_it(
        browser: Browser, fast_gateway: GatewayProcess) -> None:
    in_its_own_loop(fast_gateway.url)
    pages = Pages(browser, fast_gateway)
    try:
        agent = pages.agent("agent-roux", "Brigadier Roux")
        go_available(agent)
        messages = pane_messages(agent)
        expect(messages).to_have_count(COUNT)
        assert seqs(messages) == list(range(1, COUNT + 1))
        expect(messages.last.locator(".msg__text")).to_have_text(f"message {COUNT}")
    finally:
        pages.close()
    assert pages.watch.unexpected_errors() == []
