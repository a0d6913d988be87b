"""Officer and supervisor console at the moments that matter: a citizen who left, a call
the citizen ended, urgent work, look-alike chats, an unstaffed transfer, search and export."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE, Pages
from tests.browser.steps import go_available, open_pane, start_chat
from tests.browser.test_video import wait_playing
from tests.support.gateway_process import GatewayProcess, start_gateway

Shot = Callable[[Page, str], Path]
NEUTRAL_SITE = "https://www.google.fr/search?q=meteo"

# Counts the tones and notifications the page makes, without changing what it does.
WATCH_ATTENTION = """
window.__tones = 0;
window.__notes = [];
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) {
  window.__tones += 1;
  return start.apply(this, args);
};
const Native = window.Notification;
class Watched extends Native {
  constructor(title, options) { super(title, options); window.__notes.push(title); }
}
Object.defineProperty(Watched, "permission", { get: () => Native.permission });
Watched.requestPermission = (...args) => Native.requestPermission(...args);
window.Notification = Watched;
"""


def test_officer_sees_the_citizen_leave_and_closes_in_two_clicks(
        pages: Pages, screenshot: Shot) -> None:
    agent = pages.agent("agent-roux", "Brigadier Roux")
    go_available(agent)
    citizen = pages.citizen()
    start_chat(citizen, "Quelqu'un me suit depuis la gare.")
    pane = open_pane(agent)
    presence = pane.locator(".pane__presence")
    expect(presence).to_have_attribute("data-connected", "true")
    expect(presence).to_contain_text("Citoyen connecté")

    pages.allow_outside(NEUTRAL_SITE)
    citizen.click("#quick-exit")
    citizen.wait_for_url(NEUTRAL_SITE)

    expect(presence).to_have_attribute("data-connected", "false")
    expect(presence).to_contain_text("Le citoyen a quitté la conversation à")
    item = agent.locator("#conversation-list li").first
    expect(item).to_have_attribute("data-citizen-left", "true")
    expect(item.locator(".badge--left")).to_have_text("Citoyen parti")
    screenshot(agent, "agent-citizen-left-desktop")
    agent.set_viewport_size(PHONE)
    screenshot(agent, "agent-citizen-left-phone")

    pane.get_by_role("button", name="Clore la conversation").click()
    expect(pane.locator(".pane__confirm")).to_be_visible()
    screenshot(agent, "agent-close-confirm-phone")
    pane.get_by_role("button", name="Confirmer la clôture").click()
    expect(item).to_contain_text("Terminée")
    expect(agent.locator("#load")).to_have_text("0 / 4")


def test_the_call_ends_on_the_officer_side_when_the_citizen_hangs_up(
        pages: Pages, screenshot: Shot) -> None:
    agent = pages.agent("agent-blanc", "Capitaine Blanc")
    go_available(agent)
    citizen = pages.citizen()
    start_chat(citizen, "Je veux montrer les dégâts.", topic="property")
    pane = open_pane(agent)
    pane.locator(".pane__video").click()
    expect(citizen.locator("#video-invite")).to_be_visible(timeout=20_000)
    citizen.click("#video-accept")
    wait_playing(pane.locator(".pane__remote-video"))

    camera = pane.locator(".pane__camera")
    camera.click()
    expect(camera).to_have_text("Réactiver la caméra")
    assert pane.locator(".pane__local-video").evaluate(
        "v => v.srcObject.getVideoTracks().every(t => !t.enabled)")
    screenshot(agent, "agent-camera-off-desktop")

    citizen.click("#video-hangup")
    expect(pane.locator(".pane__video-area")).to_be_hidden(timeout=20_000)
    expect(pane.locator(".pane__video-state")).to_contain_text("Appel terminé")
    expect(pane.locator(".pane__video-state")).not_to_contain_text("Appel en cours")
    assert pane.locator(".pane__remote-video").evaluate("v => v.srcObject === null")
    expect(pane.locator(".pane__video")).to_be_enabled()


def test_an_urgent_request_rings_retitles_and_notifies(pages: Pages, screenshot: Shot) -> None:
    agent = pages.agent("agent-henry", "Brigadier Henry")
    agent.context.grant_permissions(["notifications"])
    agent.add_init_script(WATCH_ATTENTION)
    agent.reload()
    agent.wait_for_selector("#connection[data-state='online']")
    go_available(agent)
    first = pages.citizen()
    start_chat(first, "Question sur une procuration.")
    expect(agent.locator("#conversation-list li")).to_have_count(1)
    assert agent.evaluate("window.__tones") == 0
    assert agent.title() == "Console des agents"

    victim = pages.citizen()
    victim.click("#discreet")
    listed = agent.locator("#conversation-list li")
    expect(listed).to_have_count(2)
    expect(listed.first).to_have_attribute("data-urgent", "true")
    expect(agent).to_have_title("(1) Urgent — Console des agents")
    agent.wait_for_function("window.__tones >= 2")
    assert agent.evaluate("window.__notes") == ["Alerte discrète reçue"]
    screenshot(agent, "agent-urgent-alert-desktop")

    listed.first.locator("button").click()
    expect(agent).to_have_title("Console des agents")


def test_look_alike_chats_differ_by_reference_words_and_place(
        pages: Pages, screenshot: Shot) -> None:
    agent = pages.agent("agent-leroy", "Brigadier Leroy")
    go_available(agent)
    for text in ("Mon voisin fait du bruit toutes les nuits", "On a rayé ma voiture hier soir"):
        start_chat(pages.citizen(), text, topic="general")
    listed = agent.locator("#conversation-list li")
    expect(listed).to_have_count(2)
    words = listed.locator(".agent__item-words").all_inner_texts()
    assert sorted(words) == ["« Mon voisin fait du bruit toutes les nuits »",
                             "« On a rayé ma voiture hier soir »"]
    refs = listed.locator(".agent__item-ref").all_inner_texts()
    assert len(set(refs)) == 2 and all(r.startswith(" · réf. ") for r in refs)

    pages.citizen().click("#discreet")
    expect(listed).to_have_count(3)
    listed.first.locator("button").click()
    place = open_pane(agent).locator(".pane__place")
    expect(place).to_contain_text("Paris et petite couronne")
    assert "48.8566" not in open_pane(agent).inner_text()
    href = place.locator("a").get_attribute("href") or ""
    assert href.startswith("https://www.openstreetmap.org/?mlat=48.85660&mlon=2.35220")
    reference = open_pane(agent).locator(".pane__ref").inner_text()
    assert reference.startswith("cv_")
    screenshot(agent, "agent-references-desktop")
    agent.set_viewport_size(PHONE)
    screenshot(agent, "agent-references-phone")


def test_a_transfer_to_a_force_with_nobody_online_warns_both(
        pages: Pages, screenshot: Shot) -> None:
    police = pages.agent("agent-mercier", "Brigadier Mercier", "police")
    go_available(police)
    citizen = pages.citizen(PHONE)
    start_chat(citizen, "Je suis en zone rurale.")
    pane = open_pane(police)
    pane.locator(".pane__transfer-toggle").click()
    pane.locator(".pane__transfer-kind").select_option("service")
    pane.locator(".pane__transfer-service").select_option("gendarmerie")
    pane.get_by_role("button", name="Confirmer le transfert").click()

    expect(police.locator("#notice")).to_contain_text("aucun agent n'y est disponible")
    expect(citizen.locator("#notice")).to_contain_text("Gendarmerie nationale")
    expect(citizen.locator("#notice")).to_contain_text("Aucun agent n'y est disponible")
    screenshot(police, "agent-transfer-warning-desktop")
    screenshot(citizen, "citizen-transfer-unstaffed-phone")


def test_availability_reads_as_an_action_with_the_state_beside_it(pages: Pages) -> None:
    agent = pages.agent("agent-noel", "Brigadier Noël")
    expect(agent.locator("#agent-state")).to_have_text("En pause")
    expect(agent.locator("#status-toggle")).to_have_text("Reprendre")
    go_available(agent)
    agent.locator("#status-toggle").click()
    expect(agent.locator("#agent-state")).to_have_text("En pause")
    expect(agent.locator("#status-toggle")).to_have_text("Reprendre")


def test_supervisor_finds_a_closed_conversation_and_exports_it(
        pages: Pages, screenshot: Shot, tmp_path: Path) -> None:
    agent = pages.agent("agent-perrin", "Brigadier Perrin")
    go_available(agent)
    citizen = pages.citizen()
    start_chat(citizen, "On m'a volé mon sac dans le métro.", topic="property")
    reference = open_pane(agent).locator(".pane__ref").inner_text()
    start_chat(pages.citizen(), "Une autre question.", topic="general")
    expect(agent.locator("#conversation-list li")).to_have_count(2)
    agent.locator(f"#conversation-list li[data-conversation-id='{reference}'] button").click()
    open_pane(agent).locator(".pane__close").click()
    open_pane(agent).get_by_role("button", name="Confirmer la clôture").click()

    supervisor = pages.agent("sup-garnier", "Commandant Garnier", role="supervisor")
    supervisor.fill("#search-query", reference[3:11])
    supervisor.select_option("#search-status", "closed")
    supervisor.click("#search-form button[type='submit']")
    rows = supervisor.locator("#search-rows tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-conversation-id", reference)
    expect(rows.first).to_contain_text("On m'a volé mon sac dans le métro.")
    expect(rows.first).to_contain_text("Terminée")

    rows.first.get_by_role("button", name="Exporter").click()
    supervisor.click("#export-form button[type='submit']")
    expect(supervisor.locator("#export-reason")).to_be_focused()
    supervisor.fill("#export-reason", "Réquisition du parquet n° 2026-117")
    supervisor.uncheck("#export-media")
    screenshot(supervisor, "supervisor-search-export-desktop")
    with supervisor.expect_download() as download_info:
        supervisor.click("#export-form button[type='submit']")
    download = download_info.value
    assert download.suggested_filename == f"evidence-{reference}.zip"
    saved = tmp_path / "bundle.zip"
    download.save_as(saved)
    with zipfile.ZipFile(saved) as bundle:
        assert bundle.namelist()
    expect(supervisor.locator("#export-state")).to_contain_text("consigné au journal de preuve")
    supervisor.set_viewport_size(PHONE)
    screenshot(supervisor, "supervisor-search-export-phone")


@pytest.fixture
def quick_alert_gateway(tmp_path: Path) -> Iterator[GatewayProcess]:
    process = start_gateway(tmp_path / "data", env={"RTC_GATEWAY_URGENT_WAIT_ALERT_S": "2"})
    yield process
    process.stop()


def test_supervisor_is_alerted_of_an_urgent_wait_and_sees_queued_and_held(
        browser: Browser, quick_alert_gateway: GatewayProcess, screenshot: Shot) -> None:
    pages = Pages(browser, quick_alert_gateway)
    try:
        supervisor = pages.agent("sup-lucas", "Commandant Lucas", role="supervisor")
        expect(supervisor.locator("#no-selection")).not_to_contain_text("Reprendre")
        agent = pages.agent("agent-colin", "Brigadier Colin", max_chats=1)
        go_available(agent)
        start_chat(pages.citizen(), "Je suis prise en charge.")
        pages.citizen().click("#discreet")

        alert = supervisor.locator("#alerts .agent__alert")
        expect(alert).to_have_count(1, timeout=10_000)
        expect(alert).to_contain_text("Demande urgente en attente depuis")
        expect(supervisor).to_have_title("(1) Urgent — Console des agents")

        listed = supervisor.locator("#conversation-list li")
        expect(listed).to_have_count(2)
        expect(listed.first).to_have_attribute("data-status", "queued")
        expect(listed.first.locator(".agent__held")).to_have_text("En attente")
        expect(listed.first).not_to_contain_text("null")
        expect(listed.nth(1).locator(".agent__held")).to_have_text("Suivie par Brigadier Colin")
        words = listed.nth(1).locator(".agent__item-words")
        expect(words).to_have_text("« Je suis prise en charge. »")
        rows = supervisor.locator("#agents tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-agent-id", "agent-colin")

        oldest = supervisor.locator("#queues tr[data-priority='urgent'] td").nth(3)
        first = _seconds(oldest.inner_text())
        supervisor.wait_for_timeout(2200)
        later = _seconds(oldest.inner_text())
        assert later >= first + 1, f"oldest wait does not tick: {first} -> {later}"
        meta = listed.first.locator(".agent__item-meta").inner_text()
        assert abs(_seconds(meta.rsplit("depuis ", 1)[1]) - _seconds(oldest.inner_text())) <= 1
        screenshot(supervisor, "supervisor-urgent-wait-desktop")
        supervisor.set_viewport_size(PHONE)
        screenshot(supervisor, "supervisor-urgent-wait-phone")
        alert.get_by_role("button", name="Vu").click()
        expect(supervisor).to_have_title("Console des agents")
        expect(alert).to_have_count(0)
    finally:
        pages.close()
    assert pages.watch.unexpected_errors() == []


def _seconds(text: str) -> int:
    """Seconds in "12 s" or "1 min 5 s"."""
    total, number = 0, 0
    for word in text.replace("\u00a0", " ").split():
        if word.isdigit():
            number = int(word)
        elif word == "min":
            total += 60 * number
        elif word == "s":
            total += number
    return total
