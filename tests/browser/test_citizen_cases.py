"""Written complaints in Chromium against a real gateway and a real OpenID provider on
loopback: a pre-complaint confirmed by the unit (the citizen sees the notice live), an
online complaint taken through a request for information, a reply with an attachment,
its registration and the receipt, and the unverified citizen told to log in first."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE, Pages
from tests.browser.test_identity import ProviderThread
from tests.support.gateway_process import GatewayProcess, free_port, start_gateway
from tests.support.oidc_provider import TestProvider

Shot = Callable[[Page, str], Path]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def provider() -> Iterator[TestProvider]:
    with ProviderThread() as provider:
        yield provider


@pytest.fixture
def gateway(tmp_path: Path, provider: TestProvider) -> Iterator[GatewayProcess]:
    port = free_port()
    process = start_gateway(tmp_path / "data", port=port, env={
        "RTC_GATEWAY_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "RTC_GATEWAY_OIDC_ISSUER": provider.url,
        "RTC_GATEWAY_OIDC_CLIENT_ID": provider.client_id,
        "RTC_GATEWAY_OIDC_CLIENT_SECRET": provider.client_secret,
    })
    yield process
    process.stop()


def keep(shot: Shot, page: Page, name: str) -> None:
    """A screenshot for the tests' folder and a copy for the documentation."""
    DOCS.mkdir(exist_ok=True)
    shutil.copyfile(shot(page, name), DOCS / f"{name}.png")


def next_weekday_morning() -> str:
    """A quarter hour the default opening accepts: 10:00 Paris time, a weekday 2+ days on."""
    day = datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=2)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day.strftime("%Y-%m-%dT10:00")


def fill_facts(page: Page, offence: str, description: str) -> None:
    page.locator("#cases-offence").select_option(offence)
    page.locator("#cases-description").fill(description)
    page.locator("#cases-from").fill("2026-11-28T21:00")
    page.locator("#cases-to").fill("2026-11-29T07:30")
    page.locator("#cases-address").fill("12 rue de Rivoli, Paris")
    page.locator("#cases-here").check()
    page.locator("#cases-goods").fill("vélo de ville ; 450\ncasque ; 60")


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


def test_a_pre_complaint_confirmed_by_the_unit(pages: Pages, screenshot: Shot) -> None:
    citizen = pages.citizen()
    fill_facts(citizen, "theft", "On m'a volé mon vélo attaché devant l'immeuble.")
    citizen.locator("#cases-given").fill("Paul")
    citizen.locator("#cases-family").fill("Martin")
    citizen.locator("#cases-birthdate").fill("1985-04-12")
    citizen.locator("#cases-at").fill(next_weekday_morning())
    citizen.locator("#cases-submit").click()
    expect(citizen.locator("#cases-status")).to_contain_text("Pré-plainte déposée : PP-")
    item = citizen.locator("#cases-list li")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("reçue")
    expect(citizen.locator("#cases-detail")).to_contain_text("Rendez-vous pour signer")
    citizen.reload()  # the case is no longer open: what the unit does comes as unread
    citizen.wait_for_selector("#connection[data-state='online']")
    expect(item).to_have_count(1)

    officer = pages.agent("p-21", "Brigadier Morel")
    listed = officer.locator("#unit-cases-list li")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Pré-plainte")
    listed.locator("button", has_text="Ouvrir").click()
    detail = officer.locator("#unit-cases-detail")
    expect(detail).to_contain_text("Identité déclarée : Paul Martin")
    expect(detail).to_contain_text("Bien : vélo de ville")
    expect(detail).to_contain_text("Total déclaré : 510,00")
    expect(officer.locator("#unit-case-decision option")).to_have_text(
        ["Confirmer le rendez-vous", "Déplacer le rendez-vous", "Clore (signée)"])
    officer.locator("#unit-case-decide").click()
    expect(detail).to_contain_text("rendez-vous confirmé")

    # No reload: case:updated on /citizen brings the new status and the unread mark.
    expect(item).to_contain_text("rendez-vous confirmé")
    expect(item.locator(".cases__unread")).to_have_text("nouveau")
    item.locator("button").click()
    expect(item.locator(".cases__unread")).to_have_count(0)
    expect(citizen.locator("#cases-detail .cases__message--system")).to_have_count(1)
    expect(citizen.locator("#cases-detail")).to_contain_text("rendez-vous confirmé")
    screenshot(citizen, "citizen-pre-complaint-desktop")

    citizen.locator("#case-withdraw").click()
    expect(item).to_contain_text("retirée")
    expect(citizen.locator("#case-withdraw")).to_have_count(0)
    expect(citizen.locator("#case-reply")).to_have_count(0)
    officer.locator("#unit-cases-refresh").click()
    expect(detail).to_contain_text("retirée")
    expect(officer.locator("#unit-case-decide")).to_have_count(0)


def test_a_complaint_completed_then_registered_with_its_receipt(
        pages: Pages, screenshot: Shot) -> None:
    citizen = pages.citizen()
    citizen.locator("#identity-login").click()
    expect(citizen.locator("#identity-verified")).to_have_text("Identité vérifiée")
    citizen.locator("input[name='case-kind'][value='complaint']").check()
    expect(citizen.locator("#cases-needs-login")).to_be_hidden()
    expect(citizen.locator("#cases-identity")).to_be_hidden()
    fill_facts(citizen, "burglary", "Ma cave a été forcée pendant la nuit.")
    citizen.locator("#cases-submit").click()
    expect(citizen.locator("#cases-status")).to_contain_text("Plainte en ligne déposée : PL-")
    item = citizen.locator("#cases-list li")
    expect(item).to_contain_text("reçue")

    officer = pages.agent("p-22", "Brigadier Caron")
    officer.locator("#unit-cases-kind").select_option("complaint")
    officer.locator("#unit-cases-list li button", has_text="Ouvrir").click()
    detail = officer.locator("#unit-cases-detail")
    expect(detail).to_contain_text("en cours d'examen")
    expect(detail).to_contain_text("Identité vérifiée (FranceConnect)")
    officer.locator("#unit-case-decision").select_option("reject")
    officer.locator("#unit-case-decide").click()
    expect(officer.locator("#unit-case-state")).to_have_text("Indiquez le motif du rejet.")
    officer.locator("#unit-case-decision").select_option("request_info")
    officer.locator("#unit-case-reason").fill("Joignez une photo de la porte forcée.")
    officer.locator("#unit-case-decide").click()
    expect(detail).to_contain_text("compléments demandés")

    # The case is open on the citizen's page: the notice comes live and is read at once.
    expect(item).to_contain_text("compléments demandés")
    case = citizen.locator("#cases-detail")
    expect(case).to_contain_text("Motif : Joignez une photo de la porte forcée.")
    expect(item.locator(".cases__unread")).to_have_count(0)
    citizen.locator("#case-reply").fill("Voici la photo de la porte.")
    case.locator("button", has_text="Envoyer").click()
    expect(case).to_contain_text("Voici la photo de la porte.")
    expect(case).to_contain_text("en cours d'examen")
    citizen.locator("#case-file").set_input_files(
        files=[{"name": "porte.png", "mimeType": "image/png", "buffer": png()}])
    expect(citizen.locator("#case-strip")).to_be_checked()
    case.locator("button", has_text="Joindre le fichier").click()
    # The upload is decoded and re-encoded (no metadata) first: slow on a loaded machine.
    expect(case.locator(".cases__files li")).to_have_text(
        ["image/png · 1 Ko · métadonnées retirées"], timeout=20_000)
    keep(screenshot, citizen, "citizen-cases-desktop")

    officer.locator("#unit-cases-refresh").click()
    expect(detail).to_contain_text("Voici la photo de la porte.")
    attachment = detail.locator("button[data-sha256]")
    expect(attachment).to_have_count(1)
    with officer.expect_download() as got:
        attachment.click()
    assert Path(got.value.path()).read_bytes().startswith(b"\x89PNG")
    citizen.locator("#case-reply").fill("Merci, je reste joignable.")  # typed, not sent
    officer.locator("#unit-case-decision").select_option("validate")
    officer.locator("#unit-case-decide").click()
    expect(detail).to_contain_text("enregistrée")
    expect(officer.locator("#unit-case-decision option")).to_have_text(["Clore"])
    keep(screenshot, officer, "console-cases-desktop")

    expect(item).to_contain_text("enregistrée")
    expect(case).to_contain_text("Votre plainte est enregistrée.")
    expect(citizen.locator("#case-reply")).to_have_value("Merci, je reste joignable.")
    receipt = citizen.locator("#case-receipt")
    expect(receipt).to_be_visible()
    with citizen.expect_download() as got:
        receipt.click()
    assert got.value.suggested_filename.startswith("recepisse-PL-")
    assert Path(got.value.path()).read_bytes().startswith(b"%PDF")
    citizen.set_viewport_size(PHONE)
    keep(screenshot, citizen, "citizen-cases-phone")
    citizen.set_viewport_size(DESKTOP)


def test_an_unverified_citizen_is_told_a_complaint_needs_franceconnect(pages: Pages) -> None:
    citizen = pages.citizen()
    citizen.locator("input[name='case-kind'][value='complaint']").check()
    needs = citizen.locator("#cases-needs-login")
    expect(needs).to_be_visible()
    expect(needs).to_contain_text("identité vérifiée par FranceConnect")
    expect(citizen.locator("#cases-identity")).to_be_hidden()
    fill_facts(citizen, "fraud", "Un faux conseiller m'a fait virer 900 euros.")
    citizen.locator("#cases-submit").click()
    expect(citizen.locator("#cases-status")).to_have_text(
        "Porter plainte en ligne demande une identité vérifiée (FranceConnect).")
    expect(citizen.locator("#cases-list li")).to_have_count(0)
    needs.locator("#cases-login").click()
    expect(citizen.locator("#identity-verified")).to_have_text("Identité vérifiée")
    expect(needs).to_be_hidden()
