"""A real ``rtc-gateway serve`` on its data directory: owner-only modes whatever the
umask, and one gateway per embedded evidence log."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.security.modes import not_private
from tests.support.gateway_process import LOOPBACK_MEDIA, free_port
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


def serve_again(data_dir: Path) -> subprocess.CompletedProcess[str]:
    """A second ``serve`` on ``data_dir``, on a port of its own; it must not start."""
    return subprocess.run(
        [sys.executable, "-m", "rtc_gateway", "serve", "--data-dir", str(data_dir),
         "--host", "127.0.0.1", "--port", str(free_port())],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, **LOOPBACK_MEDIA})


async def test_a_second_gateway_on_the_same_data_directory_refuses_to_start(
        tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = start_process(data_dir)
    try:
        token = first.mint_agent_token("a1")
        agent = await RecordingClient(first.url, "/agent").connect({"token": token})
        await agent.ok("agent:status", {"status": "available"})
        citizen = await RecordingClient(first.url, "/citizen").connect()
        await citizen.wait_for("session")
        opened = await citizen.ok("conversation:open", {"topic": "general",
                                                        "client_msg_id": "1", "text": "aidez-moi"})
        cid = opened["conversation"]["id"]
        await agent.wait_for("conversation:assigned")

        second = serve_again(data_dir)
        assert second.returncode == 1, second
        lines = (second.stderr + second.stdout).strip().splitlines()
        assert len(lines) == 1, lines
        assert str(data_dir) in lines[0] and "in use by another gateway" in lines[0]
        assert f"pid {first.process.pid}" in lines[0]
        assert "Traceback" not in second.stderr

        sent = await citizen.ok("message:send", {"conversation_id": cid, "client_msg_id": "2",
                                                 "text": "toujours là"})
        assert sent["message"]["seq"] == 2, "the first gateway keeps writing"
        await citizen.disconnect()
        await agent.disconnect()
    finally:
        first.stop(signal.SIGKILL)
    restarted = start_process(data_dir)
    try:
        assert restarted.process.poll() is None, "a crashed gateway leaves no stale lock"
    finally:
        assert restarted.stop() == 0
