"""Routing as the contract shows it: priority, capacity, grace period, transfer, zones."""

import asyncio

from tests.gateway.conftest import RunningGateway, StartGateway
from tests.gateway.test_chat import open_conversation
from tests.support.sio_client import RecordingClient


async def test_discreet_alert_overtakes_earlier_normal_requests(gw: RunningGateway) -> None:
    citizens = [await gw.citizen() for _ in range(3)]
    normal_1 = await open_conversation(citizens[0])
    normal_2 = await open_conversation(citizens[1])
    alert = (await citizens[2].ok("conversation:open", {
        "topic": "discreet_alert", "discreet": True,
        "location": {"lat": 48.85, "lon": 2.35}}))["conversation"]
    assert alert["priority"] == "urgent" and alert["discreet"] is True
    assert alert["position"] == 1
    queued = await citizens[0].wait_for("conversation:queued", lambda q: q["position"] == 2)
    assert queued["conversation_id"] == normal_1["id"]

    agent = await gw.agent("a1", max_chats=1)
    first = await agent.wait_for("conversation:assigned")
    assert first["conversation"]["id"] == alert["id"]
    assert first["conversation"]["location"] == {"lat": 48.85, "lon": 2.35}
    await agent.ok("conversation:close", {"conversation_id": alert["id"]})
    second = await agent.wait_for("conversation:assigned",
                                  lambda a: a["conversation"]["id"] != alert["id"])
    assert second["conversation"]["id"] == normal_1["id"]
    assert normal_2["id"] not in [a["conversation"]["id"]
                                  for a in agent.received("conversation:assigned")]


async def test_capacity_is_respected_and_least_loaded_agent_wins(gw: RunningGateway) -> None:
    busy = await gw.agent("a1", max_chats=2)
    citizens = [await gw.citizen() for _ in range(3)]
    for citizen in citizens:
        await open_conversation(citizen)
    await busy.wait_for("conversation:assigned",
                        lambda _: len(busy.received("conversation:assigned")) == 2)
    await asyncio.sleep(0.1)
    assert len(busy.received("conversation:assigned")) == 2
    fresh = await gw.agent("a2", max_chats=2)
    await fresh.wait_for("conversation:assigned")
    later = await gw.citizen()
    await open_conversation(later)
    await fresh.wait_for("conversation:assigned",
                         lambda _: len(fresh.received("conversation:assigned")) == 2)
    assert len(busy.received("conversation:assigned")) == 2


async def test_away_agent_takes_nothing_new_but_keeps_its_chats(gw: RunningGateway) -> None:
    agent = await gw.agent("a1")
    first = await gw.citizen()
    c1 = await open_conversation(first)
    await agent.wait_for("conversation:assigned")
    await agent.ok("agent:status", {"status": "away"})
    second = await gw.citizen()
    await open_conversation(second)
    await asyncio.sleep(0.2)
    assert len(agent.received("conversation:assigned")) == 1
    await agent.ok("message:send", {"conversation_id": c1["id"], "client_msg_id": "g",
                                    "text": "toujours là"})
    await agent.ok("agent:status", {"status": "available"})
    await agent.wait_for("conversation:assigned",
                         lambda _: len(agent.received("conversation:assigned")) == 2)


async def test_dropped_agent_conversations_requeue_after_grace(gw: RunningGateway) -> None:
    agent = await gw.agent("a1")
    citizen = await gw.citizen()
    conversation = await open_conversation(citizen, text="au secours", client_msg_id="c1")
    await agent.wait_for("conversation:assigned")
    await agent.disconnect()
    await asyncio.sleep(0.2)
    assert not citizen.received("conversation:queued")[1:], "still within the grace period"
    queued = await citizen.wait_for("conversation:queued",
                                    lambda q: len(citizen.received("conversation:queued")) > 1,
                                    timeout=5)
    assert queued["position"] == 1
    backup = await gw.agent("a2")
    handed = await backup.wait_for("conversation:assigned")
    assert handed["conversation"]["id"] == conversation["id"]
    assert [m["text"] for m in handed["messages"]] == ["au secours"]


async def test_agent_reconnecting_within_grace_keeps_its_conversations(
        start_gateway: StartGateway) -> None:
    gw = await start_gateway(agent_grace_s=3.0)
    agent = await gw.agent("a1")
    citizen = await gw.citizen()
    conversation = await open_conversation(citizen)
    await agent.wait_for("conversation:assigned")
    await agent.disconnect()
    back = await gw.agent("a1", available=False)
    listed = await back.ok("conversation:list", {})
    assert [c["id"] for c in listed["conversations"]] == [conversation["id"]]
    await back.ok("message:send", {"conversation_id": conversation["id"],
                                   "client_msg_id": "g", "text": "me revoilà"})
    assert (await citizen.wait_for("message"))["text"] == "me revoilà"


async def test_transfer_to_the_other_service_and_to_a_named_agent(gw: RunningGateway) -> None:
    police = await gw.agent("p1")
    gendarme = await gw.agent("g1", service="gendarmerie")
    citizen = await gw.citizen()
    conversation = await open_conversation(citizen, text="c'est en zone rurale",
                                           client_msg_id="c1")
    await police.wait_for("conversation:assigned")
    moved = await police.ok("conversation:transfer", {"conversation_id": conversation["id"],
                                                      "to": {"service": "gendarmerie"}})
    assert moved["conversation"]["id"] == conversation["id"]
    assert (await police.wait_for("conversation:transferred"))["conversation_id"] == \
        conversation["id"]
    taken = await gendarme.wait_for("conversation:assigned")
    assert taken["conversation"]["service"] == "gendarmerie"
    assert [m["text"] for m in taken["messages"]] == ["c'est en zone rurale"]
    told = await citizen.wait_for("conversation:assigned",
                                  lambda a: a["agent"]["service"] == "gendarmerie")
    assert told["conversation_id"] == conversation["id"]
    forbidden = await police.call("message:send", {"conversation_id": conversation["id"],
                                                   "client_msg_id": "p", "text": "encore moi"})
    assert forbidden["error"]["code"] == "forbidden"

    colleague = await gw.agent("g2", service="gendarmerie")
    await gendarme.ok("conversation:transfer", {"conversation_id": conversation["id"],
                                                "to": {"agent_id": "g2"}})
    handed = await colleague.wait_for("conversation:assigned")
    assert handed["conversation"]["id"] == conversation["id"]
    nobody = await colleague.call("conversation:transfer", {
        "conversation_id": conversation["id"], "to": {"agent_id": "nobody"}})
    assert nobody["error"]["code"] == "not_found"
    former = await gendarme.call("conversation:transfer", {
        "conversation_id": conversation["id"], "to": {"service": "police"}})
    assert former["error"]["code"] == "forbidden"


async def test_auto_service_follows_the_location(gw: RunningGateway) -> None:
    citizen = await gw.citizen()
    paris = await citizen.ok("conversation:open", {"topic": "general", "service": "auto",
                                                   "location": {"lat": 48.86, "lon": 2.34}})
    assert paris["conversation"]["service"] == "police"
    countryside = await citizen.ok("conversation:open", {
        "topic": "general", "service": "auto", "location": {"lat": 46.5, "lon": 2.0}})
    assert countryside["conversation"]["service"] == "gendarmerie"
    anywhere = await citizen.ok("conversation:open", {"topic": "general"})
    assert anywhere["conversation"]["service"] == "auto"
    gendarme = await gw.agent("g1", service="gendarmerie", max_chats=5)
    await gendarme.wait_for("conversation:assigned",
                            lambda _: len(gendarme.received("conversation:assigned")) == 2)
    taken = {a["conversation"]["id"] for a in gendarme.received("conversation:assigned")}
    assert taken == {countryside["conversation"]["id"], anywhere["conversation"]["id"]}


async def test_a_burst_of_openings_is_fully_assigned(start_gateway: StartGateway) -> None:
    """Conversations opened while an assignment pass runs are not forgotten."""
    gw = await start_gateway(rate_per_s=1000.0, rate_burst=1000.0)
    agents = [await gw.agent(f"a{i}", max_chats=10) for i in range(3)]
    citizens = [await gw.citizen() for _ in range(30)]

    async def open_soon(citizen: RecordingClient, delay: float) -> None:
        await asyncio.sleep(delay)
        await open_conversation(citizen)

    await asyncio.gather(*(open_soon(c, 0.003 * i) for i, c in enumerate(citizens)))

    def assigned() -> int:
        return sum(len(a.received("conversation:assigned")) for a in agents)

    async with asyncio.timeout(5):
        while assigned() < 30:  # noqa: ASYNC110 - events land in the clients' handlers
            await asyncio.sleep(0.05)
    assert sorted(len(a.received("conversation:assigned")) for a in agents) == [10, 10, 10]
