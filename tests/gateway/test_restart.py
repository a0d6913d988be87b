"""Nothing said is lost across a restart: the evidence log rebuilds open conversations."""

import signal
from pathlib import Path

from tests.gateway.conftest import StartGateway
from tests.gateway.test_chat import assigned_pair
from tests.support.gateway_process import start_gateway as start_process
from tests.support.sio_client import RecordingClient


async def test_open_conversations_survive_a_restart(start_gateway: StartGateway,
                                                    tmp_path: Path) -> None:
    first = await start_gateway(data_dir=tmp_path / "node")
    citizen, agent, cid = await assigned_pair(first)
    token = citizen.received("session")[0]["token"]
    for i in range(3):
        await citizen.ok("message:send", {"conversation_id": cid, "client_msg_id": f"c{i}",
                                          "text": f"avant redémarrage {i}"})
    await citizen.disconnect()
    await agent.disconnect()
    first.clients.clear()
    await first.runner.cleanup()

    second = await start_gateway(data_dir=tmp_path / "node")
    back = await second.citizen(token=token)
    assert back.received("session")[0]["citizen_id"] == citizen.received("session")[0][
        "citizen_id"]
    listed = await back.ok("conversation:list", {})
    assert [c["id"] for c in listed["conversations"]] == [cid]
    assert listed["conversations"][0]["status"] == "queued"
    resumed = await back.ok("conversation:resume", {"conversation_id": cid, "after_seq": 0})
    assert [m["text"] for m in resumed["messages"]] == [f"avant redémarrage {i}"
                                                        for i in range(3)]
    again = await back.ok("message:send", {"conversation_id": cid, "client_msg_id": "c0",
                                           "text": "renvoyé après coupure"})
    assert again["message"]["seq"] == 1, "idempotency survives the restart"
    nxt = await back.ok("message:send", {"conversation_id": cid, "client_msg_id": "c9",
                                         "text": "après redémarrage"})
    assert nxt["message"]["seq"] == 4
    officer = await second.agent("a9")
    handed = await officer.wait_for("conversation:assigned")
    assert [m["seq"] for m in handed["messages"]] == [1, 2, 3, 4]


async def test_sigterm_drains_and_restart_keeps_every_message(tmp_path: Path) -> None:
    process = start_process(tmp_path / "proc")
    try:
        token = process.mint_agent_token("a1", max_chats=3)
        agent = await RecordingClient(process.url, "/agent").connect({"token": token})
        await agent.ok("agent:status", {"status": "available"})
        citizen = await RecordingClient(process.url, "/citizen").connect()
        session = await citizen.wait_for("session")
        opened = await citizen.ok("conversation:open", {
            "topic": "general", "text": "premier-secret", "client_msg_id": "1"})
        cid = opened["conversation"]["id"]
        await citizen.ok("message:send", {"conversation_id": cid, "client_msg_id": "2",
                                          "text": "second-secret"})
        await citizen.disconnect()
        await agent.disconnect()
    finally:
        assert process.stop(signal.SIGTERM) == 0
    log = process.log()
    assert '"gateway stopped"' in log
    for secret in ("premier-secret", "second-secret", session["token"], token):
        assert secret not in log, "logs carry neither message text nor tokens"
    restarted = start_process(tmp_path / "proc")
    try:
        citizen = await RecordingClient(restarted.url, "/citizen").connect(
            {"token": session["token"]})
        resumed = await citizen.ok("conversation:resume", {"conversation_id": cid})
        assert [m["text"] for m in resumed["messages"]] == ["premier-secret", "second-secret"]
        await citizen.disconnect()
    finally:
        restarted.stop()
