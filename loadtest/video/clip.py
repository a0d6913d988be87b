"""A short 640x480 30 fps VP8 + Opus clip, encoded once and replayed packet by packet.

Load clients must not be the bottleneck, so they never encode or decode: they replay
these packets at the clip's pace and count what they receive.
"""

import asyncio
import fractions
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import msgpack
import numpy as np
from aiortc.mediastreams import MediaStreamTrack

WIDTH, HEIGHT, FPS = 640, 480, 30
VIDEO_CLOCK, AUDIO_CLOCK = 90000, 48000
AUDIO_FRAME_S = 0.02


@dataclass(frozen=True)
class Clip:
    video: list[bytes]
    """VP8 frames; the first is the only keyframe."""
    audio: list[bytes]
    """Opus packets of 20 ms."""


def encode_clip(seconds: float = 4.0, bitrate: int = 800_000) -> Clip:
    encoder = av.CodecContext.create("libvpx", "w")
    assert isinstance(encoder, av.VideoCodecContext)
    encoder.width, encoder.height, encoder.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    encoder.time_base = fractions.Fraction(1, FPS)
    encoder.bit_rate = bitrate
    encoder.gop_size = 100_000
    encoder.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    ramp = np.add.outer(np.arange(HEIGHT), np.arange(WIDTH)).astype(np.uint8)
    image = np.stack([ramp, ramp // 2, 255 - ramp], axis=-1)
    video: list[bytes] = []
    frames = int(seconds * FPS)
    for index in range(frames):
        picture = av.VideoFrame.from_ndarray(np.roll(image, index * 6, axis=1), format="rgb24")
        picture = picture.reformat(format="yuv420p")
        picture.pts = index
        video += [bytes(p) for p in encoder.encode(picture)]
    video += [bytes(p) for p in encoder.encode(None)]

    opus = av.CodecContext.create("libopus", "w")
    assert isinstance(opus, av.AudioCodecContext)
    opus.sample_rate, opus.layout, opus.format = AUDIO_CLOCK, "stereo", "s16"
    opus.bit_rate = 48_000
    opus.time_base = fractions.Fraction(1, AUDIO_CLOCK)
    tone = (np.sin(2 * np.pi * 440 * np.arange(960) / AUDIO_CLOCK) * 8000).astype(np.int16)
    audio: list[bytes] = []
    for index in range(int(seconds / AUDIO_FRAME_S)):
        samples = av.AudioFrame.from_ndarray(
            np.repeat(tone, 2).reshape(1, -1), format="s16", layout="stereo"
        )
        samples.sample_rate = AUDIO_CLOCK
        samples.pts = index * 960
        audio += [bytes(p) for p in opus.encode(samples)]
    return Clip(video=video[:frames], audio=audio)


def save(clip: Clip, path: Path) -> None:
    path.write_bytes(msgpack.packb({"video": clip.video, "audio": clip.audio}))


def load(path: Path) -> Clip:
    data: dict[str, Any] = msgpack.unpackb(path.read_bytes())
    return Clip(video=list(data["video"]), audio=list(data["audio"]))


class ReplayTrack(MediaStreamTrack):
    """Replays encoded packets in real time, looping; a keyframe request restarts the clip."""

    def __init__(self, kind: str, packets: list[bytes]) -> None:
        super().__init__()
        self.kind = kind
        self._packets = packets
        self._interval = 1 / FPS if kind == "video" else AUDIO_FRAME_S
        self._step = VIDEO_CLOCK // FPS if kind == "video" else 960
        self._clock = VIDEO_CLOCK if kind == "video" else AUDIO_CLOCK
        self._start: float | None = None
        self._count = 0
        self._position = 0
        self.sent = 0

    def restart(self) -> None:
        """Next packet is the clip's first (its keyframe)."""
        self._position = 0

    async def recv(self) -> "av.Packet[Any]":
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._count * self._interval
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        packet = av.Packet(self._packets[self._position])
        packet.pts = self._count * self._step
        packet.time_base = fractions.Fraction(1, self._clock)
        self._position = (self._position + 1) % len(self._packets)
        self._count += 1
        self.sent += 1
        return packet
