"""A video call leaves lines in the conversation, for both sides and in the evidence log."""

from tests.gateway.conftest import RunningGateway
from tests.gateway.test_chat import assigned_pair
from tests.support.sio_client import RecordingClient


def system_texts(client: RecordingClient) -> list[str]:
    return [m["text"] for m in client.received("message") if m["sender"] == "system"]


async def test_call_start_and_end_are_system_lines_on_both_sides(gw: RunningGateway) -> None:
    citizen, agent, cid = await assigned_pair(gw)
    room_id = (await agent.ok("video:start", {"conversation_id": cid}))["room_id"]
    await agent.ok("video:start", {"conversation_id": cid})
    started = await citizen.wait_for("message", lambda m: m["sender"] == "system")
    assert "enregistré" in started["text"]
    await agent.wait_for("message", lambda m: m["sender"] == "system")
    await agent.ok("video:join", {"room_id": room_id})
    await agent.ok("video:leave", {"room_id": room_id})
    await citizen.wait_for("video:ended")
    await citizen.wait_for("message", lambda m: m["text"].startswith("Appel vidéo terminé"))
    await agent.wait_for("message", lambda m: m["text"].startswith("Appel vidéo terminé"))
    assert len(system_texts(citizen)) == 2, "a second start of the same room says nothing"
    assert system_texts(citizen) == system_texts(agent)

    replay = await citizen.ok("conversation:resume", {"conversation_id": cid, "after_seq": 0})
    logged = [(m["seq"], m["sender"], m["text"]) for m in replay["messages"]]
    assert [text for _, sender, text in logged if sender == "system"] == system_texts(citizen)
    assert [seq for seq, _, _ in logged] == list(range(1, len(logged) + 1))


async def test_a_call_ended_by_closing_leaves_no_line_in_a_closed_conversation(
        gw: RunningGateway) -> None:
    citizen, agent, cid = await assigned_pair(gw)
    await agent.ok("video:start", {"conversation_id": cid})
    await citizen.wait_for("message", lambda m: m["sender"] == "system")
    await agent.ok("conversation:close", {"conversation_id": cid})
    await citizen.wait_for("video:ended")
    assert len(system_texts(citizen)) == 1
