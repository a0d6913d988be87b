"""The gateway's own WebRTC peer facing one participant: answers, receives, relays."""

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.sdp import SessionDescription, candidate_from_sdp

from rtc_gateway.rtc.errors import BadSignal
from rtc_gateway.rtc.passthrough import (
    EncodedFrame,
    RelayTrack,
    UpstreamFeedback,
    forward_bitrate_estimates,
    forward_keyframe_requests,
    tap_receiver,
)

KINDS = ("audio", "video")
FrameHandler = Callable[["Leg", EncodedFrame], None]


class Leg:
    """One participant's peer connection on the gateway.

    Received frames go to ``on_frame``; ``outbound[kind]`` is what the gateway sends
    back. ``on_keyframe_wanted(leg, kind)`` fires when the participant's decoder asks for
    a keyframe of what it receives, ``on_bitrate(leg, bps)`` when it reports how much
    video it can take (REMB).
    """

    def __init__(
        self,
        configuration: RTCConfiguration,
        on_frame: FrameHandler,
        on_keyframe_wanted: Callable[["Leg", str], None],
        on_failed: Callable[["Leg"], None],
        on_bitrate: Callable[["Leg", int], None],
        queue_frames: int = 32,
    ) -> None:
        self.pc = RTCPeerConnection(configuration)
        self._on_frame = on_frame
        self._on_failed = on_failed
        self.codecs: dict[str, str] = {}
        self.upstream: dict[str, UpstreamFeedback] = {}
        self.outbound: dict[str, RelayTrack] = {}
        self.closed = False
        self.frames_received = 0
        self._transceivers: dict[str, RTCRtpTransceiver] = {}
        self._on_keyframe_wanted = on_keyframe_wanted
        self._on_bitrate = on_bitrate
        for kind in KINDS:
            self.outbound[kind] = RelayTrack(
                kind, self._keyframe_callback(kind), capacity=queue_frames
            )
        self.pc.on("connectionstatechange", self._state_changed)

    async def answer(
        self, sdp: str, type_: str, preferences: Mapping[str, list[Any]]
    ) -> RTCSessionDescription:
        """Apply the participant's offer and return the gateway's answer.

        ``preferences`` maps a kind to the codec capabilities this leg may use, so that
        both legs of a room negotiate the same codec.
        """
        if type_ != "offer":
            raise BadSignal(f"expected an offer, got {type_!r}")
        try:
            kinds = {m.kind for m in SessionDescription.parse(sdp).media} & set(KINDS)
        except Exception as exc:
            raise BadSignal(f"unparsable offer: {exc}") from exc
        if not kinds:
            raise BadSignal("the offer has no audio or video")
        for kind in sorted(kinds):
            transceiver = self.pc.addTransceiver(self.outbound[kind], direction="sendrecv")
            transceiver.setCodecPreferences(list(preferences[kind]))
            forward_keyframe_requests(transceiver.sender, self._keyframe_callback(kind))
            if kind == "video":
                forward_bitrate_estimates(transceiver.sender, self._bitrate_callback)
            self._transceivers[kind] = transceiver
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        except Exception as exc:
            raise BadSignal(f"offer rejected: {exc}") from exc
        ours = set(self._transceivers.values())
        for extra in self.pc.getTransceivers():
            if extra not in ours:
                extra.direction = "inactive"  # a second camera or a screen: not relayed
        for kind, transceiver in self._transceivers.items():
            if transceiver.mid is None:
                continue
            self.codecs[kind] = transceiver._codecs[0].name
            receiver: RTCRtpReceiver = transceiver.receiver
            self.upstream[kind] = UpstreamFeedback(receiver)
            tap_receiver(receiver, kind, self._deliver)
        answer = await self.pc.createAnswer()
        await self.pc.setLocalDescription(answer)
        local = self.pc.localDescription
        return RTCSessionDescription(sdp=local.sdp, type=local.type)

    async def add_candidate(self, candidate: Mapping[str, Any]) -> None:
        """Apply one trickled remote candidate (an empty one ends the trickle)."""
        line = candidate.get("candidate")
        if not isinstance(line, str):
            raise BadSignal("candidate.candidate must be a string")
        if not line:
            await self.pc.addIceCandidate(None)
            return
        try:
            ice = candidate_from_sdp(line.removeprefix("candidate:"))
        except (AssertionError, ValueError, IndexError) as exc:
            raise BadSignal(f"unparsable candidate: {exc}") from exc
        ice.sdpMid = candidate.get("sdpMid")
        ice.sdpMLineIndex = candidate.get("sdpMLineIndex")
        try:
            await self.pc.addIceCandidate(ice)
        except Exception as exc:
            raise BadSignal(f"candidate rejected: {exc}") from exc

    def _keyframe_callback(self, kind: str) -> Callable[[], None]:
        return lambda: self._on_keyframe_wanted(self, kind)

    def _bitrate_callback(self, bitrate: int) -> None:
        self._on_bitrate(self, bitrate)

    def request_keyframe(self) -> None:
        feedback = self.upstream.get("video")
        if feedback is not None:
            feedback.request_keyframe()

    def report_bitrate(self, bitrate: int) -> None:
        feedback = self.upstream.get("video")
        if feedback is not None:
            feedback.report_bitrate(bitrate)

    def _deliver(self, frame: EncodedFrame) -> None:
        if not self.closed:
            self.frames_received += 1
            self._on_frame(self, frame)

    def counters(self) -> dict[str, int]:
        """Frames received, relayed out and dropped by the bounded queues; PLIs sent."""
        return {
            "frames_received": self.frames_received,
            "frames_relayed": sum(t.delivered for t in self.outbound.values()),
            "frames_dropped": sum(t.dropped for t in self.outbound.values()),
            "keyframe_requests": sum(f.plis_sent for f in self.upstream.values()),
        }

    def _state_changed(self) -> None:
        if self.pc.connectionState in ("failed", "closed") and not self.closed:
            self._on_failed(self)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for requester in self.upstream.values():
            requester.cancel()
        for track in self.outbound.values():
            track.stop()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.pc.close()
