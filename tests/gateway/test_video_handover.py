"""An officer who no longer holds a conversation is out of its video room at once."""

import asyncio
import hashlib
from pathlib import Path

from tests.gateway.conftest import RunningGateway, StartGateway
from tests.gateway.test_chat import assigned_pair
from tests.gateway.test_video import join_with_media, until
from tests.rtc.client_peer import ClientPeer
from tests.support.sio_client import RecordingClient

STRAY_FRAMES = 10
"""Frames already on the wire when the leg closes (a third of a second at 30 fps)."""


async def in_a_call(gw: RunningGateway) -> tuple[RecordingClient, RecordingClient, str, str,
                                                  ClientPeer, ClientPeer]:
    citizen, officer, cid = await assigned_pair(gw)
    room_id = (await officer.ok("video:start", {"conversation_id": cid}))["room_id"]
    await citizen.wait_for("video:invite")
    officer_peer = await join_with_media(officer, room_id)
    citizen_peer = await join_with_media(citizen, room_id)
    await until(lambda: min(officer_peer.received.video_frames,
                            citizen_peer.received.video_frames) > 20)
    return citizen, officer, cid, room_id, officer_peer, citizen_peer


async def test_a_transferred_officer_stops_seeing_and_being_seen_at_once(
        start_gateway: StartGateway, tmp_path: Path) -> None:
    gw = await start_gateway(data_dir=tmp_path / "data")
    citizen, officer, cid, room_id, officer_peer, citizen_peer = await in_a_call(gw)
    colleague = await gw.agent("a2")
    peers = [officer_peer, citizen_peer]
    try:
        await officer.ok("conversation:transfer", {"conversation_id": cid,
                                                   "to": {"agent_id": "a2"}})
        seen_by_officer = officer_peer.received.video_frames
        seen_by_citizen = citizen_peer.received.video_frames
        await asyncio.sleep(3.0)
        assert officer_peer.received.video_frames - seen_by_officer <= STRAY_FRAMES
        assert citizen_peer.received.video_frames - seen_by_citizen <= STRAY_FRAMES
        left = await officer.wait_for("video:left")
        assert left == {"conversation_id": cid, "room_id": room_id, "reason": "transferred"}
        assert await officer.ok("video:leave", {"room_id": room_id}) == {"ok": True}
        rejoin = await officer.call("video:join", {"room_id": room_id})
        assert rejoin["error"]["code"] == "forbidden"

        await colleague.wait_for("conversation:assigned")
        colleague_peer = await join_with_media(colleague, room_id)
        peers.append(colleague_peer)
        before = citizen_peer.received.video_frames
        await until(lambda: colleague_peer.received.video_frames > 20
                    and citizen_peer.received.video_frames > before + 20)
        await colleague.ok("video:leave", {"room_id": room_id})
        await citizen.ok("video:leave", {"room_id": room_id})
        assert await citizen.ok("video:leave", {"room_id": room_id}) == {"ok": True}
    finally:
        for peer in peers:
            await peer.close()
    ended = await citizen.wait_for("video:ended", timeout=30)
    assert (await colleague.wait_for("video:ended"))["recording"] == ended["recording"]
    await asyncio.sleep(0.2)
    assert officer.received("video:ended") == [], "the former officer hears no more of it"

    records = await gw.gateway.evidence.conversation_records(cid)
    logged = next(r for r in records if r.kind == "video.ended").data
    owners = [(item["participant"]["role"], item["participant"]["user_id"])
              for item in logged["recordings"]]
    citizen_id = citizen.received("session")[0]["citizen_id"]
    assert sorted(owners) == [("agent", "a1"), ("agent", "a2"), ("citizen", citizen_id)], \
        "the former officer's segment is finished and kept"
    assert logged["recording"]["sha256"] == ended["recording"]["sha256"]
    for item in logged["recordings"]:
        path = tmp_path / "data" / "recordings" / item["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == item["sha256"]


async def test_an_officer_requeued_after_the_grace_period_is_out_of_the_room(
        gw: RunningGateway) -> None:
    citizen, officer, _cid, room_id, officer_peer, citizen_peer = await in_a_call(gw)
    try:
        await officer.disconnect()
        await citizen.wait_for("conversation:queued", timeout=10)
        room = gw.gateway.video.room(room_id)
        assert room is not None
        assert [p.user_id for p in room.members] == [citizen.received("session")[0][
            "citizen_id"]]
        successor = await gw.agent("a2")
        await successor.wait_for("conversation:assigned")
        successor_peer = await join_with_media(successor, room_id)
        try:
            await until(lambda: successor_peer.received.video_frames > 20)
        finally:
            await successor_peer.close()
    finally:
        await officer_peer.close()
        await citizen_peer.close()


async def test_leaving_is_always_allowed_and_ends_a_room_nobody_is_in(
        gw: RunningGateway) -> None:
    _citizen, officer, cid = await assigned_pair(gw)
    room_id = (await officer.ok("video:start", {"conversation_id": cid}))["room_id"]
    stranger = await gw.citizen()
    assert await stranger.ok("video:leave", {"room_id": room_id}) == {"ok": True}
    assert await stranger.ok("video:leave", {"room_id": "vr_unknown"}) == {"ok": True}
    assert gw.gateway.video.room(room_id) is not None, "a stranger's leave changes nothing"
    await officer.ok("video:join", {"room_id": room_id})
    await officer.ok("video:leave", {"room_id": room_id})
    await officer.wait_for("video:ended")
    assert await officer.ok("video:leave", {"room_id": room_id}) == {"ok": True}


async def test_a_room_only_the_transferred_officer_was_in_ends_and_is_logged(
        gw: RunningGateway) -> None:
    citizen, officer, cid = await assigned_pair(gw)
    room_id = (await officer.ok("video:start", {"conversation_id": cid}))["room_id"]
    await officer.ok("video:join", {"room_id": room_id})
    await officer.ok("conversation:transfer", {"conversation_id": cid,
                                               "to": {"service": "gendarmerie"}})
    ended = await citizen.wait_for("video:ended")
    assert ended["room_id"] == room_id and ended["reason"] == "transferred"
    assert (await officer.wait_for("video:left"))["room_id"] == room_id
    assert gw.gateway.video.room(room_id) is None
    records = await gw.gateway.evidence.conversation_records(cid)
    assert [r.data["reason"] for r in records if r.kind == "video.ended"] == ["transferred"]
    await asyncio.sleep(0.2)
    assert officer.received("video:ended") == []
