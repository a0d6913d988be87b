"""Two gateways sharing PostgreSQL and one key directory: a citizen's session made on one
works on the other, an export from either verifies against the first log key, and a
revocation or a key rotation on the command line reaches both while they run.

Each node has a Redis of its own here: with one Redis a second node refuses to start
(routing state is still per node, see shared_services), and what is shared in
PostgreSQL is what these tests are about.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
import zipfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from rtc_gateway.app import build_gateway
from rtc_gateway.config import Settings
from rtc_gateway.evidence.checkpoint import open_checkpoint
from rtc_gateway.evidence.signed_note import VerifierKey
from rtc_gateway.realtime.front_door import RealtimeSite
from rtc_gateway.security.keys import load_private_key
from tests.gateway.conftest import RunningGateway
from tests.gateway.identity.conftest import Browser
from tests.gateway.test_chat import open_conversation
from tests.support.databases import throwaway_database
from tests.support.oidc_provider import TestProvider, free_port
from tests.support.services import RedisProcess, redis_process


@dataclass
class Service:
    nodes: list[RunningGateway]
    keys_dir: Path
    database_url: str
    provider: TestProvider

    def cli_env(self) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("RTC_GATEWAY_")}
        return {**clean, "RTC_GATEWAY_KEYS_DIR": str(self.keys_dir)}

    async def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "rtc_gateway", *args],
            capture_output=True, text=True, timeout=60, env=self.cli_env())


@pytest.fixture
def second_redis() -> Iterator[RedisProcess]:
    with redis_process() as server:
        yield server


@pytest.fixture
async def service(tmp_path: Path, database_url: str, redis_url: str,
                  second_redis: RedisProcess) -> AsyncIterator[Service]:
    provider = await TestProvider().start()
    keys_dir = tmp_path / "shared-keys"
    runners: list[web.AppRunner] = []
    nodes: list[RunningGateway] = []
    async with throwaway_database(database_url, "nodes") as url:
        try:
            for n, redis in enumerate((redis_url, second_redis.url)):
                port = free_port()
                settings = Settings(
                    data_dir=tmp_path / f"node-{n}", keys_dir=keys_dir, port=port,
                    node_id=f"node-{n}-{uuid.uuid4().hex[:6]}", redis_url=redis,
                    database_url=url, checkpoint_interval_s=0, key_reload_interval_s=0.1,
                    revocation_poll_interval_s=0.2, anonymous_per_ip=1000,
                    connects_per_address_burst=1000.0, max_open_per_address=1000,
                    agent_grace_s=0.5, public_url=f"http://127.0.0.1:{port}",
                    oidc_issuer=provider.url, oidc_client_id=provider.client_id,
                    oidc_client_secret=provider.client_secret)
                gateway = build_gateway(settings)
                runner = web.AppRunner(gateway.app, handle_signals=False, access_log=None,
                                       shutdown_timeout=1.0)
                await runner.setup()
                runners.append(runner)
                await RealtimeSite(runner, gateway.server, "127.0.0.1", port).start()
                nodes.append(RunningGateway(gateway, runner, port))
            yield Service(nodes, keys_dir, url, provider)
        finally:
            for node in nodes:
                for client in node.clients:
                    await client.disconnect()
            for runner in reversed(runners):
                await runner.cleanup()
            await provider.close()


async def test_a_session_made_on_one_node_works_on_the_other_until_logout(
        service: Service) -> None:
    first, second = service.nodes
    browser = Browser(first.url)
    try:
        assert (await browser.login()).status == 302
        status, me = await browser.me()
        assert status == 200
        async with browser.http.get(f"{second.url}/api/v1/me") as response:
            assert response.status == 200, "the session cookie works on the other node"
            assert await response.json() == me
        async with browser.http.post(f"{first.url}/auth/logout",
                                     headers={"Origin": first.url},
                                     allow_redirects=False) as response:
            assert response.status in (200, 302, 303), response.status
        async with browser.http.get(f"{second.url}/api/v1/me") as response:
            assert response.status == 401, "a logout on one node ends it on every node"
    finally:
        await browser.close()


async def supervisor_export(node: RunningGateway, conversation_id: str, token: str,
                            out: Path) -> int:
    async with aiohttp.ClientSession() as http, http.post(
            f"{node.url}/api/v1/conversations/{conversation_id}/export",
            json={"reason": "PV 2026/77", "include_media": False},
            headers={"Authorization": f"Bearer {token}"}) as response:
        if response.status == 200:
            await asyncio.to_thread(out.write_bytes, await response.read())
        return response.status


async def test_exports_from_either_node_or_the_command_line_verify(
        service: Service, tmp_path: Path) -> None:
    first, second = service.nodes
    citizen = await first.citizen()
    conversation = await open_conversation(citizen, text="Un colis suspect", client_msg_id="m1")
    cid = conversation["id"]
    anchor = await service.cli("log-key", "--data-dir", str(tmp_path / "node-0"),
                               "--database-url", service.database_url)
    assert anchor.returncode == 0, anchor.stderr
    trusted = anchor.stdout.strip()

    cli_bundle = tmp_path / "cli.zip"
    exported = await service.cli("export", "--data-dir", str(tmp_path / "node-0"),
                                 "--database-url", service.database_url,
                                 "--conversation", cid, "--out", str(cli_bundle),
                                 "--reason", "PV 2026/76", "--no-media")
    assert exported.returncode == 0, exported.stderr
    supervisor = first.agent_token("S-1", role="supervisor")
    http_bundle = tmp_path / "http.zip"
    assert await supervisor_export(second, cid, supervisor, http_bundle) == 200
    for bundle in (cli_bundle, http_bundle):
        verified = await service.cli("verify", str(bundle), "--trusted-key", trusted)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        with zipfile.ZipFile(bundle) as archive:
            assert "Un colis suspect" in archive.read("records.json").decode()
    listed = await asyncio.to_thread(  # the URL from the environment alone, no Redis URL
        subprocess.run, [sys.executable, "-m", "rtc_gateway", "conversations", "list",
                         "--data-dir", str(tmp_path / "node-1")],
        capture_output=True, text=True, timeout=60,
        env={**service.cli_env(), "RTC_GATEWAY_DATABASE_URL": service.database_url})
    assert listed.returncode == 0 and cid in listed.stdout, listed.stderr


async def test_key_rotations_reach_both_running_nodes(service: Service, tmp_path: Path
                                                      ) -> None:
    first, second = service.nodes
    citizen = await first.citizen()
    cid = (await open_conversation(citizen, text="Bonjour", client_msg_id="m1"))["id"]
    before = first.agent_token("S-1", role="supervisor")
    anchor = (await service.cli("log-key", "--data-dir", str(tmp_path),
                                "--database-url", service.database_url)).stdout.strip()

    rotated = await service.cli("token", "rotate-key", "--data-dir", str(tmp_path))
    assert rotated.returncode == 0, rotated.stderr
    minted = await service.cli("token", "agent", "--data-dir", str(tmp_path), "--id", "S-2",
                               "--name", "Commissaire", "--service", "police",
                               "--role", "supervisor")
    assert minted.returncode == 0, minted.stderr
    after = minted.stdout.strip()
    for node in (first, second):
        for _ in range(50):  # a node takes the new key within key_reload_interval_s
            if await supervisor_export(node, "cv_none", after, tmp_path / "x.zip") == 404:
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail(f"node {node.port} never accepted a token of the new key")
        assert await supervisor_export(node, "cv_none", before, tmp_path / "x.zip") == 404

    log_rotated = await service.cli("rotate-key", "--data-dir", str(tmp_path),
                                    "--database-url", service.database_url)
    assert log_rotated.returncode == 0, log_rotated.stderr
    new_key = VerifierKey.decode(log_rotated.stdout.strip())
    bundle = tmp_path / "after-rotation.zip"
    assert await supervisor_export(second, cid, after, bundle) == 200
    verified = await service.cli("verify", str(bundle), "--trusted-key", anchor)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    connection = await asyncpg.connect(service.database_url)
    try:
        note, signer = await connection.fetchrow(
            "SELECT note, signer FROM evidence_checkpoints ORDER BY id DESC LIMIT 1")
    finally:
        await connection.close()
    assert signer == second.gateway.settings.node_id
    open_checkpoint(note, [new_key])  # the running node signed with the rotated key
    assert VerifierKey.of(new_key.name, load_private_key(
        service.keys_dir / "log-signing.key")) == new_key


async def test_a_revocation_on_the_command_line_reaches_both_running_nodes(
        service: Service, tmp_path: Path) -> None:
    first, second = service.nodes
    token = first.agent_token("S-9", role="supervisor")
    for node in (first, second):
        assert await supervisor_export(node, "cv_none", token, tmp_path / "x.zip") == 404
    revoked = await service.cli("token", "revoke", "--data-dir", str(tmp_path),
                                "--database-url", service.database_url, "--id", "S-9")
    assert revoked.returncode == 0, revoked.stderr
    loop = asyncio.get_running_loop()
    started = loop.time()
    for node in (first, second):
        while await supervisor_export(node, "cv_none", token, tmp_path / "x.zip") != 401:
            assert loop.time() - started < 3, "within about one poll interval (0.2 s here)"
            await asyncio.sleep(0.05)
