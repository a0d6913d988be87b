"""THESEE in the pages: the citizen's guided start and scam form, the reviewer's desk,
and a request for information answered by the citizen, against a real gateway."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, SCREENSHOTS, Pages

Shot = Callable[[Page, str], Path]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def reviewer_desk(pages: Pages, agent_id: str = "rev-dumas") -> Page:
    token = pages.gateway.mint_agent_token(agent_id, "Greffière Dumas", role="reviewer")
    page = pages.context().new_page()
    page.goto(f"{pages.gateway.url}/demo/agent.html#token={token}")
    expect(page.locator("#reviewer-desk")).to_be_visible()
    expect(page.locator("#console")).to_be_hidden()
    return page


def test_guided_start_sends_elsewhere_or_to_the_chat(pages: Pages) -> None:
    citizen = pages.citizen()
    thesee = citizen.locator("#thesee")
    expect(thesee).to_contain_text("que s'est-il passé ?")
    thesee.get_by_role("button", name="Ma carte bancaire a été utilisée sans mon accord").click()
    perceval = thesee.get_by_role("link", name="Aller sur Perceval")
    expect(perceval).to_be_visible()
    assert "service-public.fr" in (perceval.get_attribute("href") or "")
    thesee.get_by_role("button", name="J'ai vu un contenu illicite sur internet").click()
    assert "internet-signalement.gouv.fr" in (
        thesee.get_by_role("link", name="Aller sur PHAROS").get_attribute("href") or "")
    thesee.locator("[data-choice=chat]").click()
    expect(citizen.locator("#topic")).to_be_focused()
    expect(thesee.locator("[data-scam-type]")).to_have_count(6)


def test_report_reviewed_and_completed(pages: Pages, screenshot: Shot) -> None:
    citizen = pages.citizen(PHONE)
    citizen.locator("#thesee [data-scam-type=fraudulent_shop]").click()
    form = citizen.locator("#thesee-form")
    expect(form.locator("input[value=complaint]")).to_be_disabled()
    form.locator("#thesee-description").fill("Commande payée, jamais livrée.")
    form.locator("#thesee-detail-shop_url").fill("https://www.super-promo-shop.com/p/1")
    form.locator("#thesee-detail-amount_eur").fill("129.90")
    form.locator("#thesee-id-ibans").fill("FR76 3000 6000 0112 3456 7890 189")
    form.locator("#thesee-id-phones").fill("06 12 34 56 78")
    form.locator("#thesee-save").click()
    expect(form.locator("#thesee-saved")).to_contain_text("Brouillon enregistré")
    form.locator("#thesee-id-ibans").fill("FR76 3000 6000 0112 3456 7890 188")
    pages.tolerate("status of 400")  # the refused IBAN, logged by the browser
    form.locator("#thesee-submit").click()
    expect(form.locator("#thesee-error")).to_contain_text("IBAN")
    form.locator("#thesee-id-ibans").fill("FR76 3000 6000 0112 3456 7890 189")
    form.locator("#thesee-submit").click()
    done = citizen.locator("#thesee-done")
    expect(done).to_contain_text("TH-")
    reference = done.locator("strong").inner_text()
    expect(citizen.locator("#thesee-cases")).to_contain_text(reference)
    expect(citizen.locator("#thesee-resume")).to_have_count(0)
    screenshot(citizen, "thesee-citizen-sent-phone")

    desk = reviewer_desk(pages)
    entry = desk.locator("#desk-queue li", has_text=reference)
    expect(entry).to_contain_text("Faux site de vente")
    expect(entry).to_contain_text("129,90")
    expect(desk.locator("#reviewer-desk [data-figures]")).to_contain_text("Dossiers : 1")
    entry.locator("[data-action=claim]").click()
    expect(desk.locator("#desk-queue li", has_text=reference)).to_contain_text(
        "pris en charge par rev-dumas")
    entry = desk.locator("#desk-queue li", has_text=reference)
    entry.get_by_label("Motif").fill("Merci de joindre la confirmation de commande.")
    entry.locator("[data-action=request_info]").click()
    expect(desk.locator("#desk-queue li", has_text=reference)).to_contain_text(
        "compléments demandés")
    desk.locator("#desk-queue li", has_text=reference).locator("[data-action=series]").click()
    expect(desk.locator("#desk-queue li", has_text=reference)).to_contain_text(
        "Série de 1 dossier")
    shutil.copyfile(screenshot(desk, "thesee-review-desk"), DOCS / "thesee-review-desk.png")

    citizen.reload()
    item = citizen.locator("#thesee-cases li", has_text=reference)
    expect(item).to_contain_text("Merci de joindre la confirmation de commande.")
    item.get_by_label("Votre réponse").fill("La voici : commande CMD-42 du 2 novembre.")
    item.get_by_role("button", name="Compléter").click()
    expect(citizen.locator("#thesee-cases li", has_text=reference)).to_contain_text(
        "en cours d'examen")
    desk.locator("#desk-refresh").click()
    entry = desk.locator("#desk-queue li", has_text=reference)
    expect(entry).to_contain_text("en cours d'examen")
    entry.locator("[data-action=validate]").click()
    expect(desk.locator("#desk-queue li", has_text=reference)).to_have_count(0)
    citizen.reload()
    expect(citizen.locator("#thesee-cases li", has_text=reference)).to_contain_text(
        "enregistré")


def test_an_escaped_description_stays_text(pages: Pages) -> None:
    citizen = pages.citizen()
    citizen.locator("#thesee [data-scam-type=blackmail]").click()
    form = citizen.locator("#thesee-form")
    form.locator("#thesee-description").fill("<img src=x onerror=alert(1)> chantage")
    form.locator("#thesee-detail-demanded_amount_eur").fill("500")
    form.locator("#thesee-submit").click()
    expect(citizen.locator("#thesee-done")).to_contain_text("TH-")
    desk = reviewer_desk(pages)
    entry = desk.locator("#desk-queue li").first
    expect(entry).to_contain_text("<img src=x onerror=alert(1)> chantage")
    expect(desk.locator("#desk-queue img")).to_have_count(0)


def test_supervisors_see_the_desk_figures(pages: Pages) -> None:
    citizen = pages.citizen()
    citizen.locator("#thesee [data-scam-type=ransomware]").click()
    form = citizen.locator("#thesee-form")
    form.locator("#thesee-description").fill("Fichiers chiffrés ce matin.")
    form.locator("#thesee-detail-ransom_note").fill("Payez 1 BTC.")
    form.locator("#thesee-detail-affected_systems").fill("ordinateur portable")
    form.locator("#thesee-submit").click()
    expect(citizen.locator("#thesee-done")).to_contain_text("TH-")
    supervisor = pages.agent("sup-1", "Commandant Roux", role="supervisor")
    figures = supervisor.locator("#thesee-figures-root [data-figures]")
    expect(figures).to_contain_text("Dossiers : 1")
    expect(figures).to_contain_text("En attente : 1")
    week = figures.locator("[data-chart=per-week] svg rect")
    expect(week).to_have_count(1)
    expect(week).to_have_attribute("data-value", "1")
    kinds = figures.locator("[data-chart=per-type] svg")
    expect(kinds.locator("rect")).to_have_count(1)
    expect(kinds.locator("text")).to_have_text(["Rançongiciel", "1"])
    sizes = figures.locator("[data-chart=series] svg rect")
    expect(sizes).to_have_count(5)
    assert [sizes.nth(i).get_attribute("data-value") for i in range(5)] == [
        "1", "0", "0", "0", "0"]
    assert float(sizes.nth(0).get_attribute("width") or 0) > 0
    assert float(sizes.nth(1).get_attribute("width") or 1) == 0
    table = figures.locator("[data-chart=series] table")
    expect(table.locator("tbody tr")).to_have_count(5)
    expect(table.locator("tbody tr").first).to_have_text("1 dossier(s)1")
    expect(figures.locator("[data-chart] svg[role=img]")).to_have_count(3)
    shot = SCREENSHOTS / "supervisor-thesee-figures-desktop.png"
    supervisor.locator("#supervision").screenshot(path=str(shot))
    shutil.copyfile(shot, DOCS / shot.name)
