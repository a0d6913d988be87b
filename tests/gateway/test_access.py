"""Nobody sees or acts on a conversation that is not theirs."""

from tests.gateway.conftest import RunningGateway
from tests.gateway.test_chat import assigned_pair

CONVERSATION_EVENTS = [
    ("message:send", {"client_msg_id": "x", "text": "intrusion"}),
    ("message:read", {"seq": 1}),
    ("typing", {"typing": True}),
    ("conversation:resume", {"after_seq": 0}),
    ("conversation:close", {}),
]


async def test_foreign_citizen_and_foreign_agent_are_refused(gw: RunningGateway) -> None:
    citizen, _agent, cid = await assigned_pair(gw)
    await citizen.ok("message:send", {"conversation_id": cid, "client_msg_id": "c1",
                                      "text": "secret"})
    stranger = await gw.citizen()
    other_agent = await gw.agent("a2")
    for intruder in (stranger, other_agent):
        for event, payload in CONVERSATION_EVENTS:
            ack = await intruder.call(event, {"conversation_id": cid, **payload})
            assert ack["ok"] is False, (event, ack)
            assert ack["error"]["code"] in ("forbidden", "not_found")
            assert "secret" not in str(ack)
        assert (await intruder.ok("conversation:list", {}))["conversations"] == []
    transfer = await other_agent.call("conversation:transfer",
                                      {"conversation_id": cid, "to": {"service": "gendarmerie"}})
    assert transfer["error"]["code"] == "forbidden"
    assert stranger.received("message") == [] and other_agent.received("message") == []
    still = await citizen.ok("conversation:resume", {"conversation_id": cid, "after_seq": 0})
    assert [m["text"] for m in still["messages"]] == ["secret"]


async def test_supervisor_sees_every_conversation(gw: RunningGateway) -> None:
    citizen, _agent, cid = await assigned_pair(gw)
    supervisor = await gw.agent("s1", role="supervisor", available=False)
    listed = await supervisor.ok("conversation:list", {})
    assert [c["id"] for c in listed["conversations"]] == [cid]
    await citizen.ok("message:send", {"conversation_id": cid, "client_msg_id": "c",
                                      "text": "bonjour"})
    resumed = await supervisor.ok("conversation:resume", {"conversation_id": cid})
    assert [m["text"] for m in resumed["messages"]] == ["bonjour"]
    overview = await supervisor.wait_for("agents:update",
                                         lambda u: any(a["agent_id"] == "a1"
                                                       for a in u["agents"]))
    a1 = next(a for a in overview["agents"] if a["agent_id"] == "a1")
    assert a1["load"] == 1 and a1["status"] == "available"
