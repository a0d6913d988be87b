"""The citizen page's login through a real OpenID provider on loopback, in Chromium:
step-up of a running chat (the officer sees "identité vérifiée"), and a refusal shown in
French."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, Pages
from tests.browser.steps import go_available, open_pane, start_chat
from tests.support.gateway_process import GatewayProcess, free_port, start_gateway
from tests.support.oidc_provider import TestProvider

Shot = Callable[[Page, str], Path]


class ProviderThread:
    """The asyncio provider on its own loop, beside the synchronous browser driver."""

    def __init__(self) -> None:
        self.provider = TestProvider()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> TestProvider:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.provider.start(), self.loop).result(10)
        return self.provider

    def __exit__(self, *_: object) -> None:
        asyncio.run_coroutine_threadsafe(self.provider.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


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


def test_a_chat_stepped_up_by_a_login(pages: Pages, screenshot: Shot) -> None:
    agent = pages.agent("agent-martin", "Brigadier Martin")
    go_available(agent)
    citizen = pages.citizen()
    start_chat(citizen, "Bonjour, je veux porter plainte.", topic="property")
    expect(agent.locator("#conversation-list li")).to_have_count(1)
    login = citizen.locator("#identity-login")
    expect(login).to_be_visible()
    login.click()
    expect(citizen.locator("#identity-verified")).to_have_text("Identité vérifiée")
    expect(login).to_be_hidden()
    expect(citizen.locator("#identity-error")).to_be_hidden()
    agent.locator("#conversation-list li button").first.click()
    expect(open_pane(agent).locator(".pane__status")).to_contain_text(
        "identité vérifiée : Marie Dupont")
    screenshot(citizen, "citizen-identity-verified")
    screenshot(agent, "console-identity-verified")


def test_a_refused_login_is_explained_in_french(pages: Pages, provider: TestProvider,
                                                screenshot: Shot) -> None:
    provider.authorize_error = "access_denied"
    citizen = pages.citizen(PHONE)
    citizen.locator("#identity-login").click()
    citizen.wait_for_selector("#connection[data-state='online']")
    expect(citizen.locator("#identity-error")).to_have_text(
        "Vous avez annulé la connexion : votre identité n'a pas été vérifiée.")
    assert "auth_error" not in citizen.url
    expect(citizen.locator("#identity-login")).to_be_visible()
    screenshot(citizen, "citizen-identity-refused-phone")
