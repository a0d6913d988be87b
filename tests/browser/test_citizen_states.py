"""The citizen page at the moments that matter: nobody online, a refused connection, a call
that ends, a closed conversation, the quick exit, and a gateway speaking msgpack."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, PHONE, Pages
from tests.browser.steps import (
    citizen_messages,
    close_pane,
    go_available,
    open_pane,
    pane_messages,
    reply,
    send,
    start_chat,
)
from tests.support.gateway_process import start_gateway

Shot = Callable[[Page, str], Path]
PROTOCOL = Path(__file__).parents[2] / "docs" / "protocol.md"
REFERENCE = re.compile(r"^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$")


@contextmanager
def pages_on(browser: Browser, data_dir: Path, *args: str,
             env: dict[str, str] | None = None) -> Iterator[Pages]:
    """Like the ``pages`` fixture, against a gateway started with these options."""
    gateway = start_gateway(data_dir, *args, env=env)
    opened = Pages(browser, gateway)
    try:
        yield opened
    finally:
        opened.close()
        gateway.stop()
    assert opened.watch.unexpected_errors() == []
    assert set(opened.watch.outside_requests) <= opened.watch.allowed_outside


def open_citizen(pages: Pages, viewport: dict[str, int] | None = None) -> Page:
    """A citizen page that may not get online (the fixture's helper waits for it)."""
    page = pages.context(viewport or DESKTOP).new_page()  # type: ignore[arg-type]
    page.on("console", lambda m: pages.watch.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: pages.watch.errors.append(str(error)))
    page.goto(f"{pages.gateway.url}/demo/")
    return page


def in_viewport(page: Page, selector: str) -> bool:
    return bool(page.eval_on_selector(selector, """node => {
        const box = node.getBoundingClientRect();
        return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight;
    }"""))


def test_nobody_online_is_said_plainly_with_emergency_numbers_and_alternatives(
        browser: Browser, tmp_path: Path, screenshot: Shot) -> None:
    with pages_on(browser, tmp_path / "data",
                  env={"RTC_GATEWAY_WAITING_ALTERNATIVES_AFTER_S": "4"}) as pages:
        citizen = pages.citizen(PHONE)
        start_chat(citizen, "Mon scooter a disparu cette nuit.", service="police")
        staffing = citizen.locator("#waiting-staffing")
        expect(staffing).to_be_visible()
        expect(staffing).to_contain_text("Aucun agent de la Police nationale n'est disponible")
        expect(staffing).to_contain_text(re.compile(r"personne depuis \d\d:\d\d"))
        expect(citizen.locator("#waiting-estimate")).to_have_text("Attente estimée : inconnue.")
        emergency = citizen.locator("#emergency-line")
        expect(emergency).to_be_visible()
        for number in ("17", "112", "114"):
            expect(emergency).to_contain_text(number)
        expect(citizen.locator("#chat-title")).to_have_text("En attente d'un agent")
        reference = citizen.locator("#chat-reference").inner_text()
        assert REFERENCE.match(reference), reference
        expect(citizen.locator("#alternatives")).to_be_hidden()
        screenshot(citizen, "citizen-nobody-online-phone")
        citizen.set_viewport_size(DESKTOP)
        screenshot(citizen, "citizen-nobody-online-desktop")
        citizen.set_viewport_size(PHONE)

        alternatives = citizen.locator("#alternatives")
        expect(alternatives).to_be_visible(timeout=10_000)
        assert alternatives.locator("a").evaluate_all("links => links.map(a => a.href)") == [
            "tel:17", "tel:112", "sms:114"]
        expect(emergency).to_be_visible()
        screenshot(citizen, "citizen-alternatives-phone")
        citizen.set_viewport_size(DESKTOP)
        screenshot(citizen, "citizen-alternatives-desktop")

        citizen.click("#keep-open")
        expect(alternatives).to_be_hidden()
        expect(citizen.locator("#kept-open")).to_contain_text(reference)
        expect(citizen.locator("#kept-open")).to_contain_text("reste ouverte")

        agent = pages.agent("agent-blanc", "Brigadier Blanc")
        go_available(agent)
        expect(citizen.locator("#chat-status")).to_contain_text("Brigadier Blanc")
        expect(citizen.locator("#waiting")).to_be_hidden()
        expect(citizen.locator("#chat-title")).to_have_text("Conversation en cours")


def test_estimate_counts_down_from_measured_handling_time(pages: Pages, screenshot: Shot) -> None:
    agent = pages.agent("agent-roy", "Brigadier Roy", max_chats=1)
    go_available(agent)
    first = pages.citizen()
    start_chat(first, "Première demande.")
    expect(first.locator("#chat-status")).to_contain_text("Brigadier Roy")
    time.sleep(9)  # the measured handling time: about 10 s
    close_pane(agent)
    expect(first.locator("#chat-title")).to_have_text("Conversation terminée")

    busy = pages.citizen()
    start_chat(busy, "Deuxième demande.")
    expect(busy.locator("#chat-status")).to_contain_text("Brigadier Roy")
    waiting = pages.citizen()
    start_chat(waiting, "Troisième demande.")
    estimate = waiting.locator("#waiting-estimate")
    expect(estimate).to_contain_text(re.compile(r"environ \d+ s"))
    expect(waiting.locator("#waiting-staffing")).to_be_hidden()
    first_reading = int(re.findall(r"\d+", estimate.inner_text())[0])
    screenshot(waiting, "citizen-estimate-desktop")
    waiting.set_viewport_size(PHONE)
    screenshot(waiting, "citizen-estimate-phone")
    time.sleep(2.2)
    second_reading = int(re.findall(r"\d+", estimate.inner_text())[0])
    assert second_reading < first_reading, (first_reading, second_reading)
    expect(estimate).to_contain_text("dépassée", timeout=15_000)


def test_refused_connection_disables_explains_where_tapped_and_retries(
        browser: Browser, tmp_path: Path, screenshot: Shot) -> None:
    quota = {"RTC_GATEWAY_ANONYMOUS_PER_IP": "1", "RTC_GATEWAY_ANONYMOUS_WINDOW_S": "10"}
    with pages_on(browser, tmp_path / "data", env=quota) as pages:
        pages.tolerate("Failed to load resource")
        pages.citizen()  # takes the one new identity the window allows
        refused = open_citizen(pages, PHONE)  # type: ignore[arg-type]
        start_error = refused.locator("#start-error")
        expect(start_error).to_contain_text("trop de nouvelles connexions")
        expect(start_error).to_contain_text("Nouvel essai automatique")
        expect(refused.locator("#start-button")).to_have_attribute("aria-disabled", "true")
        expect(refused.locator("#discreet")).to_have_attribute("aria-disabled", "true")
        screenshot(refused, "citizen-refused-phone")
        refused.set_viewport_size(DESKTOP)
        screenshot(refused, "citizen-refused-desktop")
        refused.set_viewport_size(PHONE)

        # A finger on a greyed button still lands (Playwright waits for enabled ones).
        refused.locator("#discreet").click(force=True)
        expect(refused.locator("#discreet-error")).to_be_visible()
        assert in_viewport(refused, "#discreet-error"), "the error is next to the finger"
        expect(refused.locator("#conversation")).to_be_hidden()
        assert "rate_limited" not in refused.locator("body").inner_text()

        expect(refused.locator("#connection")).to_have_attribute("data-state", "online",
                                                                 timeout=30_000)
        expect(start_error).to_be_hidden()
        expect(refused.locator("#discreet")).to_have_attribute("aria-disabled", "false")
        refused.locator("#discreet").click()
        expect(refused.locator("#conversation")).to_be_visible()


def test_call_start_and_end_are_lines_in_both_conversations(
        pages: Pages, screenshot: Shot) -> None:
    agent = pages.agent("agent-morel", "Brigadier Morel")
    go_available(agent)
    citizen = pages.citizen(PHONE)
    start_chat(citizen, "Je voudrais montrer les dégâts en vidéo.", topic="property")
    expect(citizen.locator("#chat-status")).to_contain_text("Brigadier Morel")

    pane = open_pane(agent)
    pane.locator(".pane__video").click()
    expect(citizen.locator("#video-invite")).to_be_visible(timeout=20_000)
    expect(citizen.locator("#video-invite")).to_contain_text("L'appel est enregistré")
    citizen_lines = citizen.locator("#messages li.msg--system .msg__text")
    agent_lines = pane.locator("li.msg--system .msg__text")
    expect(citizen_lines).to_have_count(1)
    expect(citizen_lines.first).to_contain_text("enregistré")
    expect(agent_lines).to_have_count(1)
    citizen.click("#video-accept")
    expect(citizen.locator("#video")).to_be_visible()
    time.sleep(2)
    pane.locator(".pane__hangup").click()
    expect(citizen.locator("#video")).to_be_hidden(timeout=20_000)
    expect(citizen_lines).to_have_count(2, timeout=20_000)
    expect(citizen_lines.last).to_contain_text("Appel vidéo terminé")
    expect(citizen_lines.last).to_contain_text("conservé comme preuve")
    expect(agent_lines).to_have_count(2)
    assert citizen_lines.all_inner_texts() == agent_lines.all_inner_texts()
    screenshot(citizen, "citizen-call-lines-phone")
    screenshot(agent, "agent-call-lines-desktop")
    citizen.set_viewport_size(DESKTOP)
    screenshot(citizen, "citizen-call-lines-desktop")
    citizen.reload()
    expect(citizen.locator("#messages li.msg--system")).to_have_count(2)


def test_words_after_close_reference_thesee_received_and_french_errors(
        pages: Pages, screenshot: Shot) -> None:
    citizen = pages.citizen()
    citizen.select_option("#topic", value="online_scam")
    expect(citizen.locator("#topic-hint")).to_contain_text("THESEE est le service en ligne")
    expect(citizen.locator("#topic-hint")).to_contain_text("escroquerie")
    screenshot(citizen, "citizen-thesee-desktop")

    codes = re.search(r"with CODE one of\s+(.*?)\.\n", PROTOCOL.read_text(), re.S)
    assert codes is not None
    contract_codes = re.findall(r"`(\w+)`", codes.group(1))
    assert "rate_limited" in contract_codes and len(contract_codes) == 9
    texts = citizen.evaluate("""async (codes) => {
        const { ERROR_TEXT, errorText } = await import('/demo/js/errors.js');
        return codes.map((code) => [code in ERROR_TEXT, errorText(code)]);
    }""", contract_codes)
    for code, (mapped, text) in zip(contract_codes, texts, strict=True):
        assert mapped, f"{code} has no French text"
        assert code not in text, (code, text)
        assert not re.search(r"\b(the|is|not|no|such|too|invalid|error|request|retry)\b",
                             text, re.I), (code, text)
    assert len({text for _, text in texts}) == len(contract_codes), "one text per code"

    agent = pages.agent("agent-girard", "Brigadier Girard")
    go_available(agent)
    start_chat(citizen, "Un faux site m'a débité 300 euros.", topic="online_scam")
    expect(citizen.locator("#chat-status")).to_contain_text("Brigadier Girard")
    reference = citizen.locator("#chat-reference").inner_text()
    assert REFERENCE.match(reference)
    send(citizen, "Voici le lien du site.")
    marks = citizen_messages(citizen).locator(".msg__mark")
    expect(marks.last).to_have_text(re.compile(r"^(reçu|lu)$"))
    assert "enregistré" not in " ".join(marks.all_inner_texts())

    citizen.evaluate("document.getElementById('message-input').removeAttribute('maxlength')")
    send(citizen, "x" * 4001)
    failed = citizen.locator("#messages li.msg--failed .msg__mark")
    expect(failed).to_contain_text("Message trop long : 4 000 caractères au plus.")
    body = citizen.locator("body").inner_text()
    assert "characters" not in body and "too_large" not in body

    reply(agent, "Merci, je clos la conversation, votre plainte sera traitée.")
    expect(pane_messages(agent)).to_have_count(3)
    close_pane(agent)
    expect(citizen.locator("#chat-title")).to_have_text("Conversation terminée")
    expect(citizen.locator("#chat-title")).not_to_have_text("Conversation en cours")
    expect(citizen.locator("#closed-reference")).to_contain_text(reference)
    screenshot(citizen, "citizen-closed-desktop")
    citizen.set_viewport_size(PHONE)
    screenshot(citizen, "citizen-closed-phone")


def test_quick_exit_goes_to_the_configured_site_and_leaves_no_way_back(
        browser: Browser, tmp_path: Path) -> None:
    destination = "https://example.org/meteo-du-jour"
    with pages_on(browser, tmp_path / "data",
                  env={"RTC_GATEWAY_QUICK_EXIT_URL": destination}) as pages:
        citizen = pages.citizen()
        start_chat(citizen, "Je dois partir vite.")
        pages.allow_outside(destination)
        citizen.wait_for_function("fetch('/api/v1/client-config').then(() => true)")
        entries = citizen.evaluate("history.length")
        citizen.click("#quick-exit")
        citizen.wait_for_url(destination)
        assert citizen.evaluate("history.length") == entries, "the chat page was replaced"
        citizen.go_back()
        assert "/demo/" not in citizen.url, "Back must not return to the chat"


def test_pages_work_against_a_msgpack_gateway(browser: Browser, tmp_path: Path,
                                              screenshot: Shot) -> None:
    with pages_on(browser, tmp_path / "data", "--serializer", "msgpack") as pages:
        agent = pages.agent("agent-rey", "Brigadier Rey")
        go_available(agent)
        citizen = pages.citizen(PHONE)
        start_chat(citizen, "Bonjour, message en msgpack.")
        expect(citizen.locator("#chat-status")).to_contain_text("Brigadier Rey")
        expect(pane_messages(agent).locator(".msg__text")).to_have_text(
            ["Bonjour, message en msgpack."])
        reply(agent, "Bien reçu.")
        expect(citizen_messages(citizen).locator(".msg__text")).to_have_text(
            ["Bonjour, message en msgpack.", "Bien reçu."])
        assert citizen.evaluate("fetch('/api/v1/client-config').then(r => r.json())")[
            "serializer"] == "msgpack"
