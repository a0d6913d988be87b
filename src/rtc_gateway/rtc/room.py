"""A video room's media plane: who is connected, who sees whom, what is recorded."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from aiortc import RTCConfiguration, RTCRtpSender

from rtc_gateway.rtc.leg import Leg
from rtc_gateway.rtc.passthrough import EncodedFrame
from rtc_gateway.rtc.recorder import ParticipantRecorder, RecordingSummary

ROLES = ("citizen", "agent", "supervisor")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True, slots=True)
class Participant:
    role: str
    """``citizen``, ``agent`` or ``supervisor``."""
    user_id: str


@dataclass(frozen=True, slots=True)
class Segment:
    """One recorded connection of one participant (a rejoin starts a new segment)."""

    participant: Participant
    summary: RecordingSummary


@dataclass
class VideoRoom:
    """State of one room. The service owns it; the gateway only reads it."""

    room_id: str
    conversation_id: str
    started_by: Participant
    started_at: datetime
    ice_servers: list[dict[str, object]]
    """What the starter's client should use (``video:start`` ack)."""
    directory: Path
    members: dict[Participant, Leg | None] = field(default_factory=dict)
    recorders: dict[Leg, tuple[Participant, ParticipantRecorder]] = field(default_factory=dict)
    segments: list[Segment] = field(default_factory=list)
    video_codec: str | None = None
    ended: bool = False
    _segment_counter: int = 0
    _routes: dict[Leg, list[Leg]] | None = None
    """Source leg -> the legs viewing it; rebuilt after any membership change."""

    def admit(self, participant: Participant) -> None:
        self.members.setdefault(participant, None)

    def disconnect(self, participant: Participant) -> None:
        """Keep the participant's place but forget its peer."""
        if participant in self.members:
            self.members[participant] = None
            self._routes = None

    def remove(self, participant: Participant) -> Leg | None:
        self._routes = None
        return self.members.pop(participant, None)

    def legs(self) -> list[tuple[Participant, Leg]]:
        return [(p, leg) for p, leg in self.members.items() if leg is not None]

    def is_member(self, participant: Participant) -> bool:
        return participant in self.members

    def source_for(self, viewer: Participant) -> Leg | None:
        """Whose media a viewer receives: a citizen sees the officer, staff see the citizen."""
        if viewer.role == "citizen":
            candidates = [(p, leg) for p, leg in self.legs() if p.role != "citizen"]
            candidates.sort(key=lambda item: item[0] != self.started_by)
        else:
            candidates = [(p, leg) for p, leg in self.legs() if p.role == "citizen"]
        return candidates[0][1] if candidates else None

    def participant_of(self, leg: Leg) -> Participant | None:
        return next((p for p, member in self.members.items() if member is leg), None)

    def new_leg(
        self,
        participant: Participant,
        configuration: RTCConfiguration,
        on_failed: Callable[[Leg], None],
        queue_frames: int,
    ) -> Leg:
        leg = Leg(
            configuration,
            on_frame=self._route,
            on_keyframe_wanted=self._keyframe_wanted,
            on_failed=on_failed,
            on_bitrate=self._bitrate_reported,
            queue_frames=queue_frames,
        )
        self.members[participant] = leg
        self._routes = None
        return leg

    def start_recording(
        self, participant: Participant, leg: Leg, monotonic: Callable[[], float]
    ) -> None:
        """Record what ``leg`` receives, once its codecs are negotiated."""
        self._segment_counter += 1
        stem = self.directory / (
            f"{self._segment_counter:03d}-{participant.role}-"
            f"{_UNSAFE.sub('_', participant.user_id)}"
        )
        self.recorders[leg] = (
            participant,
            ParticipantRecorder(stem, leg.codecs, leg.request_keyframe, monotonic),
        )

    def _viewers(self, source: Leg) -> list[Leg]:
        if self._routes is None:
            routes: dict[Leg, list[Leg]] = {}
            for viewer, leg in self.legs():
                seen = self.source_for(viewer)
                if seen is not None and seen is not leg:
                    routes.setdefault(seen, []).append(leg)
            self._routes = routes
        return self._routes.get(source, [])

    def _route(self, source: Leg, frame: EncodedFrame) -> None:
        recording = self.recorders.get(source)
        if recording is not None:
            recording[1].write(frame)
        for viewer in self._viewers(source):
            viewer.outbound[frame.kind].push(frame, source)

    def _keyframe_wanted(self, viewer_leg: Leg, kind: str) -> None:
        if kind != "video":
            return
        viewer = self.participant_of(viewer_leg)
        source = self.source_for(viewer) if viewer is not None else None
        if source is not None:
            source.request_keyframe()

    def _bitrate_reported(self, viewer_leg: Leg, bitrate: int) -> None:
        viewer = self.participant_of(viewer_leg)
        source = self.source_for(viewer) if viewer is not None else None
        if source is not None:
            source.report_bitrate(bitrate)

    def audio_preferences(self) -> list[Any]:
        """Opus only: it is what browsers send and what WebM records."""
        return [c for c in RTCRtpSender.getCapabilities("audio").codecs if c.name == "opus"]

    def video_preferences(self) -> list[Any]:
        """Codec capabilities a new leg may negotiate: the room's codec once chosen."""
        capabilities = RTCRtpSender.getCapabilities("video").codecs
        if self.video_codec is None:
            return [c for c in capabilities if c.name != "rtx"] + [
                c for c in capabilities if c.name == "rtx"
            ]
        return [c for c in capabilities if c.name in (self.video_codec, "rtx")]
