"""What the officer and supervisor consoles are told: the citizen's presence, a call the
citizen ended, a transfer to a force with nobody online, urgent waits, search."""

import asyncio
import urllib.request
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from rtc_gateway.domain.reference import conversation_reference
from tests.gateway.conftest import RunningGateway, StartGateway
from tests.gateway.test_chat import assigned_pair, open_conversation


async def test_officer_sees_the_citizen_leave_and_come_back(gw: RunningGateway) -> None:
    citizen, agent, cid = await assigned_pair(gw)
    token = citizen.received("session")[0]["token"]
    listed = (await agent.ok("conversation:list", {}))["conversations"]
    assert listed[0]["citizen_presence"]["connected"] is True

    before = datetime.now(UTC)
    await citizen.disconnect()
    left = await agent.wait_for("citizen:presence", lambda p: p["connected"] is False)
    assert left["conversation_id"] == cid
    assert datetime.fromisoformat(left["at"]) >= before.replace(microsecond=0)
    listed = (await agent.ok("conversation:list", {}))["conversations"]
    assert listed[0]["citizen_presence"] == {"connected": False, "at": left["at"]}

    await gw.citizen(token)
    back = await agent.wait_for("citizen:presence", lambda p: p["connected"] is True)
    assert back["conversation_id"] == cid


async def test_supervisors_see_a_waiting_citizen_leave(gw: RunningGateway) -> None:
    supervisor = await gw.agent("s1", role="supervisor", available=False)
    citizen = await gw.citizen()
    waiting = await open_conversation(citizen)
    await citizen.disconnect()
    left = await supervisor.wait_for("citizen:presence")
    assert left["conversation_id"] == waiting["id"] and left["connected"] is False
    agent = await gw.agent("a1")
    assigned = await agent.wait_for("conversation:assigned")
    assert assigned["conversation"]["citizen_presence"]["connected"] is False


async def test_a_second_tab_closing_does_not_count_as_leaving(gw: RunningGateway) -> None:
    citizen, agent, _ = await assigned_pair(gw)
    token = citizen.received("session")[0]["token"]
    second = await gw.citizen(token)
    await second.disconnect()
    await asyncio.sleep(0.3)
    assert agent.received("citizen:presence") == []


async def test_the_call_ends_for_the_officer_when_the_citizen_hangs_up(
        gw: RunningGateway) -> None:
    citizen, agent, cid = await assigned_pair(gw)
    room_id = (await agent.ok("video:start", {"conversation_id": cid}))["room_id"]
    await agent.ok("video:join", {"room_id": room_id})
    await citizen.wait_for("video:invite")
    await citizen.ok("video:join", {"room_id": room_id})
    await citizen.ok("video:leave", {"room_id": room_id})
    ended = await agent.wait_for("video:ended", timeout=5)
    assert ended["room_id"] == room_id and ended["reason"] == "left"


async def test_transfer_to_a_force_with_nobody_online_warns_both_sides(
        gw: RunningGateway) -> None:
    citizen, agent, cid = await assigned_pair(gw)
    ack = await agent.ok("conversation:transfer",
                         {"conversation_id": cid, "to": {"service": "gendarmerie"}})
    assert ack["warning"]["code"] == "nobody_available"
    assert ack["conversation"]["status"] == "queued"
    told = await citizen.wait_for("conversation:transferred")
    assert told == {"conversation_id": cid, "service": "gendarmerie",
                    "agents_available": False}


async def test_transfer_to_a_staffed_force_carries_no_warning(gw: RunningGateway) -> None:
    citizen, agent, cid = await assigned_pair(gw)
    await gw.agent("g1", service="gendarmerie")
    ack = await agent.ok("conversation:transfer",
                         {"conversation_id": cid, "to": {"service": "gendarmerie"}})
    assert "warning" not in ack
    told = await citizen.wait_for("conversation:transferred")
    assert told["agents_available"] is True


async def test_a_position_is_named_after_the_nearest_area(gw: RunningGateway) -> None:
    agent = await gw.agent("a1")
    citizen = await gw.citizen()
    await open_conversation(citizen, location={"lat": 45.77, "lon": 4.84})
    assigned = await agent.wait_for("conversation:assigned")
    place = assigned["conversation"]["place"]
    assert place["name"] == "Lyon" and place["inside"] is True
    assert place["distance_km"] < 2


async def test_supervisors_are_alerted_of_an_urgent_wait_over_the_threshold(
        start_gateway: StartGateway) -> None:
    gw = await start_gateway(urgent_wait_alert_s=0.4)
    supervisor = await gw.agent("s1", role="supervisor", available=False)
    citizen = await gw.citizen()
    alert = (await citizen.ok("conversation:open", {
        "topic": "discreet_alert", "discreet": True}))["conversation"]
    normal = await open_conversation(await gw.citizen())
    got = await supervisor.wait_for("supervision:alert", timeout=5)
    assert got["conversation_id"] == alert["id"] and got["kind"] == "urgent_wait"
    assert got["waited_s"] >= 0 and got["agents_available"] is False
    await asyncio.sleep(1.5)
    alerted = [a["conversation_id"] for a in supervisor.received("supervision:alert")]
    assert alerted == [alert["id"]], "one alert per wait, none for normal requests"
    assert normal["id"] not in alerted
    listed = (await supervisor.ok("conversation:list", {}))["conversations"]
    waiting = {c["id"]: c for c in listed}
    assert waiting[alert["id"]]["first_words"] is None
    assert datetime.fromisoformat(waiting[alert["id"]]["waiting_since"]) < datetime.now(UTC)
    body = await asyncio.to_thread(
        lambda: urllib.request.urlopen(f"{gw.url}/metrics").read().decode())
    assert "rtc_urgent_wait_alerts_total 1.0" in body


async def test_supervisor_finds_open_and_closed_conversations(gw: RunningGateway) -> None:
    citizen, agent, cid = await assigned_pair(gw)
    await citizen.ok("message:send", {"conversation_id": cid, "client_msg_id": "m1",
                                      "text": "Mon vélo a été volé devant la gare ce matin"})
    other = await open_conversation(await gw.citizen(), topic="property", service="gendarmerie")
    await agent.ok("conversation:close", {"conversation_id": cid})
    supervisor = await gw.agent("s1", role="supervisor", available=False)

    listed = (await supervisor.ok("conversation:list", {}))["conversations"]
    assert [c["first_words"] for c in listed] == [None]
    by_ref = (await supervisor.ok("supervision:search", {"query": cid[3:9]}))["conversations"]
    assert [c["id"] for c in by_ref] == [cid]
    assert by_ref[0]["status"] == "closed"
    assert by_ref[0]["first_words"].startswith("Mon vélo a été volé")
    quoted = by_ref[0]["reference"]
    assert quoted == conversation_reference(cid), "staff see what the citizen is given"
    for spelled in (quoted, quoted.lower().replace("-", "")):
        found = await supervisor.ok("supervision:search", {"query": spelled})
        assert [c["id"] for c in found["conversations"]] == [cid]
    queued = (await supervisor.ok("supervision:search", {"status": "queued"}))["conversations"]
    assert [c["id"] for c in queued] == [other["id"]]
    by_topic = (await supervisor.ok("supervision:search", {"topic": "property"}))
    assert [c["id"] for c in by_topic["conversations"]] == [other["id"]]
    today = datetime.now(ZoneInfo("Europe/Paris")).date().isoformat()
    dated = await supervisor.ok("supervision:search",
                                {"opened_from": "2000-01-01", "opened_to": "2000-01-02"})
    assert dated["conversations"] == []
    recent = await supervisor.ok("supervision:search", {"opened_from": "2000-01-01",
                                                        "opened_to": today})
    assert {c["id"] for c in recent["conversations"]} >= {cid, other["id"]}


async def test_search_is_for_supervisors_and_refuses_bad_input(gw: RunningGateway) -> None:
    _, agent, _ = await assigned_pair(gw)
    refused = await agent.call("supervision:search", {"query": "cv_"})
    assert refused["error"]["code"] == "forbidden"
    reviewer = await gw.agent("r1", role="reviewer", available=False)
    refused = await reviewer.call("supervision:search", {})
    assert refused["error"]["code"] == "forbidden"
    supervisor = await gw.agent("s1", role="supervisor", available=False)
    for bad in ({"status": "lost"}, {"topic": "nope"}, {"opened_from": "2026-13-45"},
                {"limit": 1000}, {"query": "x" * 500}):
        answer = await supervisor.call("supervision:search", bad)
        assert answer["error"]["code"] == "bad_request", bad
    assert (await supervisor.ok("supervision:search", {}))["conversations"]
