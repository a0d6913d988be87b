"""Reusable user actions on the demo pages, written the way a person would perform them."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect


def start_chat(citizen: Page, text: str = "", service: str = "police",
               topic: str | None = None) -> None:
    """Pick a topic (the first one unless named) and a service, optionally with a first message."""
    if topic is None:
        citizen.select_option("#topic", index=1)
    else:
        citizen.select_option("#topic", value=topic)
    citizen.check(f"input[name='service'][value='{service}']")
    if text:
        citizen.fill("#first-message", text)
    citizen.click("#start-button")
    expect(citizen.locator("#conversation")).to_be_visible()


def send(page: Page, text: str, input_selector: str = "#message-input") -> None:
    page.fill(input_selector, text)
    page.press(input_selector, "Enter")


def go_available(agent: Page) -> None:
    toggle = agent.locator("#status-toggle")
    expect(toggle).to_be_visible()
    if toggle.get_attribute("data-status") != "available":
        expect(toggle).to_have_text("Reprendre")
        toggle.click()
    expect(agent.locator("#notice")).to_be_hidden()
    expect(toggle).to_have_text("Passer en pause")
    expect(agent.locator("#agent-state")).to_have_text("Disponible")


def citizen_messages(citizen: Page) -> Locator:
    return citizen.locator("#messages li[data-seq]")


def open_pane(agent: Page) -> Locator:
    """The visible conversation pane of the console."""
    return agent.locator("#panes article:not([hidden])")


def pane_messages(agent: Page) -> Locator:
    return open_pane(agent).locator(".pane__messages li[data-seq]")


def reply(agent: Page, text: str) -> None:
    field = open_pane(agent).locator(".pane__input")
    field.fill(text)
    field.press("Enter")


def seqs(messages: Locator) -> list[int]:
    return [int(value) for value in messages.evaluate_all("items => items.map(i => i.dataset.seq)")]


def texts(messages: Locator) -> list[str]:
    return list(messages.locator(".msg__text").all_inner_texts())


def close_pane(agent: Page) -> None:
    """Clore, then confirm: closing asks once, in the pane."""
    pane = open_pane(agent)
    pane.locator(".pane__close").click()
    expect(pane.locator(".pane__confirm")).to_be_visible()
    pane.get_by_role("button", name="Confirmer la clôture").click()
