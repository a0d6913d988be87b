"""Retries are recognised per sender (its id), never across senders or conversations."""

import asyncio
from pathlib import Path

from tests.gateway.conftest import RunningGateway, StartGateway
from tests.gateway.test_chat import assigned_pair, open_conversation


async def test_a_client_msg_id_is_the_senders_own_not_its_roles(gw: RunningGateway) -> None:
    citizen, first_officer, cid = await assigned_pair(gw)
    mine = await first_officer.ok("message:send", {"conversation_id": cid,
                                                   "client_msg_id": "1", "text": "Agent 1"})
    supervisor = await gw.agent("s1", role="supervisor", available=False)
    theirs = await supervisor.ok("message:send", {"conversation_id": cid,
                                                  "client_msg_id": "1", "text": "Superviseur"})
    assert theirs["message"]["text"] == "Superviseur"
    assert theirs["message"]["seq"] == mine["message"]["seq"] + 1

    second_officer = await gw.agent("a2")
    await first_officer.ok("conversation:transfer", {"conversation_id": cid,
                                                     "to": {"agent_id": "a2"}})
    await second_officer.wait_for("conversation:assigned")
    again = await second_officer.ok("message:send", {"conversation_id": cid,
                                                     "client_msg_id": "1", "text": "Agent 2"})
    assert again["message"]["text"] == "Agent 2"
    assert again["message"]["seq"] == theirs["message"]["seq"] + 1
    retried = await second_officer.ok("message:send", {"conversation_id": cid,
                                                       "client_msg_id": "1", "text": "Agent 2"})
    assert retried["message"] == again["message"], "a retry by the same sender is recognised"

    await citizen.wait_for("message", lambda m: m["text"] == "Agent 2")
    texts = [m["text"] for m in citizen.received("message")]
    assert texts == ["Agent 1", "Superviseur", "Agent 2"]
    records = await gw.gateway.evidence.conversation_records(cid, ["message"])
    assert [(r.actor_id, r.text) for r in records] == [
        ("a1", "Agent 1"), ("s1", "Superviseur"), ("a2", "Agent 2")]


async def test_concurrent_retries_of_one_sender_deliver_once(gw: RunningGateway) -> None:
    _citizen, officer, cid = await assigned_pair(gw)
    supervisor = await gw.agent("s1", role="supervisor", available=False)
    payload = {"conversation_id": cid, "client_msg_id": "x", "text": "une fois"}
    acks = await asyncio.gather(*(officer.ok("message:send", payload) for _ in range(3)),
                                supervisor.ok("message:send", {**payload, "text": "autre"}))
    officer_seqs = {a["message"]["seq"] for a in acks[:3]}
    assert len(officer_seqs) == 1
    assert acks[3]["message"]["text"] == "autre"
    assert acks[3]["message"]["seq"] not in officer_seqs
    records = await gw.gateway.evidence.conversation_records(cid, ["message"])
    assert sorted(r.text or "" for r in records) == ["autre", "une fois"]


async def test_the_first_message_of_open_and_a_send_with_its_id_are_one_message(
        gw: RunningGateway) -> None:
    citizen = await gw.citizen()
    conversation = await open_conversation(citizen, text="premier", client_msg_id="m1")
    sent = await citizen.ok("message:send", {"conversation_id": conversation["id"],
                                             "client_msg_id": "m1", "text": "premier"})
    assert sent["message"]["seq"] == 1, "the first message of open is the same message"


async def test_open_retried_with_the_same_client_msg_id_is_one_conversation(
        gw: RunningGateway) -> None:
    citizen = await gw.citizen()
    opening = {"topic": "general", "service": "police", "text": "Au secours",
               "client_msg_id": "open-1"}
    concurrent = await asyncio.gather(*(citizen.ok("conversation:open", opening)
                                        for _ in range(3)))
    ids = {ack["conversation"]["id"] for ack in concurrent}
    assert len(ids) == 1, "retries while the first is written get the same conversation"
    again = await citizen.ok("conversation:open", opening)
    assert again["conversation"]["id"] in ids, "and so does a retry after it is written"
    other = await citizen.ok("conversation:open", {**opening, "client_msg_id": "open-2"})
    assert other["conversation"]["id"] not in ids

    listed = await citizen.ok("conversation:list", {})
    assert len(listed["conversations"]) == 2
    cid = ids.pop()
    records = await gw.gateway.evidence.conversation_records(cid)
    assert [r.kind for r in records].count("conversation.opened") == 1
    assert [r.text for r in records if r.kind == "message"] == ["Au secours"]
    agent = await gw.agent("a1")
    assigned = await agent.wait_for("conversation:assigned",
                                    lambda a: a["conversation"]["id"] == cid)
    assert [m["text"] for m in assigned["messages"]] == ["Au secours"]


async def test_open_retried_at_the_open_conversation_cap_is_the_same_conversation(
        gw: RunningGateway) -> None:
    """A retry holds no new place: at the cap of 5 it still gets its conversation back."""
    citizen = await gw.citizen()
    opened = [await citizen.ok("conversation:open", {"topic": "general", "service": "police",
                                                     "client_msg_id": f"open-{n}"})
              for n in range(5)]
    refused = await citizen.call("conversation:open", {"topic": "general",
                                                       "client_msg_id": "open-6"})
    assert refused["error"]["code"] == "conflict"
    again = await citizen.ok("conversation:open", {"topic": "general", "service": "police",
                                                   "client_msg_id": "open-4"})
    assert again["conversation"]["id"] == opened[4]["conversation"]["id"]


async def test_open_retried_after_its_ack_was_lost_on_a_dropped_connection(
        gw: RunningGateway) -> None:
    citizen = await gw.citizen()
    token = citizen.received("session")[0]["token"]
    opening = {"topic": "general", "service": "police", "text": "Mon ack s'est perdu",
               "client_msg_id": "open-lost"}
    # Emitted without asking for an ack: the gateway opens it, the client never learns.
    await citizen.sio.emit("conversation:open", opening, namespace="/citizen")
    async with asyncio.timeout(10):
        while not await gw.gateway.evidence.open_conversation_ids():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    await citizen.disconnect()
    again = await gw.citizen(token=token)
    retried = await again.ok("conversation:open", opening)
    listed = await again.ok("conversation:list", {})
    assert [c["id"] for c in listed["conversations"]] == [retried["conversation"]["id"]]
    records = await gw.gateway.evidence.conversation_records(retried["conversation"]["id"])
    assert [r.text for r in records if r.kind == "message"] == ["Mon ack s'est perdu"]


async def test_open_retried_after_a_restart_is_still_one_conversation(
        start_gateway: StartGateway, tmp_path: Path) -> None:
    first = await start_gateway(data_dir=tmp_path / "node")
    citizen = await first.citizen()
    token = citizen.received("session")[0]["token"]
    opening = {"topic": "general", "service": "police", "text": "avant",
               "client_msg_id": "open-r"}
    opened = await citizen.ok("conversation:open", opening)
    await citizen.disconnect()
    first.clients.clear()
    await first.runner.cleanup()

    second = await start_gateway(data_dir=tmp_path / "node")
    back = await second.citizen(token=token)
    retried = await back.ok("conversation:open", opening)
    assert retried["conversation"]["id"] == opened["conversation"]["id"]
    resumed = await back.ok("conversation:resume",
                            {"conversation_id": opened["conversation"]["id"]})
    assert [m["text"] for m in resumed["messages"]] == ["avant"]
