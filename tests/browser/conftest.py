"""Fixtures driving the demo pages in Debian's Chromium against a real gateway on loopback."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Geolocation,
    Page,
    Playwright,
    Route,
    ViewportSize,
    WebSocketRoute,
    sync_playwright,
)

from tests.support.gateway_process import GatewayProcess, start_gateway

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 820}
PHONE: ViewportSize = {"width": 390, "height": 780}
PARIS: Geolocation = {"latitude": 48.8566, "longitude": 2.3522}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    """Per module: sync Playwright keeps an event loop running in this thread while it is
    open, which would break every asyncio test collected after the browser tests."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium package to run browser tests")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    chromium = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield chromium
    chromium.close()


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[GatewayProcess]:
    process = start_gateway(tmp_path / "data")
    yield process
    process.stop()


@dataclass
class Watch:
    """What a page did that a test should know about: console errors and off-loopback requests."""

    errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    tolerated: list[str] = field(default_factory=list)
    allowed_outside: set[str] = field(default_factory=set)

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(part in e for part in self.tolerated)]


@dataclass
class Pages:
    """Opens citizen pages and officer consoles, each in its own browser context."""

    browser: Browser
    gateway: GatewayProcess
    watch: Watch = field(default_factory=Watch)
    contexts: list[BrowserContext] = field(default_factory=list)

    def context(self, viewport: ViewportSize | None = None) -> BrowserContext:
        context = self.browser.new_context(
            viewport=viewport or DESKTOP,
            locale="fr-FR",
            timezone_id="Europe/Paris",
            geolocation=PARIS,
            permissions=["geolocation", "camera", "microphone"],
        )
        context.set_default_timeout(15_000)
        context.route("**/*", self._keep_on_loopback)
        self.contexts.append(context)
        return context

    def _keep_on_loopback(self, route: Route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
            return
        self.watch.outside_requests.append(route.request.url)
        route.fulfill(status=200, content_type="text/html",
                      body="<!doctype html><title>ailleurs</title>")

    def _watch(self, page: Page) -> Page:
        page.on("console",
                lambda msg: self.watch.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda error: self.watch.errors.append(str(error)))
        return page

    def citizen(self, viewport: ViewportSize | None = None, *,
                refused_websockets: list[str] | None = None) -> Page:
        """With ``refused_websockets``, every WebSocket the page opens is closed at once,
        as by a proxy that lets none through, and its address is added to the list."""
        page = self._watch(self.context(viewport).new_page())
        if refused_websockets is not None:
            def refuse(socket: WebSocketRoute) -> None:
                refused_websockets.append(socket.url)
                socket.close()

            page.route_web_socket(re.compile(r".*/socket\.io/.*"), refuse)
        page.goto(f"{self.gateway.url}/demo/")
        page.wait_for_selector("#connection[data-state='online']")
        page.wait_for_selector("#topic option[value]:not([value=''])", state="attached")
        return page

    def agent(self, agent_id: str, name: str, service: str = "police", *,
              max_chats: int = 4, role: str = "agent",
              viewport: ViewportSize | None = None) -> Page:
        token = self.gateway.mint_agent_token(agent_id, name, service,
                                              max_chats=max_chats, role=role)
        page = self._watch(self.context(viewport).new_page())
        page.goto(f"{self.gateway.url}/demo/agent.html#token={token}")
        page.wait_for_selector("#console:not([hidden])")
        page.wait_for_selector("#connection[data-state='online']")
        return page

    def allow_outside(self, url: str) -> None:
        """Expect the page to leave for this address (answered locally, never fetched)."""
        self.watch.allowed_outside.add(url)

    def tolerate(self, part_of_error: str) -> None:
        """Accept console errors containing this text (the browser logs dropped sockets)."""
        self.watch.tolerated.append(part_of_error)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser: Browser, gateway: GatewayProcess) -> Iterator[Pages]:
    opened = Pages(browser, gateway)
    yield opened
    opened.close()
    unexpected = opened.watch.unexpected_errors()
    assert unexpected == [], f"browser console errors: {unexpected}"
    outside = set(opened.watch.outside_requests) - opened.watch.allowed_outside
    assert outside == set(), f"requests off loopback: {sorted(outside)}"


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    SCREENSHOTS.mkdir(exist_ok=True)

    def save(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
