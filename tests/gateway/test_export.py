"""Exporting a conversation's evidence: the CLI of the contract and the supervisors' endpoint."""

import asyncio
import subprocess
import sys
import zipfile
from pathlib import Path

import aiohttp

from tests.gateway.conftest import RunningGateway, StartGateway
from tests.gateway.test_chat import assigned_pair


async def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The command line in a subprocess, without blocking the in-process server's loop."""
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "rtc_gateway", *args],
        capture_output=True, text=True, timeout=60)


async def test_export_over_http_and_cli_and_verify(start_gateway: StartGateway,
                                                   tmp_path: Path) -> None:
    gw = await start_gateway(data_dir=tmp_path / "data")
    citizen, agent, cid = await assigned_pair(gw)
    await citizen.ok("message:send", {"conversation_id": cid, "client_msg_id": "1",
                                      "text": "On m'a suivie <b>dans</b> le métro"})
    await agent.ok("message:send", {"conversation_id": cid, "client_msg_id": "2",
                                    "text": "Où êtes-vous ?"})
    url = f"{gw.url}/api/v1/conversations/{cid}/export"
    body = {"reason": "PV 2026/1234", "include_media": False}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=body) as response:
            assert response.status == 401
        officer = {"Authorization": f"Bearer {gw.agent_token('a1')}"}
        async with session.post(url, json=body, headers=officer) as response:
            assert response.status == 403
        supervisor = {"Authorization": f"Bearer {gw.agent_token('s1', role='supervisor')}"}
        async with session.post(f"{gw.url}/api/v1/conversations/nope/export", json=body,
                                headers=supervisor) as response:
            assert response.status == 404
        async with session.post(url, json=body, headers=supervisor) as response:
            assert response.status == 200
            bundle = tmp_path / "http.zip"
            bundle.write_bytes(await response.read())
    assert zipfile.is_zipfile(bundle)
    verified = await run_cli("verify", str(bundle))
    assert verified.returncode == 0, verified.stdout + verified.stderr

    cli_bundle = tmp_path / "cli.zip"
    exported = await run_cli("export", "--data-dir", str(tmp_path / "data"),
                             "--conversation", cid, "--out", str(cli_bundle),
                             "--reason", "PV 2026/1235")
    assert exported.returncode == 0, exported.stderr
    verified = await run_cli("verify", str(cli_bundle))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    await citizen.ok("message:send", {"conversation_id": cid, "client_msg_id": "3",
                                      "text": "après l'export, le serveur écrit encore"})

    raw = bytearray(cli_bundle.read_bytes())
    with zipfile.ZipFile(cli_bundle) as archive:
        names = archive.namelist()
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(cli_bundle) as source, zipfile.ZipFile(tampered, "w") as target:
        for name in names:
            data = source.read(name)
            if name.endswith("records.json"):
                data = data.replace("Où êtes-vous".encode(), "Où étiez-vous".encode())
            target.writestr(name, data)
    assert raw, "bundle is not empty"
    rejected = await run_cli("verify", str(tampered))
    assert rejected.returncode != 0


async def test_export_refuses_deeply_nested_json_with_bad_request(
        gw: RunningGateway) -> None:
    cid = "cv_nested"
    url = f"{gw.url}/api/v1/conversations/{cid}/export"
    supervisor = {"Authorization": f"Bearer {gw.agent_token('s1', role='supervisor')}",
                  "Content-Type": "application/json"}
    depth = 1000
    nested = b'{"reason": "PV 1", "extra": ' + b"[" * depth + b"]" * depth + b"}"
    async with aiohttp.ClientSession() as session:
        for body in (nested, b"[" * depth + b"]" * depth, b"{" * depth):
            async with session.post(url, data=body, headers=supervisor) as response:
                assert response.status == 400
                answer = await response.json()
            assert answer["ok"] is False
            assert answer["error"]["code"] == "bad_request"
            assert isinstance(answer["error"]["message"], str)
        huge = b'{"reason": "' + b"x" * (gw.gateway.settings.max_packet_bytes + 1) + b'"}'
        async with session.post(url, data=huge, headers=supervisor) as response:
            assert response.status == 413
            assert (await response.json())["error"]["code"] == "too_large"
        async with session.get(f"{gw.url}/healthz") as response:
            assert response.status == 200
