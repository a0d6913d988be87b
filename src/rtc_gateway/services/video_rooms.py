"""Visioplainte video rooms: start, join, signal, leave, end with recordings as evidence.

The gateway authorizes callers (the conversation's citizen, its agent, supervisors)
before calling in; this service still refuses unknown rooms, roles outside
citizen/agent/supervisor and signalling from someone who has not joined.

An officer who no longer holds the conversation (transferred, re-queued) is taken out
of its room at once: its peer is closed and its recording segment finished, and the
room goes on for the others (the next officer or a supervisor may join) or ends when
nobody is left. A room ends when the participant who started it or the citizen leaves
(the call is between them: nobody is left waiting on a frozen frame), when every
participant has left, when its conversation is closed, when nobody has been connected for
``empty_room_timeout_s``, or at shutdown. Then each recorded segment is hashed, a
``manifest.sha256`` (``sha256sum`` format) lists them, a ``video.ended`` evidence entry
is appended and ``on_room_ended`` is called.
"""

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.evidence_log import EvidenceEntry, EvidenceLog, RecordKind
from rtc_gateway.rtc.errors import BadSignal, NotAParticipant, RoomNotFound
from rtc_gateway.rtc.ice import (
    IceServerConfig,
    restrict_host_candidates,
    rtc_configuration,
    servers_for,
)
from rtc_gateway.rtc.leg import Leg
from rtc_gateway.rtc.room import ROLES, Participant, Segment, VideoRoom
from rtc_gateway.security.private_files import open_private, private_dir

__all__ = ["Participant", "RoomEnded", "VideoRoom", "VideoRoomService"]

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.sha256"


@dataclass(frozen=True, slots=True)
class RoomEnded:
    room_id: str
    conversation_id: str
    recording: Mapping[str, Any]
    """``{sha256, bytes, duration_s}`` as sent in ``video:ended``: the manifest's hash,
    the total size of the recordings and the longest participant's recorded time."""
    recordings: tuple[Mapping[str, Any], ...]
    """Per segment: ``{participant, path, sha256, bytes, duration_s}``."""
    participants: tuple[Participant, ...]
    reason: str


class VideoRoomService:
    def __init__(
        self,
        *,
        evidence: EvidenceLog,
        recordings_dir: Path,
        ice_servers: Sequence[IceServerConfig],
        clock: Clock,
        on_room_ended: Callable[[RoomEnded], Awaitable[None]],
        turn_secret: str | None = None,
        host_addresses: Sequence[str] | None = None,
        empty_room_timeout_s: float = 60.0,
        queue_frames: int = 32,
        room_prefix: str = "",
    ) -> None:
        """``host_addresses`` restricts the ICE host candidates of every peer in this
        process (``["127.0.0.1"]`` on loopback); ``None`` keeps aioice's discovery."""
        self._room_prefix = room_prefix
        """With several nodes, this node's tag and a dot: a room id names its node."""
        self._evidence = evidence
        self._recordings_dir = recordings_dir
        self._ice_servers = list(ice_servers)
        self._clock = clock
        self._on_room_ended = on_room_ended
        self._turn_secret = turn_secret
        self._empty_room_timeout_s = empty_room_timeout_s
        self._queue_frames = queue_frames
        self._rooms: dict[str, VideoRoom] = {}
        self._by_conversation: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._timers: dict[str, asyncio.Task[None]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._finished_counters: dict[str, int] = {}
        if host_addresses is not None:
            restrict_host_candidates(host_addresses)

    # -- queries ---------------------------------------------------------------------

    def room(self, room_id: str) -> VideoRoom | None:
        return self._rooms.get(room_id)

    def room_for_conversation(self, conversation_id: str) -> VideoRoom | None:
        room_id = self._by_conversation.get(conversation_id)
        return self._rooms.get(room_id) if room_id is not None else None

    def ice_servers_for(self, participant: Participant) -> list[dict[str, object]]:
        """ICE servers for a client, TURN credentials minted for this participant."""
        servers = servers_for(
            self._ice_servers, participant.user_id, self._clock.now(), self._turn_secret
        )
        return [server.to_wire() for server in servers]

    @property
    def active_rooms(self) -> int:
        return len(self._rooms)

    def stats(self) -> dict[str, int]:
        """Cumulative media counters (for metrics and load tests) and current sizes."""
        totals = dict(self._finished_counters)
        legs = [leg for room in self._rooms.values() for _, leg in room.legs()]
        for leg in legs:
            for name, value in leg.counters().items():
                totals[name] = totals.get(name, 0) + value
        return {"rooms": len(self._rooms), "connected_peers": len(legs), **totals}

    # -- commands --------------------------------------------------------------------

    async def start(self, conversation_id: str, started_by: Participant) -> VideoRoom:
        """Open a room for a conversation, or return the one already open (idempotent)."""
        _check_role(started_by)
        existing = self.room_for_conversation(conversation_id)
        if existing is not None:
            return existing
        room_id = "vr_" + self._room_prefix + secrets.token_urlsafe(12)
        room = VideoRoom(
            room_id=room_id,
            conversation_id=conversation_id,
            started_by=started_by,
            started_at=self._clock.now(),
            ice_servers=self.ice_servers_for(started_by),
            directory=self._recordings_dir / room_id,
        )
        self._rooms[room_id] = room
        self._by_conversation[conversation_id] = room_id
        self._locks[room_id] = asyncio.Lock()
        await self._evidence.append(
            EvidenceEntry(
                conversation_id=conversation_id,
                kind=RecordKind.VIDEO_STARTED,
                actor_role=started_by.role,
                actor_id=started_by.user_id,
                at=room.started_at,
                data={"room_id": room_id},
            )
        )
        log.info("video room started", extra={"room_id": room_id,
                                               "conversation_id": conversation_id})
        self._arm_empty_timer(room)
        return room

    async def join(self, room_id: str, participant: Participant) -> list[dict[str, object]]:
        """Admit a participant (authorized by the gateway); returns its ICE servers."""
        _check_role(participant)
        room = self._live(room_id)
        room.admit(participant)
        return self.ice_servers_for(participant)

    async def offer(
        self, room_id: str, participant: Participant, sdp: str, type_: str
    ) -> tuple[str, str]:
        """Answer a participant's offer with the gateway's own peer: ``(sdp, type)``.

        A new offer from the same participant (a rejoin) replaces its previous peer.
        """
        room = self._member_room(room_id, participant)
        if not isinstance(sdp, str) or not sdp:
            raise BadSignal("sdp must be a non-empty string")
        async with self._locks[room_id]:
            room = self._member_room(room_id, participant)
            previous = room.members.get(participant)
            if previous is not None:
                await self._detach(room, previous)
            leg = room.new_leg(
                participant,
                rtc_configuration(
                    servers_for(self._ice_servers, "gateway", self._clock.now(), self._turn_secret)
                ),
                on_failed=lambda failed: self._watch(self._leg_failed(room, failed)),
                queue_frames=self._queue_frames,
            )
            try:
                answer = await leg.answer(
                    sdp,
                    type_,
                    {"audio": room.audio_preferences(), "video": room.video_preferences()},
                )
            except BaseException:
                room.disconnect(participant)
                await leg.close()
                raise
            if room.video_codec is None and "video" in leg.codecs:
                room.video_codec = leg.codecs["video"]
            room.start_recording(participant, leg, self._clock.monotonic)
            self._disarm_empty_timer(room)
            return answer.sdp, answer.type

    async def candidate(
        self, room_id: str, participant: Participant, candidate: Mapping[str, Any]
    ) -> None:
        room = self._member_room(room_id, participant)
        if not isinstance(candidate, Mapping):
            raise BadSignal("candidate must be an object")
        leg = room.members.get(participant)
        if leg is None:
            raise BadSignal("send rtc:offer before rtc:candidate")
        await leg.add_candidate(candidate)

    async def leave(self, room_id: str, participant: Participant) -> None:
        room = self._member_room(room_id, participant)
        async with self._locks[room_id]:
            leg = room.remove(participant)
            if leg is not None:
                await self._detach(room, leg)
        if participant == room.started_by or participant.role == "citizen" or not room.members:
            await self._end(room, reason="left", actor=participant)
        elif not room.legs():
            self._arm_empty_timer(room)

    async def remove(self, conversation_id: str, participant: Participant,
                     reason: str) -> str | None:
        """Take someone who may no longer take part out of the conversation's room now.

        Returns the room's id, or ``None`` when the participant was in no room of it.
        """
        room = self.room_for_conversation(conversation_id)
        if room is None or room.ended or not room.is_member(participant):
            return None
        async with self._locks[room.room_id]:
            leg = room.remove(participant)
            if leg is not None:
                await self._detach(room, leg)
        log.info("video participant removed", extra={
            "room_id": room.room_id, "conversation_id": conversation_id,
            "role": participant.role, "user_id": participant.user_id, "reason": reason})
        if not room.members:
            await self._end(room, reason=reason, actor=None)
        elif not room.legs():
            self._arm_empty_timer(room)
        return room.room_id

    async def disconnect(self, participant: Participant) -> None:
        """The participant's socket dropped: close its peers but keep its place."""
        for room in list(self._rooms.values()):
            leg = room.members.get(participant)
            lock = self._locks.get(room.room_id)
            if leg is None or lock is None or room.ended:
                continue
            async with lock:
                if room.members.get(participant) is leg:
                    await self._detach(room, leg)
            if not room.legs():
                self._arm_empty_timer(room)

    async def end_conversation(self, conversation_id: str) -> None:
        room = self.room_for_conversation(conversation_id)
        if room is not None:
            await self._end(room, reason="conversation_closed", actor=None)

    async def close(self) -> None:
        """End every room (recordings are finished and logged), then stop."""
        for room in list(self._rooms.values()):
            await self._end(room, reason="shutdown", actor=None)
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    # -- internals -------------------------------------------------------------------

    def _live(self, room_id: str) -> VideoRoom:
        room = self._rooms.get(room_id)
        if room is None or room.ended:
            raise RoomNotFound(f"no video room {room_id!r}")
        return room

    def _member_room(self, room_id: str, participant: Participant) -> VideoRoom:
        _check_role(participant)
        room = self._live(room_id)
        if not room.is_member(participant):
            raise NotAParticipant("join the room first")
        return room

    async def _detach(self, room: VideoRoom, leg: Leg) -> None:
        """Close one peer and finish its recording segment."""
        participant = room.participant_of(leg)
        if participant is not None:
            room.disconnect(participant)
        recording = room.recorders.pop(leg, None)
        await leg.close()
        for name, value in leg.counters().items():
            self._finished_counters[name] = self._finished_counters.get(name, 0) + value
        if recording is not None:
            owner, recorder = recording
            summary = await recorder.finish()
            if summary is not None:
                room.segments.append(Segment(owner, summary))

    async def _leg_failed(self, room: VideoRoom, leg: Leg) -> None:
        if room.ended:
            return
        async with self._locks[room.room_id]:
            if leg.closed:
                return
            await self._detach(room, leg)
        if not room.legs() and not room.ended:
            self._arm_empty_timer(room)

    async def _end(self, room: VideoRoom, reason: str, actor: Participant | None) -> None:
        if room.ended:
            return
        room.ended = True
        self._disarm_empty_timer(room)
        async with self._locks[room.room_id]:
            for _, leg in room.legs():
                await self._detach(room, leg)
            for leg in list(room.recorders):
                await self._detach(room, leg)
        self._rooms.pop(room.room_id, None)
        self._locks.pop(room.room_id, None)
        if self._by_conversation.get(room.conversation_id) == room.room_id:
            del self._by_conversation[room.conversation_id]
        ended = await self._seal(room, reason)
        await self._evidence.append(
            EvidenceEntry(
                conversation_id=room.conversation_id,
                kind=RecordKind.VIDEO_ENDED,
                actor_role=actor.role if actor is not None else "system",
                actor_id=actor.user_id if actor is not None else "gateway",
                at=self._clock.now(),
                data={
                    "room_id": room.room_id,
                    "reason": reason,
                    "recordings": [dict(r) for r in ended.recordings],
                    "recording": dict(ended.recording),
                    "manifest": f"{room.room_id}/{MANIFEST_NAME}",
                },
            )
        )
        log.info("video room ended", extra={
            "room_id": room.room_id, "conversation_id": room.conversation_id, "reason": reason,
            "duration_s": round((self._clock.now() - room.started_at).total_seconds(), 3),
            "recording_bytes": ended.recording["bytes"]})
        await self._on_room_ended(ended)

    async def _seal(self, room: VideoRoom, reason: str) -> RoomEnded:
        """Write the manifest and build the summary of every segment."""
        recordings = tuple(
            {
                "participant": {"role": s.participant.role, "user_id": s.participant.user_id},
                "path": s.summary.path.relative_to(self._recordings_dir).as_posix(),
                "sha256": s.summary.sha256,
                "bytes": s.summary.bytes,
                "duration_s": s.summary.duration_s,
            }
            for s in room.segments
        )
        manifest = "".join(
            f"{s.summary.sha256}  {s.summary.path.name}\n"
            for s in sorted(room.segments, key=lambda s: s.summary.path.name)
        ).encode()
        private_dir(room.directory)
        await asyncio.to_thread(_write_private, room.directory / MANIFEST_NAME, manifest)
        per_participant: dict[Participant, float] = {}
        for s in room.segments:
            per_participant[s.participant] = (
                per_participant.get(s.participant, 0.0) + s.summary.duration_s
            )
        recording = {
            "sha256": hashlib.sha256(manifest).hexdigest(),
            "bytes": sum(s.summary.bytes for s in room.segments),
            "duration_s": round(max(per_participant.values(), default=0.0), 3),
        }
        return RoomEnded(
            room_id=room.room_id,
            conversation_id=room.conversation_id,
            recording=recording,
            recordings=recordings,
            participants=tuple(room.members),
            reason=reason,
        )

    def _arm_empty_timer(self, room: VideoRoom) -> None:
        self._disarm_empty_timer(room)

        async def expire() -> None:
            await asyncio.sleep(self._empty_room_timeout_s)
            self._timers.pop(room.room_id, None)
            if not room.legs():
                await self._end(room, reason="abandoned", actor=None)

        self._timers[room.room_id] = self._spawn(expire())

    def _disarm_empty_timer(self, room: VideoRoom) -> None:
        timer = self._timers.pop(room.room_id, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    def _watch(self, coro: Coroutine[Any, Any, None]) -> None:
        self._spawn(coro)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> "asyncio.Task[None]":
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task


def _write_private(path: Path, content: bytes) -> None:
    with open_private(path) as handle:
        handle.write(content)


def _check_role(participant: Participant) -> None:
    if participant.role not in ROLES:
        raise NotAParticipant(f"role {participant.role!r} may not take part in a video call")
