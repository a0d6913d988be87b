"""A real gateway (aiohttp + python-socketio + SQLite evidence) on a free loopback port."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio
from aiohttp import web

from rtc_gateway.app import Gateway, build_gateway
from rtc_gateway.config import Settings
from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.roles import Role
from rtc_gateway.realtime.client_address import AddressSet
from rtc_gateway.realtime.connection_caps import ConnectionCaps
from rtc_gateway.realtime.front_door import RealtimeSite
from tests.support.databases import throwaway_database
from tests.support.sio_client import RecordingClient


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RunningGateway:
    def __init__(self, gateway: Gateway, runner: web.AppRunner, port: int) -> None:
        self.gateway = gateway
        self.runner = runner
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.clients: list[RecordingClient] = []

    def agent_token(self, agent_id: str, *, service: str = "police", max_chats: int = 3,
                    role: str = "agent", topics: frozenset[str] = frozenset(),
                    languages: frozenset[str] = frozenset({"fr"}),
                    name: str | None = None) -> str:
        profile = AgentProfile(agent_id, name or f"Officier {agent_id}", Force(service),
                               Role(role), topics, languages, max_chats)
        return self.gateway.tokens.mint_agent(profile, 3600).token

    async def citizen(self, token: str | None = None, **kwargs: Any) -> RecordingClient:
        client = RecordingClient(self.url, "/citizen", **kwargs)
        await client.connect({"token": token} if token else None)
        await client.wait_for("session")
        self.clients.append(client)
        return client

    async def agent(self, agent_id: str, *, available: bool = True,
                    **token_options: Any) -> RecordingClient:
        client = RecordingClient(self.url, "/agent")
        await client.connect({"token": self.agent_token(agent_id, **token_options)})
        self.clients.append(client)
        if available:
            await client.ok("agent:status", {"status": "available"})
        return client


StartGateway = Callable[..., Awaitable[RunningGateway]]

REAL_ADDRESS_LIMITS = {name: getattr(Settings(), name) for name in (
    "anonymous_per_ip", "connects_per_address_burst", "max_open_per_address")}
"""Every test client comes from 127.0.0.1, so the fixture raises the per-address limits;
tests of those limits put their real defaults back."""


@pytest.fixture
async def start_gateway(tmp_path: Path) -> AsyncIterator[StartGateway]:
    started: list[RunningGateway] = []

    async def start(data_dir: Path | None = None, **overrides: Any) -> RunningGateway:
        settings = replace(
            Settings(data_dir=data_dir or tmp_path / "data", agent_grace_s=0.5,
                     queue_update_interval_s=0.02, checkpoint_interval_s=0,
                     anonymous_per_ip=1000, connects_per_address_burst=1000.0,
                     max_open_per_address=1000, rtc_host_addresses=("127.0.0.1",)),
            **overrides)
        gateway = build_gateway(settings)
        runner = web.AppRunner(gateway.app, handle_signals=False, access_log=None,
                               shutdown_timeout=1.0)
        await runner.setup()
        port = free_port()
        trusted = AddressSet(settings.trusted_proxies)
        await RealtimeSite(runner, gateway.server, "127.0.0.1", port,
                           head_timeout_s=settings.head_timeout_s, trusted_proxies=trusted,
                           caps=ConnectionCaps(
                               max_total=settings.max_connections,
                               max_per_address=settings.max_connections_per_address,
                               trusted_proxies=trusted)).start()
        running = RunningGateway(gateway, runner, port)
        started.append(running)
        return running

    yield start
    for running in started:
        for client in running.clients:
            await client.disconnect()
        await running.runner.cleanup()


class TwoNodes(RunningGateway):
    """Two nodes of one service (Redis + PostgreSQL): citizens connect to the first,
    officers to the second, so every exchange crosses nodes; ``gateway`` is the first."""

    def __init__(self, first: RunningGateway, second: RunningGateway) -> None:
        super().__init__(first.gateway, first.runner, first.port)
        self.second = second
        self.clients = first.clients

    async def agent(self, agent_id: str, *, available: bool = True,
                    **token_options: Any) -> RecordingClient:
        client = RecordingClient(self.second.url, "/agent")
        await client.connect({"token": self.agent_token(agent_id, **token_options)})
        self.clients.append(client)
        if available:
            await client.ok("agent:status", {"status": "available"})
        return client


async def start_two_nodes(start: StartGateway, tmp_path: Path, redis_url: str,
                          database_url: str) -> TwoNodes:
    client = redis.asyncio.Redis.from_url(redis_url)
    await client.flushdb()  # the run's Redis: no officer or home of an earlier test
    await client.aclose()
    shared = {"redis_url": redis_url, "database_url": database_url,
              "keys_dir": tmp_path / "keys", "node_ttl_s": 2.0}
    first = await start(tmp_path / "node-a", node_id="node-a", **shared)
    second = await start(tmp_path / "node-b", node_id="node-b", **shared)
    return TwoNodes(first, second)


@pytest.fixture(params=[1, 2], ids=["one-node", "two-nodes"])
async def gw(request: pytest.FixtureRequest, start_gateway: StartGateway,
             tmp_path: Path) -> AsyncIterator[RunningGateway]:
    """The contract suite runs on one node, then with citizen and officer on two."""
    if request.param == 1:
        yield await start_gateway()
        return
    redis_url = request.getfixturevalue("redis_url")
    async with throwaway_database(request.getfixturevalue("database_url")) as database:
        nodes = await start_two_nodes(start_gateway, tmp_path, redis_url, database)
        yield nodes
        for client in nodes.clients:
            await client.disconnect()
        await nodes.second.runner.cleanup()
        await nodes.runner.cleanup()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test marked ``single_node`` is about one node's own files or memory."""
    items[:] = [item for item in items
                if not (item.get_closest_marker("single_node")
                        and "[two-nodes" in item.nodeid)]
