"""The citizen page books a video appointment (the e-mail reaches a real SMTP server on
loopback), the join page admits its citizen only, the console lists the agenda and
writes the statement; an outside-the-walls request goes from the page to the console."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, Pages
from tests.browser.test_identity import ProviderThread
from tests.gateway.appointments.conftest import Inbox
from tests.gateway.cases.conftest import LYON, complaint
from tests.support.attachment_files import pdf_receipt
from tests.support.gateway_process import GatewayProcess, free_port, start_gateway
from tests.support.oidc_provider import TestProvider

MAIL_FROM = "visioplainte@police.example"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def keep(part: Locator | Page, name: str) -> None:
    """A screenshot of one section (or a whole page) for the tests' folder, and a copy
    for the documentation."""
    SCREENSHOTS.mkdir(exist_ok=True)
    DOCS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if isinstance(part, Page):
        part.screenshot(path=str(path), full_page=True)
    else:
        part.screenshot(path=str(path))
    shutil.copyfile(path, DOCS / f"{name}.png")


@pytest.fixture
def provider() -> Iterator[TestProvider]:
    with ProviderThread() as provider:
        yield provider


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    received = Inbox()
    port = free_port()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    yield received, port
    controller.stop()


@pytest.fixture
def gateway(tmp_path: Path, provider: TestProvider,
            inbox: tuple[Inbox, int]) -> Iterator[GatewayProcess]:
    schedules = tmp_path / "schedules.json"
    # police-lyon-1er handles the cases filed in Lyon (tests.gateway.cases.conftest.LYON).
    schedules.write_text(json.dumps({"schedules": [{
        "unit_id": unit,
        "weekly": [{"weekday": d, "start": "00:00", "end": "23:30"} for d in range(7)]}
        for unit in ("police-lyon", "police-lyon-1er")]}))
    port = free_port()
    process = start_gateway(tmp_path / "data", port=port, env={
        "RTC_GATEWAY_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "RTC_GATEWAY_OIDC_ISSUER": provider.url,
        "RTC_GATEWAY_OIDC_CLIENT_ID": provider.client_id,
        "RTC_GATEWAY_OIDC_CLIENT_SECRET": provider.client_secret,
        "RTC_GATEWAY_SMTP_URL": f"smtp://127.0.0.1:{inbox[1]}",
        "RTC_GATEWAY_MAIL_FROM": MAIL_FROM,
        "RTC_GATEWAY_APPOINTMENT_SCHEDULES": str(schedules),
    })
    yield process
    process.stop()


def test_a_citizen_books_and_the_unit_prepares_the_statement(
        pages: Pages, inbox: tuple[Inbox, int]) -> None:
    pages.tolerate("status of 401")  # the stranger's join page, before any login
    citizen = pages.citizen()
    citizen.locator("#identity-login").click()
    expect(citizen.locator("#identity-verified")).to_have_text("Identité vérifiée")
    citizen.locator("#rdv-unit").fill("police-lyon")
    citizen.locator("#rdv-search").click()
    expect(citizen.locator("#rdv-slots button").first).to_be_visible()
    citizen.locator("#rdv-slots button").first.click()
    expect(citizen.locator("#rdv-status")).to_contain_text("Rendez-vous réservé le")
    expect(citizen.locator("#rdv-mine li")).to_have_count(1)
    join_url = citizen.locator("#rdv-mine li a").get_attribute("href")
    assert join_url and join_url.startswith(f"{pages.gateway.url}/demo/rendez-vous.html#")
    keep(citizen.locator("#rdv"), "citizen-appointments-desktop")
    citizen.set_viewport_size(PHONE)
    keep(citizen.locator("#rdv"), "citizen-appointments-phone")

    received, _ = inbox
    for _ in range(100):
        if received.received:
            break
        citizen.wait_for_timeout(100)
    _, recipients, message = received.received[0]
    assert recipients == ["marie.dupont@example.fr"] and message["From"] == MAIL_FROM
    assert join_url in message.get_body(("plain",)).get_content()

    citizen.goto(join_url)
    expect(citizen.locator("#rdv-state")).to_have_text(
        "L'enquêteur n'a pas encore ouvert l'appel. Restez sur cette page.")
    expect(citizen.locator("#rdv-when")).to_contain_text("police-lyon")
    expect(citizen.locator("[data-documents=none]")).to_contain_text(
        "Aucun dossier n'est lié à ce rendez-vous")
    keep(citizen, "citizen-join-phone")
    citizen.set_viewport_size(DESKTOP)
    stranger = pages.context().new_page()
    stranger.goto(join_url)
    expect(stranger.locator("#rdv-login")).to_be_visible()

    officer = pages.agent("p-17", "Brigadier Leroy")
    officer.locator("#appointments-unit").fill("police-lyon")
    officer.locator("#appointments-refresh").click()
    item = officer.locator("#appointments-list li")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Marie Dupont")
    item.locator("textarea").fill("Je déclare le vol de mon vélo le 30 novembre.")
    item.locator("button", has_text="Enregistrer le procès-verbal").click()
    expect(officer.locator("#appointments-state")).to_have_text("Procès-verbal enregistré.")
    expect(item.locator("button", has_text="Télécharger le PDF")).to_be_visible()
    keep(officer.locator("#appointments"), "console-appointments-desktop")


def test_an_outside_walls_request_reaches_the_competent_force(pages: Pages) -> None:
    citizen = pages.citizen()
    form = citizen.locator("#hm-form")
    form.locator("#hm-address").fill("3 rue des Lilas, cabinet médical")
    form.locator("#hm-host").fill("mon médecin")
    form.locator("#hm-start").fill("2030-03-04T14:00")
    form.locator("#hm-end").fill("2030-03-04T16:00")
    form.locator("#hm-code").fill("mimosa")
    citizen.locator("#hm-submit").click()
    expect(citizen.locator("#hm-status")).to_contain_text("Demande enregistrée : HM-")
    expect(citizen.locator("#hm-follow")).to_contain_text("Votre demande est reçue.")
    expect(citizen.locator("#hm-follow")).not_to_contain_text("médecin")

    gendarme = pages.agent("g-1", "Gendarme Roux", "gendarmerie")
    expect(gendarme.locator("#outside-walls-state")).to_have_text("Aucune demande.")
    officer = pages.agent("p-paris", "Brigadier Paris")
    request = officer.locator("#outside-walls-list li")
    expect(request).to_have_count(1)
    expect(request).to_contain_text("Mot de passe : mimosa")
    expect(request).to_contain_text("Ne jamais appeler ni se rendre au domicile.")
    request.locator("button", has_text="Accepter").click()
    expect(request).to_contain_text("acceptée")
    keep(officer.locator("#outside-walls"), "console-outside-walls-desktop")
    citizen.locator("#hm-follow button", has_text="Actualiser").click()
    expect(citizen.locator("#hm-follow")).to_contain_text("Votre demande est prise en charge.")
    citizen.set_viewport_size(PHONE)
    keep(citizen.locator("#hm"), "citizen-outside-walls-phone")


def test_the_join_page_exchanges_the_cases_documents(pages: Pages, tmp_path: Path) -> None:
    citizen = pages.citizen()
    citizen.locator("#identity-login").click()
    expect(citizen.locator("#identity-verified")).to_have_text("Identité vérifiée")
    origin = {"Origin": pages.gateway.url}
    body = {key: value for key, value in complaint(LYON).items() if key != "place"}
    body["unit_id"] = "police-lyon"  # the unit whose slots the schedule file publishes
    filed = citizen.request.post(f"{pages.gateway.url}/api/v1/complaints",
                                 data=body, headers=origin)
    assert filed.status == 201, filed.text()
    case_id = filed.json()["id"]
    slots = citizen.request.get(f"{pages.gateway.url}/api/v1/appointments/slots?unit=police-lyon")
    booked = citizen.request.post(f"{pages.gateway.url}/api/v1/appointments", headers=origin,
                                  data={"slot_id": slots.json()["slots"][0]["id"],
                                        "case_id": case_id})
    assert booked.status == 201, booked.text()

    citizen.goto(booked.json()["join_url"])
    documents = citizen.locator(f"section.documents[data-case='{case_id}']")
    expect(documents).to_contain_text("Aucun document pour l'instant.")
    pdf = tmp_path / "facture.pdf"
    pdf.write_bytes(pdf_receipt())
    documents.locator("input[type=file]").set_input_files(str(pdf))
    documents.locator("button", has_text="Joindre au dossier").click()
    expect(documents.locator("[role=status]")).to_have_text("Document joint au dossier.")
    item = documents.locator("li[data-sha256]")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(".pdf")
    expect(item).to_contain_text("envoyé par la personne")
    with citizen.expect_download() as download:
        item.locator("button", has_text="Télécharger").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
