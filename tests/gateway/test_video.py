"""Visioplainte over the real contract: Socket.IO signalling, aiortc peers through the gateway."""

import asyncio
import hashlib
from pathlib import Path

from tests.gateway.conftest import RunningGateway, StartGateway
from tests.gateway.test_chat import assigned_pair
from tests.rtc.client_peer import ClientPeer
from tests.security.modes import not_private
from tests.support.sio_client import RecordingClient


async def join_with_media(client: RecordingClient, room_id: str) -> ClientPeer:
    joined = await client.ok("video:join", {"room_id": room_id})
    assert joined["ice_servers"] == [], "no public STUN host unless configured"
    peer = ClientPeer()
    sdp, type_ = await peer.offer()
    answer = await client.ok("rtc:offer", {"room_id": room_id, "sdp": sdp, "type": type_})
    assert answer["type"] == "answer"
    await peer.accept(answer["sdp"], answer["type"])
    return peer


async def until(predicate, within_s: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(within_s):
        while not predicate():  # noqa: ASYNC110 - counters live in aiortc callbacks
            await asyncio.sleep(0.05)


async def test_video_call_relays_both_ways_and_records_evidence(
        start_gateway: StartGateway, tmp_path: Path) -> None:
    gw = await start_gateway(data_dir=tmp_path / "data")
    citizen, agent, cid = await assigned_pair(gw)
    started = await agent.ok("video:start", {"conversation_id": cid})
    room_id = started["room_id"]
    invite = await citizen.wait_for("video:invite")
    assert invite == {"conversation_id": cid, "room_id": room_id, "ice_servers": []}

    officer_peer = await join_with_media(agent, room_id)
    citizen_peer = await join_with_media(citizen, room_id)
    try:
        await until(lambda: citizen_peer.received.video_frames > 20
                    and officer_peer.received.video_frames > 20
                    and citizen_peer.received.audio_frames > 20
                    and officer_peer.received.audio_frames > 20)
    finally:
        await agent.ok("video:leave", {"room_id": room_id})
        await citizen_peer.close()
        await officer_peer.close()
    ended = await citizen.wait_for("video:ended", timeout=30)
    assert ended["room_id"] == room_id
    recording = ended["recording"]
    assert recording["bytes"] > 0 and recording["duration_s"] > 0
    assert (await agent.wait_for("video:ended"))["recording"] == recording

    records = await gw.gateway.evidence.conversation_records(cid)
    video_ended = [r for r in records if r.kind == "video.ended"]
    assert len(video_ended) == 1
    logged = video_ended[0].data
    assert logged["recording"]["sha256"] == recording["sha256"]
    for item in logged["recordings"]:
        path = tmp_path / "data" / "recordings" / item["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == item["sha256"]
    assert not_private(tmp_path / "data" / "recordings") == {}, "files 0600, folders 0700"


async def test_only_the_conversations_people_may_join(gw: RunningGateway) -> None:
    citizen, agent, cid = await assigned_pair(gw)
    refused = await citizen.call("video:start", {"conversation_id": cid})
    assert refused["error"]["code"] == "bad_request", "citizens cannot start a call"
    room_id = (await agent.ok("video:start", {"conversation_id": cid}))["room_id"]
    stranger = await gw.citizen()
    other_agent = await gw.agent("a2")
    for intruder in (stranger, other_agent):
        denied = await intruder.call("video:join", {"room_id": room_id})
        assert denied["error"]["code"] in ("forbidden", "not_found")
        offer = await intruder.call("rtc:offer", {"room_id": room_id, "sdp": "v=0",
                                                  "type": "offer"})
        assert offer["error"]["code"] in ("forbidden", "not_found")
    unknown = await citizen.call("video:join", {"room_id": "vr_nope"})
    assert unknown["error"]["code"] == "not_found"
    bad = await citizen.call("rtc:offer", {"room_id": room_id, "sdp": "garbage", "type": "offer"})
    assert bad["ok"] is False and bad["error"]["code"] in ("bad_request", "forbidden")
    supervisor = await gw.agent("s1", role="supervisor", available=False)
    assert (await supervisor.call("video:join", {"room_id": room_id}))["ok"] is True


async def test_closing_the_conversation_ends_its_video_room(gw: RunningGateway) -> None:
    citizen, agent, cid = await assigned_pair(gw)
    room_id = (await agent.ok("video:start", {"conversation_id": cid}))["room_id"]
    await citizen.ok("conversation:close", {"conversation_id": cid})
    ended = await agent.wait_for("video:ended")
    assert ended["room_id"] == room_id and ended["reason"] == "conversation_closed"
    gone = await agent.call("video:join", {"room_id": room_id})
    assert gone["error"]["code"] == "not_found"
