"""The console shows a long conversation whole, though the gateway sends it in pages."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import Pages
from tests.browser.steps import citizen_messages, go_available, pane_messages, seqs, start_chat
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


async def long_conversation(url: str, token: str | None = None, first: int = 1) -> str:
    """Messages ``first`` … ``COUNT`` from a citizen (with ``token``: in its conversation,
    else in a new one)."""
    citizen = RecordingClient(url, "/citizen")
    await citizen.connect({"token": token} if token else None)
    await citizen.wait_for("session")
    if token is None:
        opened = await citizen.ok("conversation:open", {"topic": "general",
                                                        "service": "police"})
        cid = str(opened["conversation"]["id"])
    else:
        cid = str((await citizen.ok("conversation:list", {}))["conversations"][0]["id"])
    for start in range(first, COUNT + 1, 50):
        await asyncio.gather(*(
            citizen.ok("message:send", {"conversation_id": cid, "client_msg_id": f"m{i}",
                                        "text": f"message {i}"})
            for i in range(start, min(start + 50, COUNT + 1))))
    await citizen.disconnect()
    return cid


def in_its_own_loop(url: str, token: str | None = None, first: int = 1) -> str:
    """The sync Playwright driver owns this thread's event loop: the client runs beside it."""
    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(
        asyncio.run(long_conversation(url, token, first))))
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


def test_a_citizen_reloading_a_long_conversation_sees_all_of_it(
        browser: Browser, fast_gateway: GatewayProcess) -> None:
    pages = Pages(browser, fast_gateway)
    try:
        citizen = pages.citizen()
        start_chat(citizen, "message 1")
        expect(citizen_messages(citizen)).to_have_count(1)
        token = citizen.evaluate("localStorage.getItem('rtc-gateway.citizen.token')")
        in_its_own_loop(fast_gateway.url, token, first=2)
        citizen.reload()
        citizen.wait_for_selector("#connection[data-state='online']")
        messages = citizen_messages(citizen)
        expect(messages).to_have_count(COUNT)
        assert seqs(messages) == list(range(1, COUNT + 1))
    finally:
        pages.close()
    assert pages.watch.unexpected_errors() == []
