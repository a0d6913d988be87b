"""The discreet alert: silent, unremarkable on screen, first in the console; the quick exit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, Pages
from tests.browser.steps import close_pane, go_available, open_pane, reply, start_chat

Shot = Callable[[Page, str], Path]
NEUTRAL_SITE = "https://www.google.fr/search?q=meteo"


def test_discreet_alert_overtakes_waiting_chat(pages: Pages, screenshot: Shot) -> None:
    agent = pages.agent("agent-petit", "Brigadier Petit", max_chats=1)
    waiting = pages.citizen()
    start_chat(waiting, "Je voudrais déposer une pré-plainte pour un vol.")
    expect(waiting.locator("#chat-status")).to_contain_text("Position dans la file : 1")
    expect(agent.locator("#queues tr")).to_have_count(1)

    victim = pages.citizen(PHONE)
    victim.click("#discreet")
    expect(victim.locator("#conversation")).to_be_visible()
    visible = victim.locator("body").inner_text().lower()
    for alarming in ("alerte", "urgen", "police", "danger"):
        assert alarming not in visible, f"{alarming!r} shown after a discreet alert"
    assert victim.evaluate("document.querySelectorAll('audio').length") == 0

    expect(agent.locator("#queues tr").first).to_have_attribute("data-priority", "urgent")
    expect(waiting.locator("#chat-status")).to_contain_text("Position dans la file : 2")

    go_available(agent)
    first = agent.locator("#conversation-list li").first
    expect(first).to_have_attribute("data-urgent", "true")
    expect(first).to_contain_text("Discrète")
    expect(agent.locator("#conversation-list li")).to_have_count(1)
    expect(open_pane(agent).locator(".pane__status")).to_contain_text("alerte discrète")
    expect(open_pane(agent).locator(".pane__place")).to_contain_text("Paris et petite couronne")
    expect(open_pane(agent).locator(".pane__status")).not_to_contain_text("48.8566")
    expect(waiting.locator("#chat-status")).to_contain_text("Position dans la file : 1")
    screenshot(victim, "citizen-discreet-phone")
    screenshot(agent, "agent-discreet-desktop")

    close_pane(agent)
    expect(agent.locator("#conversation-list li").first).to_have_attribute("data-urgent", "false")
    expect(waiting.locator("#chat-status")).to_contain_text("Brigadier Petit")


def test_quick_exit_leaves_and_forgets(pages: Pages) -> None:
    citizen = pages.citizen()
    start_chat(citizen, "Je ne suis pas seule, je ne peux pas trop écrire.")
    token = citizen.evaluate("localStorage.getItem('rtc-gateway.citizen.token')")
    assert token
    citizen.evaluate("sessionStorage.setItem('trace', '1')")
    origin = citizen.url.split("/demo/")[0]

    pages.allow_outside(NEUTRAL_SITE)
    citizen.click("#quick-exit")
    citizen.wait_for_url(NEUTRAL_SITE)
    assert pages.watch.outside_requests == [NEUTRAL_SITE]

    citizen.goto(f"{origin}/demo/")
    expect(citizen.locator("#start")).to_be_visible()
    assert citizen.evaluate("sessionStorage.getItem('trace')") is None
    expect(citizen.locator("#connection")).to_have_attribute("data-state", "online")
    citizen.wait_for_function("localStorage.getItem('rtc-gateway.citizen.token') !== null")
    assert citizen.evaluate("localStorage.getItem('rtc-gateway.citizen.token')") != token
    expect(citizen.locator("#conversation")).to_be_hidden()


def test_urgent_conversation_is_listed_first_with_unread_count(
    pages: Pages, screenshot: Shot
) -> None:
    agent = pages.agent("agent-faure", "Brigadier Faure", max_chats=3)
    go_available(agent)
    first = pages.citizen()
    start_chat(first, "Question sur une amende.", topic="road")
    expect(agent.locator("#conversation-list li")).to_have_count(1)
    reply(agent, "Bonjour, je regarde votre dossier.")

    victim = pages.citizen()
    victim.click("#discreet")
    expect(agent.locator("#conversation-list li")).to_have_count(2)
    listed = agent.locator("#conversation-list li")
    expect(listed.first).to_have_attribute("data-urgent", "true")
    expect(listed.nth(1)).to_have_attribute("data-urgent", "false")

    victim.fill("#message-input", "Il est dans la pièce à côté.")
    victim.press("#message-input", "Enter")
    victim.fill("#message-input", "Je ne peux pas appeler.")
    victim.press("#message-input", "Enter")
    expect(listed.first).to_have_attribute("data-unread", "2")
    expect(listed.first.locator(".badge--count")).to_have_text("2")
    expect(listed.first).to_contain_text("attend depuis")
    screenshot(agent, "agent-urgent-desktop")

    listed.first.locator("button").click()
    expect(listed.first).to_have_attribute("data-unread", "0")
    expect(victim.locator("#messages li[data-seq]").last.locator(".msg__mark")).to_have_attribute(
        "data-mark", "read"
    )
