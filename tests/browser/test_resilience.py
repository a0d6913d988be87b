"""The citizen's history survives network drops and reloads: every message once, none missing."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import Pages
from tests.browser.steps import (
    citizen_messages,
    go_available,
    pane_messages,
    reply,
    send,
    seqs,
    start_chat,
    texts,
)


def test_offline_citizen_gets_every_message_once(pages: Pages) -> None:
    agent = pages.agent("agent-leroy", "Lieutenant Leroy")
    go_available(agent)
    citizen = pages.citizen()
    start_chat(citizen, "Quelqu'un rôde autour de ma voiture.")
    expect(pane_messages(agent)).to_have_count(1)
    reply(agent, "Restez à l'intérieur, je vous écoute.")
    expect(citizen_messages(citizen)).to_have_count(2)

    citizen.context.set_offline(True)
    expect(citizen.locator("#connection")).to_have_attribute("data-state", "reconnecting")
    send(citizen, "Je suis toujours là.")  # written while offline: kept and sent on return
    written_offline = [f"Message {n} envoyé pendant la coupure." for n in range(1, 6)]
    for text in written_offline:
        reply(agent, text)
    expect(pane_messages(agent)).to_have_count(7)

    citizen.context.set_offline(False)
    expect(citizen.locator("#connection")).to_have_attribute("data-state", "online", timeout=30_000)
    expect(citizen_messages(citizen)).to_have_count(8)
    assert seqs(citizen_messages(citizen)) == list(range(1, 9))
    shown = texts(citizen_messages(citizen))
    for text in written_offline:
        assert shown.count(text) == 1
    assert shown.count("Je suis toujours là.") == 1
    expect(citizen.locator("#messages li:not([data-seq])")).to_have_count(0)
    expect(pane_messages(agent).locator(".msg__text").last).to_have_text("Je suis toujours là.")

    citizen.reload()
    expect(citizen.locator("#conversation")).to_be_visible()
    expect(citizen_messages(citizen)).to_have_count(8)
    assert seqs(citizen_messages(citizen)) == list(range(1, 9))
    assert texts(citizen_messages(citizen)) == shown
    expect(citizen.locator("#chat-status")).to_contain_text("Lieutenant Leroy")

    send(citizen, "Après rechargement.")
    expect(pane_messages(agent)).to_have_count(9)
    pages.tolerate("WebSocket connection")
    pages.tolerate("net::ERR_INTERNET_DISCONNECTED")  # a reconnection poll made while offline


def test_reload_keeps_identity_and_queue_place(pages: Pages) -> None:
    citizen = pages.citizen()
    start_chat(citizen, "Personne n'est encore disponible ?")
    expect(citizen.locator("#chat-status")).to_contain_text("Position dans la file : 1")
    token = citizen.evaluate("localStorage.getItem('rtc-gateway.citizen.token')")
    assert token

    citizen.reload()
    expect(citizen.locator("#conversation")).to_be_visible()
    expect(citizen.locator("#chat-status")).to_contain_text("Position dans la file : 1")
    first = "Personne n'est encore disponible ?"
    expect(citizen_messages(citizen).locator(".msg__text")).to_have_text([first])

    agent = pages.agent("agent-roux", "Adjudant Roux")
    go_available(agent)
    expect(citizen.locator("#chat-status")).to_contain_text("Adjudant Roux")
    expect(pane_messages(agent).locator(".msg__text")).to_have_text([first])


def test_citizen_chats_when_no_websocket_gets_through(pages: Pages) -> None:
    agent = pages.agent("agent-roux", "Brigadier Roux")
    go_available(agent)
    refused: list[str] = []
    citizen = pages.citizen(refused_websockets=refused)
    start_chat(citizen, "Je n'ai qu'un réseau filtré.")
    expect(pane_messages(agent)).to_have_count(1)
    reply(agent, "Je vous reçois bien.")
    expect(citizen_messages(citizen)).to_have_count(2)
    send(citizen, "Merci.")
    expect(pane_messages(agent)).to_have_count(3)
    # The officer may see it before the citizen's next poll brings back its ack.
    expect(citizen_messages(citizen)).to_have_count(3)
    assert seqs(citizen_messages(citizen)) == [1, 2, 3]
    assert refused, "the page tried to upgrade; long-polling carried the whole chat"
    pages.tolerate("WebSocket")
