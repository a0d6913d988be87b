"""Transport options: the msgpack serializer, no WebSocket compression, HTTP endpoints."""

import asyncio

import aiohttp
import pytest

from tests.gateway.conftest import RunningGateway, StartGateway
from tests.support.sio_client import RecordingClient


async def test_msgpack_server_speaks_the_same_contract(start_gateway: StartGateway) -> None:
    gw = await start_gateway(serializer="msgpack")
    agent = RecordingClient(gw.url, "/agent", serializer="msgpack")
    await agent.connect({"token": gw.agent_token("a1")})
    await agent.ok("agent:status", {"status": "available"})
    citizen = RecordingClient(gw.url, "/citizen", serializer="msgpack")
    await citizen.connect()
    await citizen.wait_for("session")
    opened = await citizen.ok("conversation:open", {"topic": "general", "text": "salut",
                                                    "client_msg_id": "m"})
    assigned = await agent.wait_for("conversation:assigned")
    assert assigned["conversation"]["id"] == opened["conversation"]["id"]
    assert assigned["messages"][0]["text"] == "salut"
    await agent.disconnect()
    await citizen.disconnect()


async def test_websocket_compression_is_refused(gw: RunningGateway) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(
            f"{gw.url}/socket.io/?EIO=4&transport=websocket", compress=15) as ws:
        assert ws.compress == 0, "permessage-deflate must not be negotiated"
        opening = await ws.receive_str()
        assert opening.startswith("0{")


async def test_http_endpoints(gw: RunningGateway) -> None:
    citizen = await gw.citizen()
    await citizen.ok("conversation:open", {"topic": "harassment", "priority": "urgent",
                                           "service": "police"})
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{gw.url}/healthz") as response:
            assert response.status == 200 and await response.json() == {"status": "ok"}
        async with session.get(f"{gw.url}/api/v1/topics") as response:
            topics = (await response.json())["topics"]
            assert {"general", "discreet_alert", "online_scam"} <= {t["id"] for t in topics}
            assert all(t["label"] for t in topics)
        async with session.get(f"{gw.url}/metrics") as response:
            text = await response.text()
    for name in ("rtc_connections{namespace=\"/citizen\"} 1.0",
                 "rtc_queue_length{priority=\"urgent\",service=\"police\"} 1.0",
                 "rtc_queue_oldest_wait_seconds", "rtc_assignment_wait_seconds",
                 "rtc_message_relay_seconds", "rtc_rejected_events",
                 "rtc_video_rooms 0.0", "rtc_video_frames_relayed_total",
                 "rtc_websocket_clients 1.0", "rtc_clients_cut_off_total 0.0",
                 "rtc_heartbeat_timeouts_total 0.0", "rtc_websockets_taken_total 1.0",
                 "rtc_evidence_waiting 0.0"):
        assert name in text, name
    samples = {line.split(" ")[0]: float(line.split(" ")[1])
               for line in text.splitlines() if line.startswith("rtc_evidence_")}
    assert samples["rtc_evidence_records_total"] >= 1, "the conversation's opening record"
    assert 1 <= samples["rtc_evidence_batches_total"] <= samples["rtc_evidence_records_total"]


async def test_foreign_origin_is_refused_and_own_origin_accepted(gw: RunningGateway) -> None:
    url = f"{gw.url}/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(url, headers={"Origin": "https://evil.example"})
        assert refused.value.status == 403
        async with session.ws_connect(url, headers={"Origin": gw.url}) as ws:
            assert (await ws.receive_str()).startswith("0{")


@pytest.mark.parametrize(("query", "code"), [
    ("EIO=4&transport=flashsocket", 0),
    ("EIO=3&transport=websocket", 5),
    ("EIO=4&transport=websocket&sid=abc", 3),
    ("EIO=4&transport=polling&sid=abc", 1),
])
async def test_unsupported_handshakes_get_engine_io_errors(gw: RunningGateway, query: str,
                                                           code: int) -> None:
    async with aiohttp.ClientSession() as session, \
            session.get(f"{gw.url}/socket.io/?{query}") as response:
        assert response.status == 400
        assert (await response.json())["code"] == code


@pytest.mark.parametrize("serializer", ["json", "msgpack"])
async def test_long_polling_clients_chat_like_websocket_ones(start_gateway: StartGateway,
                                                             serializer: str) -> None:
    gw = await start_gateway(serializer=serializer)
    client_serializer = "msgpack" if serializer == "msgpack" else "default"
    agent = RecordingClient(gw.url, "/agent", serializer=client_serializer)
    await agent.connect({"token": gw.agent_token("a1")})
    await agent.ok("agent:status", {"status": "available"})
    citizen = RecordingClient(gw.url, "/citizen", serializer=client_serializer,
                              transports=("polling",))
    await citizen.connect()
    await citizen.wait_for("session")
    assert citizen.sio.transport() == "polling"
    opened = await citizen.ok("conversation:open", {"topic": "general", "text": "à l'aide",
                                                    "client_msg_id": "m1"})
    cid = opened["conversation"]["id"]
    assigned = await agent.wait_for("conversation:assigned")
    assert assigned["messages"][0]["text"] == "à l'aide"
    await agent.ok("message:send", {"conversation_id": cid, "client_msg_id": "r1",
                                    "text": "Je vous écoute."})
    reply = await citizen.wait_for("message")
    assert (reply["seq"], reply["text"]) == (2, "Je vous écoute.")
    for n in range(2, 7):
        await citizen.ok("message:send", {"conversation_id": cid, "client_msg_id": f"m{n}",
                                          "text": f"message {n}"})
    await agent.wait_for("message", lambda m: m["text"] == "message 6")
    assert [m["seq"] for m in agent.received("message")] == [3, 4, 5, 6, 7]
    await citizen.disconnect()
    await agent.disconnect()


async def test_a_default_client_starts_polling_and_upgrades(gw: RunningGateway) -> None:
    citizen = RecordingClient(gw.url, "/citizen", transports=("polling", "websocket"))
    await citizen.connect()
    await citizen.wait_for("session")
    for _ in range(50):
        if citizen.sio.transport() == "websocket":
            break
        await asyncio.sleep(0.05)
    assert citizen.sio.transport() == "websocket"
    opened = await citizen.ok("conversation:open", {"topic": "general"})
    assert opened["conversation"]["status"] == "queued"
    assert (await citizen.call("conversation:list", {}))["ok"] is True
    await citizen.disconnect()


async def test_polling_answers_carry_cors_for_allowed_origins_only(
        start_gateway: StartGateway) -> None:
    gw = await start_gateway(cors_origins=("https://app.example",))
    url = f"{gw.url}/socket.io/?EIO=4&transport=polling"
    async with aiohttp.ClientSession() as session:
        async with session.options(url, headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "POST"}) as preflight:
            assert preflight.status == 204
            assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.example"
            assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
        async with session.get(url, headers={"Origin": "https://app.example"}) as opened:
            assert opened.status == 200
            assert opened.headers["Access-Control-Allow-Credentials"] == "true"
            body = await opened.text()
            assert body.startswith("0{") and '"upgrades":["websocket"]' in body
        async with session.get(url, headers={"Origin": "https://evil.example"}) as refused:
            assert refused.status == 403
            assert "Access-Control-Allow-Origin" not in refused.headers


async def test_an_oversized_polling_post_is_refused_and_the_session_goes_on(
        gw: RunningGateway) -> None:
    url = f"{gw.url}/socket.io/?EIO=4&transport=polling"
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as opened:
            sid = (await opened.text()).split('"sid":"')[1].split('"')[0]
        polling = f"{url}&sid={sid}"
        async with session.post(polling, data="40/citizen,") as posted:
            assert posted.status == 200
        async with session.get(polling) as answer:
            assert "40/citizen," in await answer.text()
        big = '42/citizen,1["typing",{"text":"' + "x" * 100_000 + '"}]'
        async with session.post(polling, data=big) as refused:
            assert refused.status == 413
        async with session.post(polling, data='42/citizen,2["conversation:list",{}]'):
            pass
        async with session.get(polling) as answer:
            assert '43/citizen,2[{"ok":true' in await answer.text()
