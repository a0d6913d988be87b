"""The officer console's *Se connecter* through the ministry's OpenID provider on
loopback, in Chromium: the console connects with the token the login gave, the token
leaves the address bar, and a refused login is said in French."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Pages
from tests.browser.test_identity import ProviderThread
from tests.support.gateway_process import GatewayProcess, free_port, start_gateway
from tests.support.oidc_provider import TestProvider

OFFICER = {"sub": "agent-77", "name": "Lucie Garnier", "role": "agent", "force": "police"}


@pytest.fixture
def ministry() -> Iterator[TestProvider]:
    with ProviderThread() as provider:
        provider.issue_staff_claims(**OFFICER)
        yield provider


@pytest.fixture
def gateway(tmp_path: Path, ministry: TestProvider) -> Iterator[GatewayProcess]:
    port = free_port()
    process = start_gateway(tmp_path / "data", port=port, env={
        "RTC_GATEWAY_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "RTC_GATEWAY_STAFF_OIDC_ISSUER": ministry.url,
        "RTC_GATEWAY_STAFF_OIDC_CLIENT_ID": ministry.client_id,
        "RTC_GATEWAY_STAFF_OIDC_CLIENT_SECRET": ministry.client_secret,
    })
    yield process
    process.stop()


def test_console_logs_in_with_the_ministry_provider(pages: Pages,
                                                    ministry: TestProvider) -> None:
    page = pages.context().new_page()
    page.goto(f"{pages.gateway.url}/demo/agent.html")
    button = page.get_by_role("link", name="Se connecter")
    expect(button).to_be_visible()
    button.click()
    page.wait_for_selector("#console:not([hidden])")
    page.wait_for_selector("#connection[data-state='online']")
    assert "token" not in page.url and page.url.endswith("/demo/agent.html")
    expect(page.locator("body")).to_contain_text("Lucie Garnier")


def test_console_says_a_refused_login(pages: Pages, ministry: TestProvider) -> None:
    ministry.issue_staff_claims(**{**OFFICER, "role": "citizen"})
    page = pages.context().new_page()
    page.goto(f"{pages.gateway.url}/demo/agent.html")
    page.get_by_role("link", name="Se connecter").click()
    expect(page.locator("#notice")).to_contain_text("Connexion refusée")
    expect(page.locator("#notice")).to_contain_text("profil d'agent valide")
    expect(page.locator("#sign-in")).to_be_visible()
    assert "auth_error" not in page.url
