"""A Visioplainte call between the two pages, relayed and recorded by the gateway."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Pages
from tests.browser.steps import go_available, open_pane, start_chat

Shot = Callable[[Page, str], Path]
PLAYING = "v => v.videoWidth > 0 && v.currentTime > 0 && !v.paused"


def wait_playing(video: Locator) -> None:
    """The element shows decoded frames and its clock moves on."""
    video.page.wait_for_function(f"v => ({PLAYING})(v)", arg=video.element_handle(), timeout=30_000)
    before = float(video.evaluate("v => v.currentTime"))
    video.page.wait_for_timeout(1200)
    after = float(video.evaluate("v => v.currentTime"))
    assert after > before + 0.5, f"video clock stalled: {before} -> {after}"
    assert int(video.evaluate("v => v.videoWidth")) > 0


def test_video_call_plays_both_ways(pages: Pages, screenshot: Shot) -> None:
    agent = pages.agent("agent-garcia", "Capitaine Garcia")
    go_available(agent)
    citizen = pages.citizen()
    start_chat(citizen, "Je souhaite déposer plainte en visio.", topic="property")
    expect(agent.locator("#conversation-list li")).to_have_count(1)

    pane = open_pane(agent)
    pane.locator(".pane__video").click()
    expect(pane.locator(".pane__video-area")).to_be_visible()
    expect(citizen.locator("#video-invite")).to_be_visible(timeout=20_000)
    citizen.click("#video-accept")
    expect(citizen.locator("#video")).to_be_visible()

    wait_playing(citizen.locator("#local-video"))
    wait_playing(citizen.locator("#remote-video"))
    wait_playing(pane.locator(".pane__local-video"))
    wait_playing(pane.locator(".pane__remote-video"))
    expect(citizen.locator("#video-state")).to_have_text("Appel en cours.")
    screenshot(citizen, "citizen-video-desktop")
    screenshot(agent, "agent-video-desktop")

    citizen.click("#video-mute")
    expect(citizen.locator("#video-mute")).to_have_attribute("aria-pressed", "true")
    assert citizen.evaluate(
        "document.getElementById('local-video').srcObject.getAudioTracks().every(t => !t.enabled)"
    )

    pane.locator(".pane__hangup").click()
    expect(pane.locator(".pane__video-area")).to_be_hidden()
    expect(citizen.locator("#video")).to_be_hidden(timeout=20_000)
    expect(citizen.locator("#video-state")).to_contain_text("Appel terminé")
    # The chat goes on in the same page after the call.
    expect(citizen.locator("#message-input")).to_be_visible()
