"""Two real aiortc clients (citizen and agent) in a call through the gateway's peers."""

import asyncio
import hashlib
import shutil
import subprocess
from pathlib import Path

import av
import pytest

from rtc_gateway.adapters.sqlite.evidence_log import SqliteEvidenceLog
from rtc_gateway.ports.evidence_log import RecordKind
from rtc_gateway.rtc.errors import BadSignal, NotAParticipant, RoomNotFound
from rtc_gateway.services.video_rooms import Participant, VideoRoomService
from tests.rtc.calls import AGENT, CITIZEN, Ended, connect, wait_for
from tests.rtc.client_peer import ClientPeer
from tests.rtc.conftest import video_service


def ffmpeg_decodes_cleanly(path: Path) -> bool:
    """The ffmpeg command line reads the whole file without a single error."""
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is required (scripts/test.sh installs it)")
    run = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return run.returncode == 0 and run.stderr.strip() == ""


def count_frames(path: Path) -> dict[str, int]:
    """Decode a recording completely and count its frames per kind."""
    counts = {"video": 0, "audio": 0}
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            counts["video"] += 1
            assert frame.width == 320
    with av.open(str(path)) as container:
        for _ in container.decode(audio=0):
            counts["audio"] += 1
    return counts


async def test_both_sides_receive_decodable_media_and_recordings_are_evidence(
    service: tuple[VideoRoomService, SqliteEvidenceLog, Ended], tmp_path: Path
) -> None:
    svc, evidence, ended = service
    room = await svc.start("conv-1", AGENT)
    assert room.ice_servers == []
    agent = await connect(svc, room.room_id, AGENT)
    citizen = await connect(svc, room.room_id, CITIZEN)

    await wait_for(
        lambda: (
            min(agent.received.video_frames, citizen.received.video_frames) >= 60
            and min(agent.received.audio_frames, citizen.received.audio_frames) >= 50
        ),
        within_s=20,
    )
    await asyncio.sleep(1.0)
    assert agent.received.sizes == {(320, 240)}
    assert citizen.received.sizes == {(320, 240)}
    sent = {"agent": agent.video.sent, "citizen": citizen.video.sent}
    live = svc.stats()
    assert live["rooms"] == 1 and live["connected_peers"] == 2
    assert live["frames_relayed"] >= agent.received.video_frames + citizen.received.video_frames

    await svc.leave(room.room_id, CITIZEN)  # the citizen hanging up ends the call
    with pytest.raises(RoomNotFound):
        await svc.leave(room.room_id, AGENT)
    await agent.close()
    await citizen.close()

    assert len(ended.events) == 1
    event = ended.events[0]
    assert event.room_id == room.room_id
    assert {r["participant"]["role"] for r in event.recordings} == {"agent", "citizen"}
    for rec in event.recordings:
        path = tmp_path / "recordings" / rec["path"]
        assert path.suffix == ".webm"
        counts = count_frames(path)
        expected = sent[rec["participant"]["role"]]
        assert abs(counts["video"] - expected) <= 0.1 * expected, (counts, expected)
        assert counts["audio"] > 0
        assert abs(rec["duration_s"] - expected / 30) <= 0.1 * expected / 30 + 0.2
        assert ffmpeg_decodes_cleanly(path)

    records = await evidence.conversation_records("conv-1")
    assert [r.kind for r in records] == [RecordKind.VIDEO_STARTED, RecordKind.VIDEO_ENDED]
    logged = records[1].data
    assert logged["recording"] == dict(event.recording)
    assert logged["recordings"] == [dict(r) for r in event.recordings]
    manifest = tmp_path / "recordings" / logged["manifest"]
    assert hashlib.sha256(manifest.read_bytes()).hexdigest() == event.recording["sha256"]
    for rec in event.recordings:
        data = (tmp_path / "recordings" / rec["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == rec["sha256"]
        assert len(data) == rec["bytes"]
        assert f"{rec['sha256']}  {Path(rec['path']).name}" in manifest.read_text()
    assert event.recording["bytes"] == sum(r["bytes"] for r in event.recordings)
    assert svc.room(room.room_id) is None
    final = svc.stats()
    assert final["connected_peers"] == 0 and final["frames_received"] >= live["frames_received"]


async def test_refuses_foreign_roles_unknown_rooms_and_bad_offers(
    service: tuple[VideoRoomService, SqliteEvidenceLog, Ended],
) -> None:
    svc, _, _ = service
    room = await svc.start("conv-2", AGENT)
    with pytest.raises(NotAParticipant):
        await svc.join(room.room_id, Participant("reviewer", "r-1"))
    with pytest.raises(RoomNotFound):
        await svc.join("vr_nope", CITIZEN)
    with pytest.raises(NotAParticipant):
        await svc.offer(room.room_id, Participant("citizen", "other"), "v=0", "offer")
    await svc.join(room.room_id, CITIZEN)
    with pytest.raises(BadSignal):
        await svc.offer(room.room_id, CITIZEN, "not sdp", "offer")
    with pytest.raises(BadSignal):
        await svc.candidate(room.room_id, CITIZEN, {"candidate": "x"})


async def test_a_participant_who_drops_and_rejoins_gets_media_again(
    service: tuple[VideoRoomService, SqliteEvidenceLog, Ended],
) -> None:
    svc, _, ended = service
    room = await svc.start("conv-3", AGENT)
    agent = await connect(svc, room.room_id, AGENT)
    citizen = await connect(svc, room.room_id, CITIZEN)
    await wait_for(lambda: min(agent.received.video_frames, citizen.received.video_frames) > 15, 20)

    await citizen.close()
    await svc.disconnect(CITIZEN)
    assert room.members[CITIZEN] is None
    before = agent.received.video_frames

    again = await connect(svc, room.room_id, CITIZEN)
    await wait_for(
        lambda: again.received.video_frames > 15 and agent.received.video_frames > before + 15,
        within_s=20,
    )
    assert again.received.sizes == {(320, 240)}
    await svc.leave(room.room_id, AGENT)
    await agent.close()
    await again.close()

    roles = [r["participant"]["role"] for r in ended.events[0].recordings]
    assert sorted(roles) == ["agent", "citizen", "citizen"]
    assert svc.room(room.room_id) is None


async def test_closing_the_conversation_ends_the_room(
    service: tuple[VideoRoomService, SqliteEvidenceLog, Ended],
) -> None:
    svc, _, ended = service
    room = await svc.start("conv-4", AGENT)
    agent = await connect(svc, room.room_id, AGENT)
    await svc.end_conversation("conv-4")
    assert ended.events[0].reason == "conversation_closed"
    assert svc.room(room.room_id) is None
    with pytest.raises(RoomNotFound):
        await svc.join(room.room_id, CITIZEN)
    await agent.close()


async def test_h264_is_relayed_and_recorded_to_matroska(
    service: tuple[VideoRoomService, SqliteEvidenceLog, Ended], tmp_path: Path
) -> None:
    svc, _, ended = service
    room = await svc.start("conv-5", AGENT)
    agent = await connect(svc, room.room_id, AGENT, video_codec="H264")
    citizen = await connect(svc, room.room_id, CITIZEN, video_codec="H264")
    assert room.video_codec == "H264"
    await wait_for(lambda: min(agent.received.video_frames, citizen.received.video_frames) > 30, 20)
    assert agent.received.sizes == citizen.received.sizes == {(320, 240)}
    await svc.leave(room.room_id, AGENT)
    await agent.close()
    await citizen.close()
    for rec in ended.events[0].recordings:
        path = tmp_path / "recordings" / rec["path"]
        assert path.suffix == ".mkv"
        assert count_frames(path)["video"] > 30


async def test_a_room_whose_peers_all_vanish_ends_after_the_grace_period(tmp_path: Path) -> None:
    async with video_service(tmp_path, empty_room_timeout_s=0.5) as (svc, _, ended):
        room = await svc.start("conv-6", AGENT)
        agent = await connect(svc, room.room_id, AGENT)
        citizen = await connect(svc, room.room_id, CITIZEN)
        await wait_for(lambda: citizen.received.video_frames > 5, 20)
        await agent.close()  # no video:leave: the peer just goes away
        await citizen.close()
        await wait_for(lambda: bool(ended.events), 15)
        assert ended.events[0].reason == "abandoned"
        assert len(ended.events[0].recordings) == 2


async def test_a_supervisor_sees_the_citizen_and_the_citizen_still_sees_the_officer(
    service: tuple[VideoRoomService, SqliteEvidenceLog, Ended],
) -> None:
    svc, _, ended = service
    supervisor = Participant("supervisor", "s-1")
    room = await svc.start("conv-7", AGENT)
    agent = await connect(svc, room.room_id, AGENT)
    citizen = await connect(svc, room.room_id, CITIZEN)
    watcher = await connect(svc, room.room_id, supervisor)
    await wait_for(lambda: min(c.received.video_frames for c in (agent, citizen, watcher)) > 15, 20)
    citizen_leg, agent_leg = room.members[CITIZEN], room.members[AGENT]
    assert room.source_for(supervisor) is citizen_leg
    assert room.source_for(CITIZEN) is agent_leg
    await svc.leave(room.room_id, supervisor)
    assert svc.room(room.room_id) is not None
    await svc.leave(room.room_id, AGENT)
    for client in (agent, citizen, watcher):
        await client.close()
    roles = sorted(r["participant"]["role"] for r in ended.events[0].recordings)
    assert roles == ["agent", "citizen", "supervisor"]


async def test_candidates_trickled_separately_connect_the_call(
    service: tuple[VideoRoomService, SqliteEvidenceLog, Ended],
) -> None:
    svc, _, _ = service
    room = await svc.start("conv-8", AGENT)
    agent = await connect(svc, room.room_id, AGENT)
    await svc.join(room.room_id, CITIZEN)
    citizen = ClientPeer()
    sdp, type_ = await citizen.offer()
    lines = sdp.splitlines()
    candidates = [line.removeprefix("a=") for line in lines if line.startswith("a=candidate:")]
    assert candidates
    trickled = ("a=candidate:", "a=end-of-candidates")
    bare = "\r\n".join(line for line in lines if not line.startswith(trickled)) + "\r\n"
    answer, answer_type = await svc.offer(room.room_id, CITIZEN, bare, type_)
    await citizen.accept(answer, answer_type)
    for line in candidates:
        await svc.candidate(
            room.room_id, CITIZEN, {"candidate": line, "sdpMid": "0", "sdpMLineIndex": 0}
        )
    await svc.candidate(room.room_id, CITIZEN, {"candidate": "", "sdpMid": "0"})
    await wait_for(lambda: min(agent.received.video_frames, citizen.received.video_frames) > 10, 20)
    await agent.close()
    await citizen.close()


async def test_extra_tracks_in_an_offer_are_declined_without_decoding(
    service: tuple[VideoRoomService, SqliteEvidenceLog, Ended],
) -> None:
    import threading

    from tests.rtc.client_peer import PatternVideoTrack

    svc, _, _ = service
    room = await svc.start("conv-9", AGENT)
    agent = await connect(svc, room.room_id, AGENT)
    await svc.join(room.room_id, CITIZEN)
    citizen = ClientPeer()
    citizen.pc.addTrack(PatternVideoTrack())  # a second camera
    sdp, type_ = await citizen.offer()
    answer, answer_type = await svc.offer(room.room_id, CITIZEN, sdp, type_)
    assert answer.count("m=video") == 2 and "a=inactive" in answer
    await citizen.accept(answer, answer_type)
    await wait_for(lambda: min(agent.received.video_frames, citizen.received.video_frames) > 10, 20)
    gateway_decoders = [t for t in threading.enumerate() if t.name == "video-decoder"]
    assert len(gateway_decoders) == 2  # the two clients' own decoders, none on the gateway
    await agent.close()
    await citizen.close()
