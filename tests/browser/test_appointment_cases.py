"""Appointments and the citizen's cases in Chromium, against the gateway of
``test_appointments.py`` (a real OpenID provider and SMTP server on loopback): the
citizen books for one of their open cases, the officer links a case to an appointment
booked without one, and the console's call view exchanges the case's documents.

The gateway runs on the real clock and a slot is booked at least an hour ahead: to open
the call now, a test moves the stored appointment's slot to have started a minute ago,
through the same SQLite store the gateway reads."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
from playwright.sync_api import Page, expect

from rtc_gateway.adapters.sqlite.appointment_store import SqliteAppointmentStore
from tests.browser.conftest import PHONE, Pages
from tests.browser.test_appointments import gateway, inbox, keep, provider  # noqa: F401
from tests.gateway.cases.conftest import LYON, complaint
from tests.support.attachment_files import pdf_receipt
from tests.support.gateway_process import GatewayProcess

CASE_UNIT = "police-lyon-1er"
"""The unit handling a case filed in Lyon; the schedule file publishes its slots."""


def verified(pages: Pages) -> Page:
    citizen = pages.citizen()
    citizen.locator("#identity-login").click()
    expect(citizen.locator("#identity-verified")).to_have_text("Identité vérifiée")
    return citizen


def file_complaint(pages: Pages, citizen: Page) -> dict[str, Any]:
    """An online complaint filed in Lyon with the page's verified session."""
    filed = citizen.request.post(f"{pages.gateway.url}/api/v1/complaints",
                                 data=complaint(LYON), headers={"Origin": pages.gateway.url})
    assert filed.status == 201, filed.text()
    case: dict[str, Any] = filed.json()
    assert case["unit_id"] == CASE_UNIT, case
    return case


def book(pages: Pages, citizen: Page, case_id: str | None = None) -> dict[str, Any]:
    slots = citizen.request.get(f"{pages.gateway.url}/api/v1/appointments/slots?unit={CASE_UNIT}")
    body: dict[str, Any] = {"slot_id": slots.json()["slots"][0]["id"]}
    if case_id is not None:
        body["case_id"] = case_id
    booked = citizen.request.post(f"{pages.gateway.url}/api/v1/appointments", data=body,
                                  headers={"Origin": pages.gateway.url})
    assert booked.status == 201, booked.text()
    appointment: dict[str, Any] = booked.json()
    return appointment


def attach(pages: Pages, citizen: Page, case_id: str, data: bytes) -> str:
    sent = citizen.request.post(
        f"{pages.gateway.url}/api/v1/cases/{case_id}/attachments",
        headers={"Origin": pages.gateway.url},
        multipart={"file": {"name": "facture.pdf", "mimeType": "application/pdf",
                            "buffer": data}})
    assert sent.status == 201, sent.text()
    sha256: str = sent.json()["sha256"]
    return sha256


def bring_forward(process: GatewayProcess, appointment_id: str) -> None:
    """The appointment's time has come: its slot started a minute ago."""
    async def move() -> None:
        store = SqliteAppointmentStore(process.data_dir / "appointments.db")
        await store.open()
        try:
            found = await store.get(appointment_id)
            assert found is not None
            start = datetime.now(UTC) - timedelta(minutes=1)
            await store.replace(msgspec.structs.replace(
                found, start=start, end=start + (found.end - found.start)))
        finally:
            await store.close()

    # Sync Playwright keeps an event loop running in this thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, move()).result()


def console_agenda(pages: Pages, agent_id: str) -> Page:
    officer = pages.agent(agent_id, "Brigadier Petit")
    officer.locator("#appointments-unit").fill(CASE_UNIT)
    officer.locator("#appointments-refresh").click()
    expect(officer.locator("#appointments-list li")).to_have_count(1)
    return officer


def test_the_citizen_books_for_one_of_their_open_cases(pages: Pages) -> None:
    citizen = verified(pages)
    case = file_complaint(pages, citizen)
    withdrawn = file_complaint(pages, citizen)
    done = citizen.request.post(f"{pages.gateway.url}/api/v1/cases/{withdrawn['id']}/withdraw",
                                headers={"Origin": pages.gateway.url})
    assert done.status == 200, done.text()
    citizen.reload()  # "Mes démarches" and the booking's choices load the cases
    citizen.wait_for_selector("#connection[data-state='online']")
    expect(citizen.locator("#cases-list li")).to_have_count(2)

    choice = citizen.locator("#rdv-case")
    expect(choice).to_be_visible()
    expect(choice.locator("option")).to_have_text(
        ["Sans dossier", f"{case['reference']} — Plainte en ligne — reçue"])
    choice.select_option(case["id"])
    expect(citizen.locator("#rdv-unit")).to_have_value(CASE_UNIT)
    expect(citizen.locator("#rdv-unit")).to_be_disabled()
    expect(citizen.locator("#rdv-locate")).to_be_disabled()
    expect(citizen.locator("#rdv-case-hint")).to_contain_text(
        f"ceux de l'unité qui traite ce dossier ({CASE_UNIT})")
    slots = citizen.locator("#rdv-slots button")
    expect(slots.first).to_be_visible()
    ids = slots.evaluate_all("buttons => buttons.map(b => b.dataset.slot)")
    assert ids and all(i.startswith(f"{CASE_UNIT}:") for i in ids), ids
    keep(citizen.locator("#rdv"), "citizen-appointment-case-desktop")

    slots.first.click()
    expect(citizen.locator("#rdv-status")).to_contain_text(
        f"pour le dossier {case['reference']}")
    mine = citizen.locator("#rdv-mine li")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text(f"dossier {case['reference']}")
    expect(mine).to_have_attribute("data-case", case["id"])
    listed = citizen.request.get(f"{pages.gateway.url}/api/v1/appointments").json()
    assert [a["case_id"] for a in listed["appointments"]] == [case["id"]]
    citizen.set_viewport_size(PHONE)
    keep(citizen.locator("#rdv"), "citizen-appointment-case-phone")

    choice.select_option("")
    expect(citizen.locator("#rdv-unit")).to_be_enabled()
    expect(citizen.locator("#rdv-case-hint")).to_contain_text("Avec un dossier, l'enquêteur")


def test_the_officer_links_a_case_during_the_call(pages: Pages) -> None:
    citizen = verified(pages)
    case = file_complaint(pages, citizen)
    sha256 = attach(pages, citizen, case["id"], pdf_receipt())
    booked = book(pages, citizen)
    bring_forward(pages.gateway, booked["id"])

    officer = console_agenda(pages, "p-31")
    item = officer.locator("#appointments-list li")
    control = item.locator(".agent__appointment-case")
    expect(control).to_contain_text("Rendez-vous pris sans dossier.")
    item.locator("button", has_text="Ouvrir l'appel").click()
    expect(officer.locator("#appointments-state")).to_contain_text("Appel ouvert")
    expect(officer.locator("[data-documents=none]")).to_contain_text(
        "Rendez-vous pris sans dossier")

    control.locator("button", has_text="Lier un dossier").click()
    options = control.locator("select option")
    expect(options).to_have_count(1)
    expect(options).to_contain_text(case["reference"])
    keep(officer.locator("#appointments"), "console-appointment-link-desktop")
    control.locator("button", has_text="Lier ce dossier").click()
    expect(officer.locator("#appointments-state")).to_have_text(
        f"Dossier {case['reference']} lié au rendez-vous.")
    expect(control).to_have_attribute("data-case", case["id"])
    expect(officer.locator("[data-documents=none]")).to_have_count(0)
    documents = officer.locator(f"section.documents[data-case='{case['id']}']")
    expect(documents.locator(f"li[data-sha256='{sha256}']")).to_contain_text(
        "envoyé par la personne")
    mine = citizen.request.get(f"{pages.gateway.url}/api/v1/appointments/{booked['id']}").json()
    assert mine["case_id"] == case["id"]


def test_the_call_view_exchanges_the_cases_documents(pages: Pages, tmp_path: Path) -> None:
    citizen = verified(pages)
    case = file_complaint(pages, citizen)
    pdf = pdf_receipt()
    sha256 = attach(pages, citizen, case["id"], pdf)
    booked = book(pages, citizen, case["id"])
    bring_forward(pages.gateway, booked["id"])

    officer = console_agenda(pages, "p-32")
    item = officer.locator("#appointments-list li")
    expect(item.locator(".agent__appointment-case")).to_have_attribute("data-case", case["id"])
    documents = officer.locator(f"section.documents[data-case='{case['id']}']")
    expect(documents).to_have_count(0)  # only in the call view
    item.locator("button", has_text="Ouvrir l'appel").click()
    expect(officer.locator("#appointments-video")).to_be_visible()
    sent = documents.locator(f"li[data-sha256='{sha256}']")
    expect(sent).to_contain_text("envoyé par la personne")
    with officer.expect_download() as download:
        sent.locator("button", has_text="Télécharger").click()
    assert Path(download.value.path()).read_bytes() == pdf

    answer = tmp_path / "copie.pdf"
    answer.write_bytes(pdf + b"\n% the officer's copy\n")
    documents.locator("input[type=file]").set_input_files(str(answer))
    documents.locator("button", has_text="Joindre au dossier").click()
    expect(documents.locator("[role=status]")).to_have_text("Document joint au dossier.")
    expect(documents.locator("li[data-sha256]")).to_have_count(2)
    expect(documents.locator("li[data-sha256]", has_text="envoyé par l'enquêteur")).to_have_count(1)
    keep(officer.locator("#appointments"), "console-call-documents-desktop")
    listing = citizen.request.get(f"{pages.gateway.url}/api/v1/cases/{case['id']}/attachments")
    assert [a["author_role"] for a in listing.json()["attachments"]] == ["citizen", "agent"]

    officer.locator("#appointments-hangup").click()
    expect(documents).to_have_count(0)
