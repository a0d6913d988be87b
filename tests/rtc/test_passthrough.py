"""The aiortc extension on its own: keyframe detection, relay queue, receiver tap."""

import fractions

import pytest

from rtc_gateway.rtc.passthrough import EncodedFrame, RelayTrack, is_keyframe
from tests.rtc.media import vp8_frames


def video(data: bytes, timestamp: int) -> EncodedFrame:
    return EncodedFrame("video", "VP8", data, timestamp, 90000, is_keyframe("VP8", data))


def test_vp8_keyframes_are_told_apart_from_delta_frames() -> None:
    frames = vp8_frames(3)
    assert [is_keyframe("VP8", f) for f in frames] == [True, False, False]


def test_h264_idr_and_sps_count_as_keyframes() -> None:
    assert is_keyframe("H264", b"\x00\x00\x00\x01\x67\x42" + b"\x00\x00\x01\x65\x88")
    assert not is_keyframe("H264", b"\x00\x00\x00\x01\x41\x9a")
    assert is_keyframe("opus", b"\xfc")


async def test_video_starts_at_a_keyframe_and_asks_for_one() -> None:
    asked: list[int] = []
    track = RelayTrack("video", lambda: asked.append(1), capacity=8)
    key, delta = vp8_frames(2)
    source = object()
    track.push(video(delta, 0), source)
    assert asked and track.dropped == 1
    track.push(video(key, 3000), source)
    track.push(video(delta, 6000), source)
    first = await track.recv()
    assert bytes(first) == key
    assert first.pts == 3000 and first.time_base == fractions.Fraction(1, 90000)
    assert bytes(await track.recv()) == delta


async def test_full_video_queue_drops_everything_and_waits_for_a_keyframe() -> None:
    asked: list[int] = []
    track = RelayTrack("video", lambda: asked.append(1), capacity=4)
    key, delta = vp8_frames(2)
    source = object()
    track.push(video(key, 0), source)
    for index in range(1, 8):
        track.push(video(delta, index * 3000), source)
    assert track.dropped == 8 and asked  # 4 queued + the 4 deltas after them
    track.push(video(key, 8 * 3000), source)
    assert bytes(await track.recv()) == key


async def test_full_audio_queue_drops_oldest() -> None:
    track = RelayTrack("audio", lambda: None, capacity=3)
    source = object()
    for index in range(5):
        track.push(EncodedFrame("audio", "opus", bytes([index]), index * 960, 48000, True), source)
    assert track.dropped == 2
    assert [bytes(await track.recv()) for _ in range(3)] == [b"\x02", b"\x03", b"\x04"]


async def test_new_source_continues_the_outgoing_timeline() -> None:
    track = RelayTrack("video", lambda: None)
    key, _ = vp8_frames(2)
    track.push(video(key, 90000), object())
    first = await track.recv()
    track.push(video(key, 0), object())
    second = await track.recv()
    assert first.pts is not None
    assert second.pts == first.pts + 3000


async def test_stopped_track_ends_the_sender_loop() -> None:
    from aiortc.mediastreams import MediaStreamError

    track = RelayTrack("audio", lambda: None)
    track.stop()
    with pytest.raises(MediaStreamError):
        await track.recv()


async def test_tapped_receiver_yields_frames_without_decoder_and_feedback_flows_upstream() -> None:
    import asyncio
    import threading

    from aiortc import RTCConfiguration, RTCPeerConnection

    from rtc_gateway.rtc.ice import restrict_host_candidates
    from rtc_gateway.rtc.passthrough import (
        UpstreamFeedback,
        forward_bitrate_estimates,
        tap_receiver,
    )
    from tests.rtc.client_peer import PatternVideoTrack

    restrict_host_candidates(["127.0.0.1"])
    sender_pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    receiver_pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    frames: list[EncodedFrame] = []
    try:
        sender = sender_pc.addTrack(PatternVideoTrack())
        estimates: list[int] = []
        forward_bitrate_estimates(sender, estimates.append)
        await sender_pc.setLocalDescription(await sender_pc.createOffer())
        await receiver_pc.setRemoteDescription(sender_pc.localDescription)
        transceiver = receiver_pc.getTransceivers()[0]
        tap_receiver(transceiver.receiver, "video", frames.append)
        await receiver_pc.setLocalDescription(await receiver_pc.createAnswer())
        await sender_pc.setRemoteDescription(receiver_pc.localDescription)

        async with asyncio.timeout(15):
            while len(frames) < 20:  # noqa: ASYNC110 - filled by aiortc callbacks
                await asyncio.sleep(0.05)
        assert frames[0].keyframe and frames[0].codec == "VP8"
        assert not any(f.keyframe for f in frames[1:20])
        assert not [t for t in threading.enumerate() if t.name == "video-decoder"]

        seen = len(frames)
        feedback = UpstreamFeedback(transceiver.receiver)
        feedback.request_keyframe()
        feedback.report_bitrate(321_000)
        async with asyncio.timeout(5):
            while not any(f.keyframe for f in frames[seen:]) or not estimates:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        assert estimates == [321_000]  # the tapped receiver sends no REMB of its own
    finally:
        await sender_pc.close()
        await receiver_pc.close()
        restrict_host_candidates(None)
