"""The citizen page's services in Chromium against a real gateway process: finding the
competent station (by commune code and by position), reading and searching prevention
advice, and following a theme (a new article shows up while the page is open)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE, Pages
from tests.support.gateway_process import GatewayProcess, start_gateway

Shot = Callable[[Page, str], Path]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ARTICLE = """---
title: "Le faux livreur"
summary: "Un SMS annonce un colis en attente et demande quelques euros : c'est une arnaque."
published: 2026-11-01
---
## Ce qu'il faut savoir

Ne payez <b>jamais</b> par un lien reçu par SMS.
"""


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[GatewayProcess]:
    process = start_gateway(tmp_path / "data",
                            env={"RTC_GATEWAY_ADVICE_POLL_INTERVAL_S": "0.2"})
    yield process
    process.stop()


def keep(shot: Shot, page: Page, name: str) -> None:
    """A screenshot for the tests' folder and a copy for the documentation."""
    DOCS.mkdir(exist_ok=True)
    shutil.copyfile(shot(page, name), DOCS / f"{name}.png")


def test_find_a_station_by_commune_and_by_position(pages: Pages, screenshot: Shot) -> None:
    page = pages.citizen()
    page.fill("#units-commune", "74056")
    page.click("#units-form button[type=submit]")
    result = page.locator("#units-result")
    expect(result).to_contain_text("Service compétent pour Chamonix-Mont-Blanc : "
                                   "Gendarmerie nationale")
    expect(result).to_contain_text("Brigade territoriale autonome de Chamonix-Mont-Blanc")
    expect(result.locator(".badge").first).to_have_text(
        "Ouvert maintenant" if result.locator(".badge--open").count() else "Fermé actuellement")

    page.click("#units-locate")  # the context's position: Paris, Hôtel de Ville
    expect(result).to_contain_text("Police nationale")
    expect(result.locator(".services__unit-name").first).to_have_text(
        "Commissariat de police de Paris 5e")
    expect(result.locator(".badge--open").first).to_have_text("Ouvert maintenant")  # 24h/24
    expect(result.locator("a.services__phone").first).to_have_attribute(
        "href", "tel:0199000505")
    page.locator("#services").scroll_into_view_if_needed()
    keep(screenshot, page, "citizen-units-desktop")
    page.set_viewport_size(PHONE)
    keep(screenshot, page, "citizen-units-phone")

    pages.tolerate("status of 404")  # the browser logs the directory's answer
    page.fill("#units-commune", "13055")
    page.click("#units-form button[type=submit]")
    expect(page.locator("#units-error")).to_have_text(
        "Cette commune n'est pas encore dans l'annuaire.")
    page.fill("#units-commune", "123")
    page.click("#units-form button[type=submit]")
    expect(page.locator("#units-error")).to_contain_text("5 caractères")


def test_read_search_and_follow_advice(pages: Pages, gateway: GatewayProcess,
                                       screenshot: Shot) -> None:
    page = pages.citizen(PHONE)
    expect(page.locator("#advice-theme option")).to_have_count(7)
    expect(page.locator("#advice-list .services__advice")).to_have_count(6)  # the newest
    page.select_option("#advice-theme", "mineurs")
    expect(page.locator("#advice-list .services__advice")).to_have_count(3)
    page.select_option("#advice-theme", "")
    page.fill("#advice-query", "arnaques bancaires")
    page.click("#advice-form button[type=submit]")
    first = page.locator("#advice-list .services__link").first
    expect(first).to_have_text("Le faux conseiller bancaire")
    first.click()
    article = page.locator("#advice-article")
    expect(article.locator("h3")).to_have_text("Le faux conseiller bancaire")
    expect(article.locator("h4").first).to_have_text("Comment se déroule l'arnaque")
    expect(article.locator("ol li")).to_have_count(3)

    page.locator("#advice-follow input[value=arnaques]").check()
    expect(page.locator("#advice-follow-state")).to_contain_text("Vous serez prévenu")
    folder = gateway.data_dir / "advice" / "arnaques"
    folder.mkdir(parents=True)
    (folder / "faux-livreur.md").write_text(ARTICLE, encoding="utf-8")
    news = page.locator("#advice-news")
    expect(news).to_be_visible()
    expect(page.locator("#advice-news-title")).to_have_text("Nouveau conseil")
    expect(news.locator(".services__link")).to_have_text("Le faux livreur")
    news.locator(".services__link").click()
    expect(article).to_contain_text("Ne payez <b>jamais</b>")  # shown as text, not markup
    expect(article.locator("b")).to_have_count(0)
    article.scroll_into_view_if_needed()
    keep(screenshot, page, "citizen-advice-phone")
    page.set_viewport_size(DESKTOP)
    keep(screenshot, page, "citizen-advice-desktop")

    page.reload()
    page.wait_for_selector("#connection[data-state='online']")
    expect(page.locator("#advice-follow input[value=arnaques]")).to_be_checked()
    expect(page.locator("#advice-news")).to_be_hidden()  # seen live: nothing missed
