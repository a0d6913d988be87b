"""Encoded-frame pass-through for aiortc: receive without decoding, send without encoding.

aiortc's ``RTCRtpReceiver`` reassembles RTP packets into complete encoded frames in its
jitter buffer, then hands them to a decoder thread; its ``RTCRtpSender`` accepts a
track whose ``recv()`` returns ``av.Packet`` and only packetizes it
(``encoder.pack()`` in ``_next_encoded_frame``). This module joins the two:

- :func:`tap_receiver` makes a receiver deliver each complete encoded frame to a
  callback on the event loop, with no decoder thread;
- :class:`RelayTrack` is the sender-side track fed with those frames;
- :class:`UpstreamFeedback` sends PLI and REMB upstream; :func:`forward_keyframe_requests`
  and :func:`forward_bitrate_estimates` route a viewer's PLI/FIR and REMB to it instead
  of to the (absent) encoder.

The tapped receiver does not run aiortc's own bandwidth estimator (it costs more than
the rest of the receive path and would send one REMB per video packet); the gateway
forwards the viewer's estimate to the publisher instead, as an SFU does.

Written against aiortc 1.16 (pyproject pins ``aiortc>=1.16,<1.17``): it relies on the
receiver's private decoder queue/thread, estimator and RTCP SSRC slots and on
``RTCRtpSender._send_keyframe`` and ``_handle_rtcp_packet``.
:func:`check_aiortc` fails loudly if those are missing.
"""

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import aiortc
import av
from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, pack_remb_fci, unpack_remb_fci

AIORTC_SERIES = "1.16."
_RECEIVER_SLOTS = (
    "_RTCRtpReceiver__started",
    "_RTCRtpReceiver__codecs",
    "_RTCRtpReceiver__rtx_ssrc",
    "_RTCRtpReceiver__decoder_queue",
    "_RTCRtpReceiver__decoder_thread",
    "_RTCRtpReceiver__rtcp_task",
    "_RTCRtpReceiver__remote_bitrate_estimator",
    "_RTCRtpReceiver__rtcp_ssrc",
)


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    """One complete encoded audio or video frame, as it travelled over RTP."""

    kind: str
    codec: str
    """Codec name as aiortc spells it: ``VP8``, ``H264``, ``opus``."""
    data: bytes
    timestamp: int
    """In ``clock_rate`` units, counted from the stream's first frame."""
    clock_rate: int
    keyframe: bool


FrameSink = Callable[[EncodedFrame], None]


def check_aiortc() -> None:
    """Fail if the installed aiortc is not the series this module was written for."""
    if not aiortc.__version__.startswith(AIORTC_SERIES):
        raise RuntimeError(
            f"pass-through relay needs aiortc {AIORTC_SERIES}x, found {aiortc.__version__}"
        )


def is_keyframe(codec: str, data: bytes) -> bool:
    """Whether a frame can be decoded on its own (audio frames always can)."""
    name = codec.upper()
    if name == "VP8":
        return len(data) > 0 and data[0] & 0x01 == 0
    if name == "H264":
        return any(nal_type in (5, 7) for nal_type in _h264_nal_types(data))
    return True


def _h264_nal_types(data: bytes) -> list[int]:
    types = []
    start = data.find(b"\x00\x00\x01")
    while start != -1 and start + 3 < len(data):
        types.append(data[start + 3] & 0x1F)
        start = data.find(b"\x00\x00\x01", start + 3)
    return types


class _FrameTap:
    """Stands in for the receiver's decoder queue and decoder thread."""

    def __init__(self, kind: str, sink: FrameSink) -> None:
        self._kind = kind
        self._sink = sink

    def put(self, item: tuple[Any, Any] | None) -> None:
        if item is None:
            return
        codec, jitter_frame = item
        data: bytes = jitter_frame.data
        self._sink(
            EncodedFrame(
                kind=self._kind,
                codec=codec.name,
                data=data,
                timestamp=jitter_frame.timestamp,
                clock_rate=codec.clockRate,
                keyframe=is_keyframe(codec.name, data),
            )
        )

    def join(self, timeout: float | None = None) -> None:
        """Nothing to wait for: there is no thread."""


def tap_receiver(receiver: RTCRtpReceiver, kind: str, sink: FrameSink) -> None:
    """Make ``receiver`` hand complete encoded frames to ``sink`` instead of decoding.

    Must be called before the connection starts the receiver (before the answer is
    applied). The receiver's NACK, PLI-on-loss, REMB and RTCP reports keep working.
    """
    check_aiortc()
    missing = [slot for slot in _RECEIVER_SLOTS if not hasattr(receiver, slot)]
    if missing:
        raise RuntimeError(f"aiortc receiver internals changed: {missing}")
    tap = _FrameTap(kind, sink)

    async def receive(parameters: Any) -> None:
        if receiver._RTCRtpReceiver__started:  # type: ignore[attr-defined]
            return
        codecs = receiver._RTCRtpReceiver__codecs  # type: ignore[attr-defined]
        for codec in parameters.codecs:
            codecs[codec.payloadType] = codec
        rtx_ssrc = receiver._RTCRtpReceiver__rtx_ssrc  # type: ignore[attr-defined]
        for encoding in parameters.encodings:
            if encoding.rtx:
                rtx_ssrc[encoding.rtx.ssrc] = encoding.ssrc
        receiver._RTCRtpReceiver__remote_bitrate_estimator = None  # type: ignore[attr-defined]
        receiver._RTCRtpReceiver__decoder_queue = tap  # type: ignore[attr-defined]
        receiver._RTCRtpReceiver__decoder_thread = tap  # type: ignore[attr-defined]
        receiver.transport._register_rtp_receiver(receiver, parameters)
        receiver._RTCRtpReceiver__rtcp_task = asyncio.ensure_future(  # type: ignore[attr-defined]
            receiver._run_rtcp()
        )
        receiver._RTCRtpReceiver__started = True  # type: ignore[attr-defined]

    receiver.receive = receive  # type: ignore[method-assign]


class UpstreamFeedback:
    """RTCP from the gateway's receiver to the remote sender: PLI and REMB, rate-limited."""

    def __init__(
        self, receiver: RTCRtpReceiver, pli_interval_s: float = 0.3, remb_interval_s: float = 0.5
    ) -> None:
        self._receiver = receiver
        self._pli_interval_s = pli_interval_s
        self._remb_interval_s = remb_interval_s
        self._last_pli = -float("inf")
        self._last_remb = -float("inf")
        self._tasks: set[asyncio.Future[None]] = set()
        self.plis_sent = 0
        self.rembs_sent = 0

    def request_keyframe(self) -> None:
        now = time.monotonic()
        if now - self._last_pli < self._pli_interval_s:
            return
        sources = self._receiver.getSynchronizationSources()
        if not sources:
            return
        self._last_pli = now
        for source in sources:
            self._spawn(self._receiver._send_rtcp_pli(source.source))
            self.plis_sent += 1

    def report_bitrate(self, bitrate: int) -> None:
        """Pass a viewer's receive estimate (bits/s) on to the publisher."""
        now = time.monotonic()
        rtcp_ssrc = self._receiver._RTCRtpReceiver__rtcp_ssrc  # type: ignore[attr-defined]
        sources = [s.source for s in self._receiver.getSynchronizationSources()]
        if now - self._last_remb < self._remb_interval_s or not sources or rtcp_ssrc is None:
            return
        self._last_remb = now
        packet = RtcpPsfbPacket(
            fmt=RTCP_PSFB_APP, ssrc=rtcp_ssrc, media_ssrc=0, fci=pack_remb_fci(bitrate, sources)
        )
        self._spawn(self._receiver._send_rtcp(packet))
        self.rembs_sent += 1

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()


def forward_keyframe_requests(sender: RTCRtpSender, request: Callable[[], None]) -> None:
    """Route PLI/FIR received for ``sender`` to ``request`` (there is no encoder to force)."""
    check_aiortc()
    sender._send_keyframe = request  # type: ignore[method-assign]


def forward_bitrate_estimates(sender: RTCRtpSender, report: Callable[[int], None]) -> None:
    """Call ``report(bits_per_second)`` for each REMB the viewer sends about ``sender``."""
    check_aiortc()
    handle = sender._handle_rtcp_packet

    async def handle_with_remb(packet: Any) -> None:
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            try:
                bitrate, _ = unpack_remb_fci(packet.fci)
            except ValueError:
                pass
            else:
                report(bitrate)
        await handle(packet)

    sender._handle_rtcp_packet = handle_with_remb  # type: ignore[method-assign]


class RelayTrack(MediaStreamTrack):
    """A sender-side track fed with encoded frames; ``recv()`` returns ``av.Packet``.

    The queue is bounded. Audio drops its oldest frame when full. Video cannot drop
    one frame without corrupting the next ones, so on overflow it drops everything
    queued and waits for a keyframe (asking for one). A new source (a participant who
    rejoined) also starts at a keyframe, and its timestamps are shifted to continue
    the outgoing stream.
    """

    def __init__(
        self, kind: str, on_keyframe_needed: Callable[[], None], capacity: int = 32
    ) -> None:
        super().__init__()
        self.kind = kind
        self._on_keyframe_needed = on_keyframe_needed
        self._capacity = capacity
        self._frames: deque[tuple[EncodedFrame, int]] = deque()
        self._ready = asyncio.Event()
        self._source: object = None
        self._offset = 0
        self._last_out: int | None = None
        self._waiting_keyframe = kind == "video"
        self._time_base_cache: Fraction | None = None
        self.delivered = 0
        self.dropped = 0

    def push(self, frame: EncodedFrame, source: object) -> None:
        """Queue ``frame`` from ``source``; never blocks."""
        if self.readyState != "live":
            return
        if source is not self._source:
            self._switch_source(frame, source)
        if self._waiting_keyframe:
            if not frame.keyframe:
                self.dropped += 1
                self._on_keyframe_needed()
                return
            self._waiting_keyframe = False
        if len(self._frames) >= self._capacity:
            self._overflow(frame)
            if self._waiting_keyframe:
                return
        timestamp = frame.timestamp + self._offset
        self._last_out = timestamp
        self._frames.append((frame, timestamp))
        self._ready.set()

    def _switch_source(self, frame: EncodedFrame, source: object) -> None:
        self._source = source
        if self._last_out is not None:
            step = frame.clock_rate // 30 if self.kind == "video" else frame.clock_rate // 50
            self._offset = self._last_out + step - frame.timestamp
        if self.kind == "video":
            self._waiting_keyframe = not frame.keyframe
            self._frames.clear()

    def _overflow(self, frame: EncodedFrame) -> None:
        if self.kind != "video":
            self._frames.popleft()
            self.dropped += 1
            return
        self.dropped += len(self._frames)
        self._frames.clear()
        if not frame.keyframe:
            self._waiting_keyframe = True
            self.dropped += 1
            self._on_keyframe_needed()

    async def recv(self) -> "av.Packet[Any]":
        while not self._frames:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        frame, timestamp = self._frames.popleft()
        packet = av.Packet(frame.data)
        packet.pts = timestamp
        packet.time_base = self._time_base(frame.clock_rate)
        self.delivered += 1
        return packet

    def _time_base(self, clock_rate: int) -> Fraction:
        if self._time_base_cache is None or self._time_base_cache.denominator != clock_rate:
            self._time_base_cache = Fraction(1, clock_rate)
        return self._time_base_cache

    def stop(self) -> None:
        super().stop()
        self._frames.clear()
        self._ready.set()
