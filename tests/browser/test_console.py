"""Officer console: sign-in refusal, supervision of agents, transfer between services."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, Pages
from tests.browser.steps import go_available, open_pane, pane_messages, start_chat


def test_bad_token_is_refused_with_a_message(pages: Pages) -> None:
    page = pages.context().new_page()
    page.goto(f"{pages.gateway.url}/demo/agent.html#token=not-a-token")
    expect(page.locator("#notice")).to_contain_text("Jeton refusé")
    expect(page.locator("#sign-in")).to_be_visible()
    expect(page.locator("#console")).to_be_hidden()
    assert "not-a-token" not in page.url
    pages.tolerate("WebSocket")


def test_supervisor_sees_agents_load(
    pages: Pages, screenshot: Callable[[Page, str], Path]
) -> None:
    supervisor = pages.agent("sup-bernard", "Commandant Bernard", role="supervisor")
    expect(supervisor.locator("#supervision")).to_be_visible()
    agent = pages.agent("agent-moreau", "Brigadier Moreau", max_chats=2)
    go_available(agent)
    row = supervisor.locator("#agents tr[data-agent-id='agent-moreau']")
    expect(row).to_have_attribute("data-status", "available")
    expect(row).to_contain_text("0 / 2")

    citizen = pages.citizen()
    start_chat(citizen, "Bonjour, une question sur une procuration.")
    expect(row).to_contain_text("1 / 2")
    watched = supervisor.locator("#conversation-list li")
    expect(watched).to_have_count(1)
    watched.first.locator("button").click()
    expect(pane_messages(supervisor).locator(".msg__text")).to_have_text(
        ["Bonjour, une question sur une procuration."]
    )
    expect(supervisor.locator("#status-toggle")).to_be_hidden()
    expect(supervisor.locator("#agents tr[data-agent-id='sup-bernard']")).to_have_count(0)
    expect(supervisor.locator("#no-selection")).not_to_contain_text("Passez")
    waiting = pages.citizen()
    start_chat(waiting, "Je patiente.", service="gendarmerie")
    expect(supervisor.locator("#queues tr[data-service='gendarmerie']")).to_contain_text("1")
    screenshot(supervisor, "supervisor-console-desktop")
    supervisor.set_viewport_size(PHONE)
    screenshot(supervisor, "supervisor-console-phone")


def test_transfer_to_gendarmerie(pages: Pages) -> None:
    police = pages.agent("agent-simon", "Brigadier Simon", "police")
    gendarme = pages.agent("agent-lambert", "Gendarme Lambert", "gendarmerie")
    go_available(police)
    go_available(gendarme)
    citizen = pages.citizen()
    start_chat(citizen, "J'habite un village, est-ce bien à vous de répondre ?")
    expect(police.locator("#conversation-list li")).to_have_count(1)

    pane = open_pane(police)
    pane.locator(".pane__transfer-toggle").click()
    pane.locator(".pane__transfer-kind").select_option("service")
    pane.locator(".pane__transfer-service").select_option("gendarmerie")
    pane.get_by_role("button", name="Confirmer le transfert").click()

    expect(police.locator("#conversation-list li")).to_have_count(0)
    expect(gendarme.locator("#conversation-list li")).to_have_count(1)
    expect(pane_messages(gendarme).locator(".msg__text").first).to_have_text(
        "J'habite un village, est-ce bien à vous de répondre ?"
    )
    expect(citizen.locator("#chat-status")).to_contain_text("Gendarme Lambert")
