"""Recording by remuxing received encoded frames into Matroska/WebM: no encoder, no decoder.

VP8 + Opus go to WebM (plays in browsers); H.264 goes to Matroska. The Opus stream is
declared through an (opened, never fed) libopus context because WebM players need the
``OpusHead`` codec-private block, which PyAV's encoder-less streams cannot carry.

The file opens at the first video keyframe (its header needs the picture size); audio
received before that is held and written first, and if no keyframe comes within a few
seconds the file opens with audio only. Every frame is placed by its arrival time relative to the
first one written plus its RTP timing, so audio and video stay in sync.
"""

import asyncio
import hashlib
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from rtc_gateway.rtc.passthrough import EncodedFrame
from rtc_gateway.security.private_files import create_missing_dirs, create_private_file

_HASH_CHUNK = 1 << 20
AUDIO_ONLY_AFTER_S = 4.0
HELD_AUDIO_FRAMES = 256
"""Audio kept while waiting for the first video keyframe (5 s of 20 ms frames)."""
_OPUS_HEAD = b"OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00"
"""RFC 7845 identification header: version 1, 2 channels, 312 pre-skip, 48 kHz."""


@dataclass(frozen=True, slots=True)
class RecordingSummary:
    path: Path
    sha256: str
    bytes: int
    duration_s: float
    frames: Mapping[str, int]


class ParticipantRecorder:
    """Writes one participant's received media to one file."""

    def __init__(
        self,
        stem: Path,
        codecs: Mapping[str, str],
        request_keyframe: Callable[[], None],
        monotonic: Callable[[], float],
    ) -> None:
        """``codecs`` maps each negotiated kind (``audio``/``video``) to its codec name."""
        self._stem = stem
        self._codecs = dict(codecs)
        self._request_keyframe = request_keyframe
        self._monotonic = monotonic
        self._container: Any = None
        self._streams: dict[str, Any] = {}
        self._origin: float | None = None
        self._first_ts: dict[str, tuple[int, int]] = {}
        self._last_pts: dict[str, int] = {}
        self._time_bases: dict[str, Fraction] = {}
        self._end_s = 0.0
        self.frames: dict[str, int] = {}
        self.dropped = 0
        self.path: Path | None = None
        self._held_audio: deque[tuple[float, EncodedFrame]] = deque(maxlen=HELD_AUDIO_FRAMES)

    def write(self, frame: EncodedFrame) -> None:
        now = self._monotonic()
        if self._container is None and not self._open_when_ready(frame, now):
            return
        self._write(frame, now)

    def _write(self, frame: EncodedFrame, arrival: float) -> None:
        stream = self._streams.get(frame.kind)
        pts = None if stream is None else self._pts(frame, arrival)
        if stream is None or pts is None:
            self.dropped += 1
            return
        packet = av.Packet(frame.data)
        packet.pts = pts
        packet.dts = pts
        packet.time_base = self._time_base(frame)
        packet.is_keyframe = frame.keyframe
        packet.stream = stream
        self._container.mux(packet)
        self.frames[frame.kind] = self.frames.get(frame.kind, 0) + 1
        self._end_s = max(self._end_s, (pts + _frame_span(frame)) / frame.clock_rate)

    def _open_when_ready(self, frame: EncodedFrame, now: float) -> bool:
        """Open the file once it can start decodable; ``False`` if ``frame`` is handled.

        While video is expected but no keyframe has come, audio is held back (so no
        word is lost) and a keyframe is requested; after ``AUDIO_ONLY_AFTER_S`` without
        one the file opens with audio only.
        """
        size = None
        if frame.kind == "video" and frame.keyframe:
            size = picture_size(frame.codec, frame.data)
        if "video" in self._codecs and size is None:
            if frame.kind != "audio":
                self.dropped += 1
                self._request_keyframe()
                return False
            self._held_audio.append((now, frame))
            if now - self._held_audio[0][0] < AUDIO_ONLY_AFTER_S:
                self._request_keyframe()
                return False
        held = list(self._held_audio)
        self._held_audio.clear()
        self._create(size, origin=held[0][0] if held else now)
        for arrival, early in held:
            self._write(early, arrival)
        return frame.kind == "video" or not held

    def _time_base(self, frame: EncodedFrame) -> Fraction:
        time_base = self._time_bases.get(frame.kind)
        if time_base is None:
            time_base = self._time_bases[frame.kind] = Fraction(1, frame.clock_rate)
        return time_base

    def _pts(self, frame: EncodedFrame, arrival: float) -> int | None:
        assert self._origin is not None
        if frame.kind not in self._first_ts:
            offset = round((arrival - self._origin) * frame.clock_rate)
            self._first_ts[frame.kind] = (frame.timestamp, max(offset, 0))
        first, offset = self._first_ts[frame.kind]
        pts = frame.timestamp - first + offset
        if pts <= self._last_pts.get(frame.kind, -1):
            return None
        self._last_pts[frame.kind] = pts
        return pts

    def _create(self, size: tuple[int, int] | None, origin: float) -> None:
        video_codec = self._codecs.get("video", "VP8").upper()
        suffix, fmt = (".webm", "webm") if video_codec == "VP8" else (".mkv", "matroska")
        self.path = self._stem.with_suffix(suffix)
        create_missing_dirs(self.path.parent)
        create_private_file(self.path)
        self._container = av.open(str(self.path), "w", format=fmt)
        if size is not None:
            self._streams["video"] = self._container.add_mux_stream(
                video_codec.lower(), rate=30, width=size[0], height=size[1]
            )
        if self._codecs.get("audio", "").lower() == "opus":
            audio = self._container.add_stream("libopus", rate=48000)
            audio.layout = "stereo"
            audio.codec_context.extradata = _OPUS_HEAD
            self._streams["audio"] = audio
        self._origin = origin

    async def finish(self) -> RecordingSummary | None:
        """Close the file and measure it; ``None`` if nothing was ever written."""
        container, self._container = self._container, None
        if container is None or self.path is None:
            return None
        container.close()
        digest, size = await asyncio.to_thread(file_digest, self.path)
        return RecordingSummary(
            path=self.path,
            sha256=digest,
            bytes=size,
            duration_s=round(self._end_s, 3),
            frames=dict(self.frames),
        )

    def abort(self) -> None:
        """Close without measuring (server shutdown path); the file stays on disk."""
        container, self._container = self._container, None
        if container is not None:
            container.close()


def _frame_span(frame: EncodedFrame) -> int:
    return frame.clock_rate // 30 if frame.kind == "video" else frame.clock_rate // 50


def picture_size(codec: str, data: bytes) -> tuple[int, int] | None:
    """Width and height from a keyframe, without decoding it where the codec allows."""
    if codec.upper() == "VP8":
        if len(data) < 10 or data[3:6] != b"\x9d\x01\x2a":
            return None
        width = int.from_bytes(data[6:8], "little") & 0x3FFF
        height = int.from_bytes(data[8:10], "little") & 0x3FFF
        return width, height
    decoder = av.CodecContext.create(codec.lower(), "r")
    assert isinstance(decoder, av.VideoCodecContext)
    try:
        for picture in decoder.decode(av.Packet(data)):
            return picture.width, picture.height
    except av.FFmpegError:
        return None
    return None


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
