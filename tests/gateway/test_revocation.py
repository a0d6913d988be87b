"""Token lifecycle on a live gateway: ``rtc-gateway token revoke`` ends staff tokens at
connect and their live connections within seconds; a newer citizen token ends the older
ones, across restarts, and the identity's other tabs get the newer one."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.gateway.conftest import RunningGateway, StartGateway
from tests.gateway.test_identities import connect_error
from tests.support.gateway_process import start_gateway as start_process
from tests.support.sio_client import RecordingClient


def revoke(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rtc_gateway", "token", "revoke", "--data-dir", str(data_dir),
         *args], capture_output=True, text=True, timeout=60, env=dict(os.environ))


async def connected_agent(gw: RunningGateway, token: str) -> tuple[RecordingClient,
                                                                   asyncio.Event]:
    client = RecordingClient(gw.url, "/agent")
    ended = asyncio.Event()
    client.sio.on("disconnect", lambda *_: ended.set(), namespace="/agent")
    await client.connect({"token": token})
    await client.wait_for("agent:session")
    gw.clients.append(client)
    return client, ended


async def test_revoking_a_staff_id_refuses_its_tokens_and_ends_live_connections(
        start_gateway: StartGateway, tmp_path: Path) -> None:
    gw = await start_gateway()
    data_dir = gw.gateway.settings.data_dir
    token = gw.agent_token("P-1")
    colleague_token = gw.agent_token("P-2")
    _, ended = await connected_agent(gw, token)
    colleague, colleague_ended = await connected_agent(gw, colleague_token)

    done = revoke(data_dir, "--id", "P-1")
    assert done.returncode == 0, done.stderr
    assert "P-1" in done.stdout and token not in done.stdout
    started = time.monotonic()
    await asyncio.wait_for(ended.wait(), timeout=5)
    assert time.monotonic() - started < 3.5, "ended within about two poll intervals"
    refused = await connect_error(gw.url, "/agent", {"token": token})
    assert refused["code"] == "unauthorized"  # type: ignore[index]
    assert not colleague_ended.is_set()
    await colleague.ok("agent:status", {"status": "away"})
    await asyncio.sleep(0.01)
    again, _ = await connected_agent(gw, gw.agent_token("P-1"))
    assert again.received("agent:session"), "a token minted after the revocation works"


async def test_revoking_one_token_leaves_the_others_of_that_officer(
        start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    data_dir = gw.gateway.settings.data_dir
    lost, kept = gw.agent_token("P-1"), gw.agent_token("P-1")
    _, lost_ended = await connected_agent(gw, lost)
    _, kept_ended = await connected_agent(gw, kept)
    done = revoke(data_dir, "--token", lost)
    assert done.returncode == 0, done.stderr
    assert lost not in done.stdout + done.stderr, "the token itself is never printed"
    await asyncio.wait_for(lost_ended.wait(), timeout=5)
    assert not kept_ended.is_set()
    assert (await connect_error(gw.url, "/agent", {"token": lost}))["code"] == "unauthorized"  # type: ignore[index]
    back, _ = await connected_agent(gw, kept)
    assert back.received("agent:session")


@pytest.mark.parametrize("args", [[], ["--id", "P-1", "--token", "x"]],
                         ids=["neither", "both"])
def test_revoke_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    assert revoke(tmp_path, *args).returncode == 2


async def test_revoke_refuses_a_token_it_did_not_sign_with_exit_2(
        start_gateway: StartGateway, tmp_path: Path) -> None:
    gw = await start_gateway()
    citizen = await gw.citizen()
    for token in ("not-a-token", citizen.received("session")[0]["token"]):
        done = revoke(gw.gateway.settings.data_dir, "--token", token)
        assert done.returncode == 2 and "not a staff token" in done.stderr
        assert "Traceback" not in done.stderr
    assert revoke(tmp_path / "empty", "--token", "x").returncode == 2


async def session_token(gw: RunningGateway, token: str | None = None) -> str:
    client = await gw.citizen(token=token)
    await client.disconnect()
    return str(client.received("session")[0]["token"])


async def test_a_newer_citizen_token_ends_the_older_ones(gw: RunningGateway) -> None:
    first = await session_token(gw)
    second = await session_token(gw, first)
    assert second != first
    third = await session_token(gw, first)
    assert third != second, "the token just exchanged still works: its reply may be lost"
    refused = await connect_error(gw.url, "/citizen", {"token": second})
    assert refused["code"] == "unauthorized", "an older token never presented is ended"  # type: ignore[index]
    await session_token(gw, third)
    for old in (first, second):
        refused = await connect_error(gw.url, "/citizen", {"token": old})
        assert refused["code"] == "unauthorized"  # type: ignore[index]


async def test_without_grace_the_exchanged_token_ends_at_once(
        start_gateway: StartGateway) -> None:
    gw = await start_gateway(citizen_token_grace_s=0)
    first = await session_token(gw)
    newest = await session_token(gw, first)
    refused = await connect_error(gw.url, "/citizen", {"token": first})
    assert refused["code"] == "unauthorized"  # type: ignore[index]
    assert await session_token(gw, newest)


async def test_another_tab_connecting_hands_the_newest_token_to_the_live_ones(
        gw: RunningGateway) -> None:
    tab_a = await gw.citizen()
    first = tab_a.received("session")[0]["token"]
    tab_b = await gw.citizen(token=first)
    newest = tab_b.received("session")[0]["token"]
    assert newest != first
    pushed = await tab_a.wait_for("session", lambda s: s["token"] != first)
    assert pushed["token"] == newest
    assert pushed["citizen_id"] == tab_a.received("session")[0]["citizen_id"]
    assert len(tab_b.received("session")) == 1, "the connecting tab gets its session once"
    await tab_a.disconnect()
    again = await gw.citizen(token=tab_a.received("session")[-1]["token"])
    assert again.received("session")


async def test_superseded_citizen_tokens_stay_ended_after_a_crash_and_restart(
        tmp_path: Path) -> None:
    no_grace = {"RTC_GATEWAY_CITIZEN_TOKEN_GRACE_S": "0"}
    process = start_process(tmp_path / "node", env=no_grace)
    try:
        first = await RecordingClient(process.url, "/citizen").connect()
        oldest = (await first.wait_for("session"))["token"]
        await first.disconnect()
        second = await RecordingClient(process.url, "/citizen").connect({"token": oldest})
        newest = (await second.wait_for("session"))["token"]
        await second.disconnect()
        await asyncio.sleep(2.5)
    finally:
        process.stop(signal.SIGKILL)
    restarted = start_process(tmp_path / "node", env=no_grace)
    try:
        refused = await connect_error(restarted.url, "/citizen", {"token": oldest})
        assert refused["code"] == "unauthorized"  # type: ignore[index]
        back = await RecordingClient(restarted.url, "/citizen").connect({"token": newest})
        assert (await back.wait_for("session"))["token"] != newest
        await back.disconnect()
    finally:
        restarted.stop()


async def test_a_revoked_supervisor_token_cannot_export(start_gateway: StartGateway) -> None:
    gw = await start_gateway(revocation_poll_interval_s=0.2)
    token = gw.agent_token("S-1", role="supervisor")
    url = f"{gw.url}/api/v1/conversations/nope/export"
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"reason": "PV 1"}, headers=headers) as response:
            assert response.status == 404, "accepted before the revocation"
        assert revoke(gw.gateway.settings.data_dir, "--id", "S-1").returncode == 0
        await asyncio.sleep(1.0)
        async with session.post(url, json={"reason": "PV 1"}, headers=headers) as response:
            assert response.status == 401
