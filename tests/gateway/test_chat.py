"""The chat contract end to end: open, route, relay, resume, idempotency, ordering."""

import asyncio

from tests.gateway.conftest import RunningGateway
from tests.support.sio_client import RecordingClient


async def open_conversation(citizen: RecordingClient, **fields: object) -> dict:  # type: ignore[type-arg]
    ack = await citizen.ok("conversation:open", {"topic": "general", "service": "police",
                                                 **fields})
    return dict(ack["conversation"])


async def assigned_pair(gw: RunningGateway) -> tuple[RecordingClient, RecordingClient, str]:
    agent = await gw.agent("a1")
    citizen = await gw.citizen()
    conversation = await open_conversation(citizen)
    await agent.wait_for("conversation:assigned")
    await citizen.wait_for("conversation:assigned")
    return citizen, agent, conversation["id"]


async def test_citizen_is_queued_then_routed_with_history(gw: RunningGateway) -> None:
    citizen = await gw.citizen()
    conversation = await open_conversation(citizen, text="Bonjour, on m'a volé mon vélo",
                                           client_msg_id="m1")
    assert conversation["status"] == "queued"
    assert conversation["position"] == 1
    assert conversation["estimated_wait_s"] is None, "nobody online: no made-up figure"
    assert conversation["no_agent_since"] is not None
    queued = await citizen.wait_for("conversation:queued")
    assert queued["conversation_id"] == conversation["id"]

    agent = await gw.agent("a1", name="Lieutenant Martin")
    assigned = await agent.wait_for("conversation:assigned")
    assert assigned["conversation"]["id"] == conversation["id"]
    assert [m["text"] for m in assigned["messages"]] == ["Bonjour, on m'a volé mon vélo"]
    told = await citizen.wait_for("conversation:assigned")
    assert told["agent"] == {"display_name": "Lieutenant Martin", "service": "police"}


async def test_messages_flow_both_ways_and_to_the_citizens_other_tabs(
        gw: RunningGateway) -> None:
    citizen, agent, cid = await assigned_pair(gw)
    other_tab = await gw.citizen(token=citizen.received("session")[0]["token"])

    sent = await citizen.ok("message:send", {"conversation_id": cid, "client_msg_id": "c1",
                                             "text": "J'ai besoin d'aide"})
    message = sent["message"]
    assert message["seq"] == 1 and message["sender"] == "citizen"
    assert message["sent_at"].endswith("Z") and message["client_msg_id"] == "c1"
    assert (await agent.wait_for("message"))["text"] == "J'ai besoin d'aide"
    assert (await other_tab.wait_for("message"))["seq"] == 1

    await agent.ok("message:send", {"conversation_id": cid, "client_msg_id": "g1",
                                    "text": "Je vous écoute"})
    reply = await citizen.wait_for("message", lambda m: m["sender"] == "agent")
    assert reply["seq"] == 2 and reply["text"] == "Je vous écoute"
    await asyncio.sleep(0.1)
    assert [m["seq"] for m in citizen.received("message")] == [2], \
        "the sending connection does not get its own message back"


async def test_duplicate_client_msg_id_returns_the_first_message(gw: RunningGateway) -> None:
    citizen, agent, cid = await assigned_pair(gw)
    payload = {"conversation_id": cid, "client_msg_id": "same", "text": "une fois"}
    first, second = await asyncio.gather(citizen.ok("message:send", payload),
                                         citizen.ok("message:send", payload))
    third = await citizen.ok("message:send", {**payload, "text": "autre texte"})
    assert first["message"] == second["message"] == third["message"]
    await agent.wait_for("message")
    await asyncio.sleep(0.2)
    assert len(agent.received("message")) == 1


async def test_fifty_concurrent_sends_get_seq_1_to_50_without_gap(gw: RunningGateway) -> None:
    citizen, agent, cid = await assigned_pair(gw)
    acks = await asyncio.gather(*(
        citizen.ok("message:send", {"conversation_id": cid, "client_msg_id": f"m{i}",
                                    "text": f"message {i}"})
        for i in range(50)))
    assert sorted(a["message"]["seq"] for a in acks) == list(range(1, 51))
    await agent.wait_for("message", lambda m: len(agent.received("message")) == 50)
    assert sorted(m["seq"] for m in agent.received("message")) == list(range(1, 51))
    resumed = await agent.ok("conversation:resume", {"conversation_id": cid, "after_seq": 0})
    assert [m["seq"] for m in resumed["messages"]] == list(range(1, 51))
    by_seq = {a["message"]["seq"]: a["message"]["text"] for a in acks}
    assert all(m["text"] == by_seq[m["seq"]] for m in resumed["messages"])


async def test_disconnect_and_resume_misses_nothing(gw: RunningGateway) -> None:
    citizen, agent, cid = await assigned_pair(gw)
    token = citizen.received("session")[0]["token"]
    await citizen.ok("message:send", {"conversation_id": cid, "client_msg_id": "c1",
                                      "text": "avant la coupure"})
    await citizen.disconnect()
    for i in range(5):
        await agent.ok("message:send", {"conversation_id": cid, "client_msg_id": f"g{i}",
                                        "text": f"pendant la coupure {i}"})
    back = await gw.citizen(token=token)
    listed = await back.ok("conversation:list", {})
    assert [c["id"] for c in listed["conversations"]] == [cid]
    resumed = await back.ok("conversation:resume", {"conversation_id": cid, "after_seq": 1})
    assert [m["seq"] for m in resumed["messages"]] == [2, 3, 4, 5, 6]
    assert [m["text"] for m in resumed["messages"]] == [f"pendant la coupure {i}"
                                                        for i in range(5)]
    assert resumed["conversation"]["status"] == "assigned"


async def test_typing_and_read_receipts_are_relayed(gw: RunningGateway) -> None:
    citizen, agent, cid = await assigned_pair(gw)
    await citizen.ok("typing", {"conversation_id": cid, "typing": True})
    assert await agent.wait_for("typing") == {"conversation_id": cid, "sender": "citizen",
                                              "typing": True}
    await agent.ok("message:send", {"conversation_id": cid, "client_msg_id": "g",
                                    "text": "Bonjour"})
    await citizen.ok("message:read", {"conversation_id": cid, "seq": 1})
    assert await agent.wait_for("message:read") == {"conversation_id": cid, "seq": 1,
                                                    "reader": "citizen"}


async def test_close_by_either_side_tells_both_and_frees_the_slot(gw: RunningGateway) -> None:
    agent = await gw.agent("a1", max_chats=1)
    first, second = await gw.citizen(), await gw.citizen()
    c1 = await open_conversation(first)
    await agent.wait_for("conversation:assigned")
    c2 = await open_conversation(second)
    await asyncio.sleep(0.1)
    assert len(agent.received("conversation:assigned")) == 1, "capacity is 1"
    closed = await agent.ok("conversation:close", {"conversation_id": c1["id"]})
    assert closed["conversation"]["status"] == "closed"
    assert (await first.wait_for("conversation:closed"))["reason"] == "closed_by_agent"
    nxt = await agent.wait_for("conversation:assigned",
                               lambda a: a["conversation"]["id"] == c2["id"])
    assert nxt["conversation"]["status"] == "assigned"
    listed = await first.ok("conversation:list", {})
    assert listed["conversations"] == []
    refused = await first.call("message:send", {"conversation_id": c1["id"],
                                                "client_msg_id": "x", "text": "encore"})
    assert refused["ok"] is False and refused["error"]["code"] in ("not_found", "conflict")
