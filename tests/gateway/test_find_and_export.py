"""A supervisor's path to the court through the command line, on a live gateway: find the
conversation, see who handled it, export it, verify it against the published key."""

import asyncio
import io
import json
import zipfile
from pathlib import Path

import pypdf

from tests.gateway.conftest import StartGateway
from tests.gateway.test_chat import assigned_pair
from tests.support.cli_process import Run, run_cli


async def cli(*args: str) -> Run:
    return await asyncio.to_thread(run_cli, *args)


async def test_find_a_live_conversation_export_it_and_verify_with_the_log_key(
    start_gateway: StartGateway, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    gw = await start_gateway(data_dir=data_dir)
    citizen, agent, cid = await assigned_pair(gw)
    await citizen.ok("message:send", {"conversation_id": cid, "client_msg_id": "1",
                                      "text": "On m'a volé mon vélo"})
    await agent.ok("message:send", {"conversation_id": cid, "client_msg_id": "2",
                                    "text": "Où était-il garé ?"})

    listed = await cli("conversations", "list", "--data-dir", str(data_dir), "--open",
                       "--json")
    assert listed.code == 0, listed.err
    [found] = json.loads(listed.out)
    assert found["conversation_id"] == cid and found["status"] == "open"
    assert found["agents"] == ["Officier a1 (a1)"]
    assert found["messages"] >= 1
    assert "vélo" not in listed.out

    shown = await cli("conversations", "show", cid, "--data-dir", str(data_dir))
    assert shown.code == 0, shown.err
    assert "officers   Officier a1 (a1)" in shown.out

    bundle = tmp_path / "case.zip"
    exported = await cli("export", "--data-dir", str(data_dir), "--conversation", cid,
                         "--out", str(bundle), "--reason", "PV 2026/77")
    assert exported.code == 0, exported.err
    with zipfile.ZipFile(bundle) as archive:
        pdf = pypdf.PdfReader(io.BytesIO(archive.read("transcript.pdf")))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Prise en charge par un agent" in text
    assert "Agent : Officier a1 (matricule a1)" in text
    assert "On m'a volé mon vélo" in text
    assert "Message n° 2 — Agent Officier a1 (matricule a1)" in text

    key = await cli("log-key", "--data-dir", str(data_dir))
    assert key.code == 0, key.err
    verified = await cli("verify", str(bundle), "--trusted-key", key.out.strip())
    assert verified.code == 0, verified.err
    assert f"first key (trust anchor): {key.out.strip()}" in verified.out
