"""A citizen and an officer chat both ways, each in a real browser context."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, Pages
from tests.browser.steps import (
    citizen_messages,
    close_pane,
    go_available,
    open_pane,
    pane_messages,
    reply,
    send,
    seqs,
    start_chat,
    texts,
)

Shot = Callable[[Page, str], Path]


def test_citizen_and_officer_chat_both_ways(pages: Pages, screenshot: Shot) -> None:
    agent = pages.agent("agent-dupont", "Brigadier Dupont")
    go_available(agent)
    citizen = pages.citizen()

    start_chat(citizen, "Bonjour, on m'a volé mon vélo devant la gare.", topic="property")
    expect(citizen.locator("#chat-status")).not_to_be_empty()
    expect(citizen.locator("#chat-status")).to_contain_text("Brigadier Dupont")
    expect(citizen.locator("#chat-status")).to_contain_text("Police nationale")

    expect(agent.locator("#conversation-list li")).to_have_count(1)
    expect(pane_messages(agent).locator(".msg__text")).to_have_text(
        ["Bonjour, on m'a volé mon vélo devant la gare."]
    )

    open_pane(agent).locator(".pane__input").press_sequentially("Je", delay=30)
    expect(citizen.locator("#typing")).to_have_text("L'agent écrit…")
    reply(agent, "Bonjour, je m'en occupe. Où exactement ?")
    expect(citizen_messages(citizen).locator(".msg__text")).to_have_text(
        ["Bonjour, on m'a volé mon vélo devant la gare.",
         "Bonjour, je m'en occupe. Où exactement ?"]
    )
    expect(citizen.locator("#typing")).to_have_text("")

    send(citizen, "Gare de Lyon, côté parking.")
    expect(pane_messages(agent).locator(".msg__text")).to_have_text([
        "Bonjour, on m'a volé mon vélo devant la gare.",
        "Bonjour, je m'en occupe. Où exactement ?",
        "Gare de Lyon, côté parking.",
    ])
    # The officer's pane is open, so the citizen's messages are reported read.
    last_mark = citizen_messages(citizen).last.locator(".msg__mark")
    expect(last_mark).to_have_attribute("data-mark", "read")
    expect(open_pane(agent).locator("li[data-sender='agent'] .msg__mark")).to_have_attribute(
        "data-mark", "read"
    )
    assert seqs(citizen_messages(citizen)) == [1, 2, 3]
    assert seqs(pane_messages(agent)) == [1, 2, 3]

    screenshot(citizen, "citizen-chat-desktop")
    screenshot(agent, "agent-console-desktop")
    citizen.set_viewport_size(PHONE)
    agent.set_viewport_size(PHONE)
    screenshot(citizen, "citizen-chat-phone")
    screenshot(agent, "agent-console-phone")

    close_pane(agent)
    expect(citizen.locator("#chat-status")).to_have_text("L'agent a terminé la conversation.")
    expect(citizen.locator("#composer")).to_be_hidden()
    citizen.click("#new-conversation")
    expect(citizen.locator("#start")).to_be_visible()
    expect(citizen.locator("#topic")).to_be_focused()
    assert pages.watch.outside_requests == []
    assert websockets_taken(pages.gateway.url) >= 2, \
        "both pages upgraded from long-polling through the front door, not through aiohttp"


def websockets_taken(gateway_url: str) -> float:
    with urllib.request.urlopen(f"{gateway_url}/metrics", timeout=5) as response:
        metrics = response.read().decode()
    line = next(line for line in metrics.splitlines()
                if line.startswith("rtc_websockets_taken_total "))
    return float(line.split()[1])


def test_start_page_screens(pages: Pages, screenshot: Shot) -> None:
    citizen = pages.citizen()
    screenshot(citizen, "citizen-start-desktop")
    phone = pages.citizen(PHONE)
    screenshot(phone, "citizen-start-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_markup_in_messages_shows_as_text(pages: Pages) -> None:
    payload = '<img src=x onerror="window.__injected = 1">'
    agent = pages.agent("agent-martin", "Gendarme Martin", "gendarmerie")
    go_available(agent)
    citizen = pages.citizen()
    start_chat(citizen, service="gendarmerie")
    expect(agent.locator("#conversation-list li")).to_have_count(1)

    send(citizen, payload)
    expect(pane_messages(agent).locator(".msg__text")).to_have_text([payload])
    reply(agent, f"Vous avez écrit : {payload}")
    expect(citizen_messages(citizen).locator(".msg__text")).to_have_text(
        [payload, f"Vous avez écrit : {payload}"]
    )
    for page in (agent, citizen):
        assert page.locator(".chat__log img").count() == 0
        assert page.evaluate("window.__injected") is None
    assert texts(citizen_messages(citizen))[0] == payload


UNLABELLED_FIELDS = """
() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(node => node.offsetParent !== null)
  .filter(node => !(node.labels && node.labels.length) && !node.getAttribute('aria-label')
                  && !node.textContent.trim())
  .map(node => node.outerHTML)
"""


def test_citizen_starts_a_chat_with_the_keyboard_only(pages: Pages) -> None:
    agent = pages.agent("agent-blanc", "Gendarme Blanc", "gendarmerie")
    go_available(agent)
    citizen = pages.citizen()
    assert citizen.evaluate(UNLABELLED_FIELDS) == []

    citizen.focus("#topic")
    citizen.keyboard.press("ArrowDown")
    citizen.keyboard.press("Tab")
    expect(citizen.locator("input[value='police']")).to_be_focused()
    citizen.keyboard.press("ArrowRight")
    expect(citizen.locator("input[value='gendarmerie']")).to_be_checked()
    citizen.keyboard.press("Tab")
    expect(citizen.locator("#first-message")).to_be_focused()
    citizen.keyboard.type("Tapé au clavier.")
    citizen.keyboard.press("Tab")
    expect(citizen.locator("#start-button")).to_be_focused()
    citizen.keyboard.press("Enter")

    expect(citizen.locator("#message-input")).to_be_focused()
    expect(pane_messages(agent).locator(".msg__text")).to_have_text(["Tapé au clavier."])
    citizen.keyboard.type("Et la suite.")
    citizen.keyboard.press("Enter")
    expect(pane_messages(agent)).to_have_count(2)
    assert agent.evaluate(UNLABELLED_FIELDS) == []
