"""What a waiting citizen is told over the real contract: staffing, estimate, reference."""

import re
from datetime import datetime

import aiohttp

from rtc_gateway.domain.reference import conversation_reference
from tests.gateway.conftest import RunningGateway, StartGateway
from tests.gateway.test_chat import open_conversation

REFERENCE = re.compile(r"^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$")


async def test_nobody_of_the_force_online_is_said_with_no_made_up_wait(
        gw: RunningGateway) -> None:
    await gw.agent("g1", service="gendarmerie")
    citizen = await gw.citizen()
    conversation = await open_conversation(citizen, service="police")
    assert conversation["status"] == "queued"
    assert conversation["estimated_wait_s"] is None
    since = datetime.fromisoformat(conversation["no_agent_since"])
    queued = await citizen.wait_for("conversation:queued")
    assert queued == {"conversation_id": conversation["id"], "position": 1,
                      "estimated_wait_s": None,
                      "no_agent_since": conversation["no_agent_since"]}

    police = await gw.agent("p1", service="police", available=False)
    await police.ok("agent:status", {"status": "available"})
    await citizen.wait_for("conversation:assigned")
    assert since.tzinfo is not None


async def test_staffing_change_reaches_the_waiting_citizen(gw: RunningGateway) -> None:
    busy = await gw.agent("p1", max_chats=1)
    first = await gw.citizen()
    await open_conversation(first)
    await busy.wait_for("conversation:assigned")
    second = await gw.citizen()
    waiting = await open_conversation(second)
    assert waiting["no_agent_since"] is None, "an agent of the force is available (busy)"
    await busy.ok("agent:status", {"status": "away"})
    told = await second.wait_for("conversation:queued",
                                 lambda event: event["no_agent_since"] is not None)
    assert told["estimated_wait_s"] is None


async def test_both_sides_see_the_same_short_reference(gw: RunningGateway) -> None:
    citizen = await gw.citizen()
    conversation = await open_conversation(citizen)
    assert REFERENCE.match(conversation["reference"])
    assert conversation["reference"] == conversation_reference(conversation["id"])
    agent = await gw.agent("a1")
    assigned = await agent.wait_for("conversation:assigned")
    assert assigned["conversation"]["reference"] == conversation["reference"]
    listed = await citizen.ok("conversation:list", {})
    assert listed["conversations"][0]["reference"] == conversation["reference"]


def test_references_differ_between_conversations() -> None:
    references = {conversation_reference(f"cv_{n}") for n in range(5000)}
    assert len(references) == 5000
    assert all(REFERENCE.match(r) for r in references)


async def test_client_config_says_the_serializer_and_citizen_settings(
        start_gateway: StartGateway) -> None:
    gw = await start_gateway(serializer="msgpack", quick_exit_url="https://example.org/",
                             waiting_alternatives_after_s=45.0)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{gw.url}/api/v1/client-config") as response:
            assert response.status == 200
            assert await response.json() == {"serializer": "msgpack",
                                             "quick_exit_url": "https://example.org/",
                                             "waiting_alternatives_after_s": 45.0,
                                             "identity_login": False,
                                             "staff_login": False}
        async with http.get(f"{gw.url}/demo/vendor/socket.io-client.js") as response:
            assert response.status == 200
            script = await response.read()
        async with http.get(f"{gw.url}/demo/vendor/socket.io.msgpack.min.js") as response:
            assert script == await response.read(), "the msgpack build for a msgpack server"
