"""A real aiortc client peer (citizen or agent side) for the video tests."""

import asyncio
import contextlib
import fractions
import time
from dataclasses import dataclass, field

import av
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError

VIDEO_RATE = 90000
AUDIO_RATE = 48000


class PatternVideoTrack(MediaStreamTrack):
    """Paced synthetic video: a moving gradient so the encoder has real work."""

    kind = "video"

    def __init__(self, width: int = 320, height: int = 240, fps: int = 30) -> None:
        super().__init__()
        self._width, self._height, self._fps = width, height, fps
        self._index = 0
        self._start: float | None = None
        self.sent = 0
        base = np.add.outer(np.arange(height), np.arange(width)).astype(np.uint8)
        self._base = np.stack([base, base // 2, 255 - base], axis=-1)

    async def recv(self) -> av.VideoFrame:
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._index / self._fps
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        image = np.roll(self._base, self._index * 4, axis=1)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = self._index * (VIDEO_RATE // self._fps)
        frame.time_base = fractions.Fraction(1, VIDEO_RATE)
        self._index += 1
        self.sent += 1
        return frame


class ToneAudioTrack(MediaStreamTrack):
    """Paced 20 ms frames of a 440 Hz tone."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._index = 0
        self._start: float | None = None
        samples = np.arange(960) / AUDIO_RATE
        self._tone = (np.sin(2 * np.pi * 440 * samples) * 8000).astype(np.int16)

    async def recv(self) -> av.AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._index * 0.02
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        stereo = np.repeat(self._tone, 2).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
        frame.sample_rate = AUDIO_RATE
        frame.pts = self._index * 960
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        self._index += 1
        return frame


@dataclass
class Received:
    video_frames: int = 0
    audio_frames: int = 0
    sizes: set[tuple[int, int]] = field(default_factory=set)


class ClientPeer:
    """Sends paced video and audio, decodes and counts everything it receives."""

    def __init__(self, fps: int = 30) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.video = PatternVideoTrack(fps=fps)
        self.audio = ToneAudioTrack()
        self.pc.addTrack(self.audio)
        self.pc.addTrack(self.video)
        self.received = Received()
        self._consumers: list[asyncio.Task[None]] = []
        self.pc.on("track", self._on_track)

    def prefer_video_codec(self, name: str) -> None:
        codecs = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.name == name]
        for transceiver in self.pc.getTransceivers():
            if transceiver.kind == "video":
                transceiver.setCodecPreferences(codecs)

    async def offer(self) -> tuple[str, str]:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp, self.pc.localDescription.type

    async def accept(self, sdp: str, type_: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=type_))

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._consumers.append(asyncio.ensure_future(self._consume(track)))

    async def _consume(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if isinstance(frame, av.VideoFrame):
                    self.received.video_frames += 1
                    self.received.sizes.add((frame.width, frame.height))
                else:
                    self.received.audio_frames += 1

    async def close(self) -> None:
        await self.pc.close()
        for task in self._consumers:
            task.cancel()
        await asyncio.gather(*self._consumers, return_exceptions=True)
