"""A real ``rtc-gateway serve`` on its data directory: owner-only modes whatever the
umask, and one gateway per embedded evidence log."""

import os
from pathlib import Path

import pytest

from tests.security.modes import not_private
from tests.support.gateway_process import start_gateway as start_process
from tests.support.sio_client import RecordingClient


@pytest.mark.parametrize("umask", [0o000, 0o022], ids=["umask000", "umask022"])
async def test_served_data_directory_is_owner_only(tmp_path: Path, umask: int) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    os.chmod(data_dir, 0o755)
    previous = os.umask(umask)
    try:
        process = start_process(data_dir)
        try:
            token = process.mint_agent_token("a1")
            agent = await RecordingClient(process.url, "/agent").connect({"token": token})
            citizen = await RecordingClient(process.url, "/citizen").connect()
            await citizen.wait_for("session")
            await citizen.ok("conversation:open", {"topic": "general", "client_msg_id": "1",
                                                   "text": "j'habite au 3 rue des Lilas"})
            assert not_private(data_dir, ignore=["gateway.log"]) == {}
            await citizen.disconnect()
            await agent.disconnect()
        finally:
            assert process.stop() == 0
    finally:
        os.umask(previous)
    assert not_private(data_dir, ignore=["gateway.log"]) == {}
