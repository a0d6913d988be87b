"""Bad input gets a precise error; the connection stays up and nothing is lost."""

import asyncio
import json

import aiohttp
import pytest

from tests.gateway.conftest import RunningGateway, StartGateway
from tests.gateway.test_chat import assigned_pair

VIDEO_EVENTS = ["video:join", "rtc:offer", "rtc:candidate", "video:leave"]
CITIZEN_EVENTS = ["conversation:open", "message:send", "message:read", "typing",
                  "conversation:resume", "conversation:close", *VIDEO_EVENTS]
AGENT_EVENTS = ["agent:status", "conversation:transfer", "message:send", "message:read",
                "typing", "conversation:resume", "conversation:close", "video:start",
                *VIDEO_EVENTS]
GARBAGE = [None, "texte", 42, 3.5, True, ["liste"], {"conversation_id": 12},
           {"conversation_id": ["x"], "text": {"a": 1}}, {"conversation_id": "", "seq": -1},
           {"topic": None, "conversation_id": "x" * 500, "after_seq": "zéro"}]


async def assert_alive(client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.call("conversation:list", {}))["ok"] is True


@pytest.mark.parametrize("namespace", ["citizen", "agent"])
async def test_every_event_answers_bad_request_to_garbage(start_gateway: StartGateway,
                                                          namespace: str) -> None:
    gw = await start_gateway(rate_per_s=1000.0, rate_burst=1000.0)
    client = await (gw.citizen() if namespace == "citizen" else gw.agent("a1"))
    events = CITIZEN_EVENTS if namespace == "citizen" else AGENT_EVENTS
    for event in events:
        for payload in GARBAGE:
            ack = await client.call(event, payload) if payload is not None else \
                await client.sio.call(event, namespace=client.namespace, timeout=5)
            assert ack["ok"] is False, (event, payload, ack)
            assert ack["error"]["code"] in ("bad_request", "not_found"), (event, payload, ack)
            assert isinstance(ack["error"]["message"], str)
    await assert_alive(client)


async def test_unknown_event_and_extra_arguments_are_bad_requests(gw: RunningGateway) -> None:
    citizen = await gw.citizen()
    unknown = await citizen.call("conversation:hack", {})
    assert unknown["error"]["code"] == "bad_request"
    two_args = await citizen.sio.call("conversation:list", ({}, {}), namespace="/citizen",
                                      timeout=5)
    assert two_args["error"]["code"] == "bad_request"
    await assert_alive(citizen)


async def test_text_limits(gw: RunningGateway) -> None:
    citizen, _agent, cid = await assigned_pair(gw)
    base = {"conversation_id": cid, "client_msg_id": "t"}
    assert (await citizen.call("message:send", {**base, "text": ""}))["error"]["code"] == \
        "bad_request"
    assert (await citizen.call("message:send", {**base, "text": "   "}))["error"]["code"] == \
        "bad_request"
    too_long = await citizen.call("message:send", {**base, "text": "a" * 4001})
    assert too_long["error"]["code"] == "too_large"
    exact = await citizen.ok("message:send", {**base, "text": "é" * 4000})
    assert exact["message"]["seq"] == 1, "refused messages take no seq"
    await assert_alive(citizen)


async def test_oversized_packet_does_not_take_the_server_down(gw: RunningGateway) -> None:
    citizen, agent, cid = await assigned_pair(gw)
    try:
        await citizen.sio.emit("message:send", {"conversation_id": cid, "client_msg_id": "big",
                                                "text": "x" * 200_000}, namespace="/citizen")
        await asyncio.sleep(0.3)
    except Exception:
        pass
    fresh = await gw.citizen()
    await assert_alive(fresh)
    await agent.ok("message:send", {"conversation_id": cid, "client_msg_id": "g",
                                    "text": "toujours en service"})


async def test_rate_limit_answers_rate_limited_and_recovers(start_gateway: StartGateway) -> None:
    gw = await start_gateway(rate_per_s=5.0, rate_burst=10.0)
    citizen, _agent, cid = await assigned_pair(gw)
    acks = await asyncio.gather(*(
        citizen.call("message:send", {"conversation_id": cid, "client_msg_id": f"m{i}",
                                      "text": "flood"}) for i in range(30)))
    codes = [a["error"]["code"] for a in acks if not a["ok"]]
    assert codes and set(codes) == {"rate_limited"}
    accepted = sorted(a["message"]["seq"] for a in acks if a["ok"])
    assert accepted == list(range(1, len(accepted) + 1)), "no gap from refused sends"
    await asyncio.sleep(0.5)
    assert (await citizen.call("conversation:list", {}))["ok"] is True


async def test_text_that_cannot_be_utf8_is_refused_without_a_seq_gap(gw: RunningGateway) -> None:
    citizen, _agent, cid = await assigned_pair(gw)
    lone = await citizen.call("message:send", {"conversation_id": cid, "client_msg_id": "s",
                                               "text": "bonjour \ud800"})
    assert lone["error"]["code"] == "bad_request"
    fine = await citizen.ok("message:send", {"conversation_id": cid, "client_msg_id": "s2",
                                             "text": "bonjour 👮"})
    assert fine["message"]["seq"] == 1 and fine["message"]["text"] == "bonjour 👮"


async def test_unreadable_packets_are_answered_and_rate_limited(
        start_gateway: StartGateway) -> None:
    gw = await start_gateway(rate_per_s=1.0, rate_burst=5.0)
    async with aiohttp.ClientSession() as session, session.ws_connect(
            f"{gw.url}/socket.io/?EIO=4&transport=websocket") as ws:
        await ws.receive_str()
        await ws.send_str("40/citizen,")
        assert (await ws.receive_str()).startswith("40/citizen,")
        assert '"session"' in await ws.receive_str()
        for ack_id in range(8):
            await ws.send_str(f"42/citizen,{ack_id}[not json")
        codes = []
        while len(codes) < 8:
            text = await asyncio.wait_for(ws.receive_str(), 5)
            if text.startswith("43/citizen,"):
                codes.append(json.loads(text[text.index("["):])[0]["error"]["code"])
        assert codes[:5] == ["bad_request"] * 5 and set(codes[5:]) == {"rate_limited"}
        assert not ws.closed
