"""One citizen in two tabs of the demo page: each connect renews the identity's token and
ends the older ones, and both tabs keep the same identity across reloads and drops."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Pages
from tests.browser.steps import citizen_messages, go_available, pane_messages, send, start_chat

TOKEN_KEY = "rtc-gateway.citizen.token"


def second_tab(pages: Pages, first: Page) -> Page:
    tab = first.context.new_page()
    pages._watch(tab)
    tab.goto(f"{pages.gateway.url}/demo/")
    tab.wait_for_selector("#connection[data-state='online']")
    return tab


def test_two_tabs_of_one_citizen_keep_one_identity(pages: Pages) -> None:
    agent = pages.agent("agent-roux", "Brigadier Roux")
    go_available(agent)
    first = pages.citizen()
    start_chat(first, "Mon voisin crie depuis une heure.")
    expect(pane_messages(agent)).to_have_count(1)
    before = first.evaluate(f"localStorage.getItem('{TOKEN_KEY}')")

    other = second_tab(pages, first)
    expect(other.locator("#conversation")).to_be_visible()
    expect(citizen_messages(other)).to_have_count(1)
    assert other.evaluate(f"localStorage.getItem('{TOKEN_KEY}')") != before

    first.context.set_offline(True)
    expect(first.locator("#connection")).to_have_attribute("data-state", "reconnecting")
    first.context.set_offline(False)
    for tab in (first, other):
        expect(tab.locator("#connection")).to_have_attribute("data-state", "online",
                                                             timeout=30_000)
    first.reload()
    other.reload()
    for tab in (first, other):
        expect(tab.locator("#conversation")).to_be_visible()
        expect(citizen_messages(tab)).to_have_count(1)
    send(other, "Je l'entends encore.")
    expect(citizen_messages(first)).to_have_count(2)
    expect(pane_messages(agent)).to_have_count(2)
    expect(agent.locator("#conversation-list li")).to_have_count(1)
    pages.tolerate("WebSocket connection")
    pages.tolerate("net::ERR_INTERNET_DISCONNECTED")
