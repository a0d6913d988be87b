"""The recorder on its own: remuxed files decode, early audio is kept, audio-only fallback."""

from pathlib import Path

import av

from rtc_gateway.rtc.passthrough import EncodedFrame
from rtc_gateway.rtc.recorder import AUDIO_ONLY_AFTER_S, ParticipantRecorder, file_digest
from tests.rtc.media import opus_packets, vp8_frames


class StepClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def audio(data: bytes, index: int) -> EncodedFrame:
    return EncodedFrame("audio", "opus", data, index * 960, 48000, True)


def video(data: bytes, index: int, keyframe: bool) -> EncodedFrame:
    return EncodedFrame("video", "VP8", data, index * 3000, 90000, keyframe)


def decoded(path: Path) -> dict[str, int]:
    counts = {}
    for kind in ("audio", "video"):
        with av.open(str(path)) as container:
            streams = [s for s in container.streams if s.type == kind]
            counts[kind] = sum(1 for _ in container.decode(streams[0])) if streams else 0
    return counts


async def test_audio_before_the_first_keyframe_is_kept_and_both_decode(tmp_path: Path) -> None:
    clock = StepClock()
    asked: list[int] = []
    recorder = ParticipantRecorder(
        tmp_path / "rec", {"audio": "opus", "video": "VP8"}, lambda: asked.append(1), clock
    )
    sound, pictures = opus_packets(100), vp8_frames(30)
    for index in range(50):  # one second of audio, no video yet
        recorder.write(audio(sound[index], index))
        clock.now += 0.02
    assert asked and recorder.path is None
    for index in range(30):
        recorder.write(video(pictures[index], index, keyframe=index == 0))
        recorder.write(audio(sound[50 + index], 50 + index))
        clock.now += 1 / 30
    summary = await recorder.finish()
    assert summary is not None and summary.path.suffix == ".webm"
    assert summary.frames == {"audio": 80, "video": 30}
    assert decoded(summary.path) == {"audio": 80, "video": 30}
    assert abs(summary.duration_s - 2.0) < 0.1
    assert (summary.sha256, summary.bytes) == file_digest(summary.path)


async def test_without_any_keyframe_the_file_opens_with_audio_only(tmp_path: Path) -> None:
    clock = StepClock()
    recorder = ParticipantRecorder(
        tmp_path / "rec", {"audio": "opus", "video": "VP8"}, lambda: None, clock
    )
    sound = opus_packets(300)
    frames = int(AUDIO_ONLY_AFTER_S / 0.02) + 50
    for index in range(frames):
        recorder.write(audio(sound[index], index))
        clock.now += 0.02
    summary = await recorder.finish()
    assert summary is not None
    assert summary.frames == {"audio": frames}
    assert decoded(summary.path) == {"audio": frames, "video": 0}


async def test_nothing_received_means_no_file(tmp_path: Path) -> None:
    recorder = ParticipantRecorder(tmp_path / "rec", {"video": "VP8"}, lambda: None, StepClock())
    recorder.write(video(vp8_frames(2)[1], 1, keyframe=False))
    assert await recorder.finish() is None
    assert recorder.path is None and recorder.dropped == 1
