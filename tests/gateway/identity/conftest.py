"""A gateway wired to the loopback test provider, and browsers with their own cookie jars."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web

from rtc_gateway.app import build_gateway
from rtc_gateway.config import Settings
from rtc_gateway.ports.clock import SystemClock
from rtc_gateway.realtime.front_door import RealtimeSite
from tests.gateway.conftest import RunningGateway
from tests.support.oidc_provider import TestProvider, free_port
from tests.support.sio_client import RecordingClient


class ShiftedClock(SystemClock):
    """The system clock, with a monotonic scale (and wall-clock time) tests can move
    forward."""

    def __init__(self) -> None:
        self.offset_s = 0.0
        self.wall_offset = timedelta(0)

    def monotonic(self) -> float:
        return super().monotonic() + self.offset_s

    def now(self) -> datetime:
        return super().now() + self.wall_offset


class Browser:
    """One browser: its own cookie jar, redirects followed by hand."""

    def __init__(self, gateway_url: str) -> None:
        self.gateway_url = gateway_url
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    def cookie(self, name: str) -> str | None:
        for morsel in self.http.cookie_jar:
            if morsel.key == name:
                return morsel.value
        return None

    def cookie_header(self) -> str:
        return "; ".join(f"{m.key}={m.value}" for m in self.http.cookie_jar)

    async def get(self, url: str, **kwargs: Any) -> aiohttp.ClientResponse:
        async with self.http.get(url, allow_redirects=False, **kwargs) as response:
            await response.read()
            return response

    async def start_login(self, return_to: str = "/demo/") -> str:
        """The callback URL the provider sends this browser back to."""
        login = await self.get(f"{self.gateway_url}/auth/login", params={"return_to": return_to})
        assert login.status == 302, login.status
        authorize = await self.get(login.headers["Location"])
        assert authorize.status == 302, authorize.status
        return authorize.headers["Location"]

    async def callback(self, url: str) -> aiohttp.ClientResponse:
        return await self.get(url)

    async def login(self, return_to: str = "/demo/") -> aiohttp.ClientResponse:
        return await self.callback(await self.start_login(return_to))

    async def me(self) -> tuple[int, Any]:
        async with self.http.get(f"{self.gateway_url}/api/v1/me") as response:
            return response.status, await response.json()

    async def close(self) -> None:
        await self.http.close()


def auth_error(response: aiohttp.ClientResponse) -> str | None:
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return query.get("auth_error", [None])[0]


class CookieClient(RecordingClient):
    """A python-socketio client whose handshake carries a browser's cookies."""

    def __init__(self, url: str, namespace: str, cookie: str,
                 transports: tuple[str, ...] = ("websocket",)) -> None:
        super().__init__(url, namespace, transports=transports)
        self.cookie = cookie

    async def connect(self, auth: dict[str, Any] | None = None) -> CookieClient:
        await self.sio.connect(self.url, namespaces=[self.namespace], auth=auth,
                               transports=self.transports, wait_timeout=10,
                               headers={"Cookie": self.cookie} if self.cookie else {})
        return self


class IdentityWorld:
    def __init__(self, gateway: RunningGateway, provider: TestProvider,
                 clock: ShiftedClock) -> None:
        self.gw = gateway
        self.provider = provider
        self.clock = clock
        self.browsers: list[Browser] = []

    def browser(self) -> Browser:
        browser = Browser(self.gw.url)
        self.browsers.append(browser)
        return browser

    async def citizen(self, cookie: str = "", token: str | None = None,
                      transports: tuple[str, ...] = ("websocket",)) -> CookieClient:
        client = CookieClient(self.gw.url, "/citizen", cookie, transports)
        await client.connect({"token": token} if token else None)
        await client.wait_for("session")
        self.gw.clients.append(client)
        return client


StartWorld = Callable[..., Awaitable[IdentityWorld]]


@pytest.fixture
async def start_world(tmp_path: Path) -> AsyncIterator[StartWorld]:
    worlds: list[tuple[IdentityWorld, web.AppRunner]] = []

    async def start(provider: TestProvider | None = None, *, issuer: bool = True,
                    **overrides: Any) -> IdentityWorld:
        provider = await (provider or TestProvider()).start()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        clock = ShiftedClock()
        settings = replace(
            Settings(data_dir=tmp_path / f"data-{port}", agent_grace_s=0.5,
                     checkpoint_interval_s=0, anonymous_per_ip=1000,
                     connects_per_address_burst=1000.0, max_open_per_address=1000,
                     public_url=url, oidc_issuer=provider.url if issuer else None,
                     oidc_client_id=provider.client_id,
                     oidc_client_secret=provider.client_secret),
            **overrides)
        gateway = build_gateway(settings, clock)
        runner = web.AppRunner(gateway.app, handle_signals=False, access_log=None,
                               shutdown_timeout=1.0)
        await runner.setup()
        await RealtimeSite(runner, gateway.server, "127.0.0.1", port).start()
        world = IdentityWorld(RunningGateway(gateway, runner, port), provider, clock)
        worlds.append((world, runner))
        return world

    yield start
    for world, runner in worlds:
        for client in world.gw.clients:
            await client.disconnect()
        for browser in world.browsers:
            await browser.close()
        await runner.cleanup()
        await world.provider.close()


@pytest.fixture
async def world(start_world: StartWorld) -> IdentityWorld:
    return await start_world()
