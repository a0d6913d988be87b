"""Visioplainte events on both namespaces: start, join, offer, candidate, leave, ended.

Authorization is the conversation's: whoever may act on the conversation (its citizen,
its agent, a supervisor) may take part in its video room; only staff may start one.
"""

import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.errors import Forbidden, NotFound, Unavailable
from rtc_gateway.domain.roles import Actor, Role
from rtc_gateway.gateway import schemas
from rtc_gateway.gateway.acks import Ack, ok
from rtc_gateway.gateway.candidate_filter import allowed, loopback_candidates_only
from rtc_gateway.gateway.connections import Connection
from rtc_gateway.gateway.dispatcher import EventDispatcher
from rtc_gateway.gateway.notifier import SocketNotifier
from rtc_gateway.rtc.errors import NotAParticipant, RoomNotFound
from rtc_gateway.services.conversations import ConversationService
from rtc_gateway.services.video_rooms import Participant, RoomEnded, VideoRoomService

log = logging.getLogger(__name__)

VIDEO_ROLES = {Role.CITIZEN: "citizen", Role.AGENT: "agent", Role.SUPERVISOR: "supervisor"}
CALL_STARTED = ("Appel vidéo proposé par l'agent. L'appel est enregistré (image et son) "
                "et conservé comme preuve.")
"""System lines in the conversation: both sides, and the evidence log, keep a trace of
every call. The interface speaks French, so do these lines."""


def call_ended_text(recording: Mapping[str, Any]) -> str:
    duration = recording.get("duration_s")
    if isinstance(duration, (int, float)) and duration > 0:
        return (f"Appel vidéo terminé ({spoken_duration(duration)}). "
                "L'enregistrement est conservé comme preuve.")
    return "Appel vidéo terminé. Rien n'a été enregistré."


def spoken_duration(seconds: float) -> str:
    total = max(1, round(seconds))
    minutes, rest = divmod(total, 60)
    if minutes == 0:
        return f"{rest} s"
    return f"{minutes} min {rest:02d} s" if rest else f"{minutes} min"


def participant_of(actor: Actor) -> Participant:
    role = VIDEO_ROLES.get(actor.role)
    if role is None:
        raise Forbidden("this role does not take part in video calls")
    return Participant(role, actor.id)


class VideoEvents:
    def __init__(self, video: VideoRoomService, conversations: ConversationService,
                 notifier: SocketNotifier, *, loopback_only: bool = False) -> None:
        self._video = video
        self._loopback_only = loopback_only
        self._conversations = conversations
        self._notifier = notifier
        self._media_sid: dict[Participant, str] = {}
        self.other_rooms: Callable[[Actor, str], bool] | None = None
        """Who may take part in a room that is not a conversation's (an appointment's):
        asked with the actor and the room's key."""
        self._audience: dict[str, tuple[str, str | None]] = {}
        """Room id -> (citizen id, id of the staff member who started it, unless that
        one was taken out of the room since)."""

    def register(self, dispatcher: EventDispatcher, *, may_start: bool) -> None:
        if may_start:
            dispatcher.route("video:start", schemas.ConversationRef, self.start, cost=5.0,
                             own_task=True)
        dispatcher.route("video:join", schemas.RoomRef, self.join, cost=2.0, own_task=True)
        dispatcher.route("rtc:offer", schemas.RtcOffer, self.offer, cost=5.0, own_task=True)
        dispatcher.route("rtc:candidate", schemas.RtcCandidate, self.candidate, cost=0.2,
                         own_task=True)
        dispatcher.route("video:leave", schemas.RoomRef, self.leave, own_task=True)

    async def start(self, connection: Connection, payload: schemas.ConversationRef) -> Ack:
        if connection.actor.role not in (Role.AGENT, Role.SUPERVISOR):
            raise Forbidden("only the conversation's officer starts a video call")
        conversation = self._conversations.get_for(connection.actor, payload.conversation_id)
        if not conversation.is_open:
            raise NotFound("conversation is closed")
        already = self._video.room_for_conversation(conversation.id)
        room = await self._video.start(conversation.id, participant_of(connection.actor))
        self._audience[room.room_id] = (conversation.citizen_id, connection.actor.id)
        if already is None:
            await self._say(conversation.id, CALL_STARTED)
        citizen = Participant("citizen", conversation.citizen_id)
        await self._notifier.video_invite(conversation.citizen_id, {
            "conversation_id": conversation.id,
            "room_id": room.room_id,
            "ice_servers": self._video.ice_servers_for(citizen),
        })
        return ok(room_id=room.room_id, ice_servers=room.ice_servers)

    async def join(self, connection: Connection, payload: schemas.RoomRef) -> Ack:
        participant = self._authorize(connection, payload.room_id)
        ice_servers = await self._video.join(payload.room_id, participant)
        return ok(ice_servers=ice_servers)

    async def offer(self, connection: Connection, payload: schemas.RtcOffer) -> Ack:
        participant = self._authorize(connection, payload.room_id)
        offered = loopback_candidates_only(payload.sdp) if self._loopback_only else payload.sdp
        sdp, type_ = await self._video.offer(payload.room_id, participant, offered,
                                             payload.type)
        self._media_sid[participant] = connection.sid
        return ok(sdp=sdp, type=type_)

    async def candidate(self, connection: Connection, payload: schemas.RtcCandidate) -> Ack:
        participant = self._authorize(connection, payload.room_id)
        if payload.candidate is None or not payload.candidate.candidate:
            return ok()
        if self._loopback_only and not allowed(payload.candidate.candidate):
            return ok()
        candidate: dict[str, Any] = {
            "candidate": payload.candidate.candidate,
            "sdpMid": payload.candidate.sdpMid,
            "sdpMLineIndex": payload.candidate.sdpMLineIndex,
        }
        await self._video.candidate(payload.room_id, participant, candidate)
        return ok()

    async def leave(self, connection: Connection, payload: schemas.RoomRef) -> Ack:
        """Always allowed: whoever is in the room leaves it; for anyone else (the room
        ended, or they were taken out of it) it is already done."""
        role = VIDEO_ROLES.get(connection.actor.role)
        room = self._video.room(payload.room_id)
        if role is None or room is None:
            return ok()
        participant = Participant(role, connection.actor.id)
        if not room.is_member(participant):
            return ok()
        with contextlib.suppress(RoomNotFound, NotAParticipant):
            await self._video.leave(payload.room_id, participant)
        self._media_sid.pop(participant, None)
        return ok()

    async def officer_released(self, conversation: Conversation, agent_id: str,
                               reason: str) -> None:
        """The officer no longer holds the conversation: out of its video room at once
        (told with ``video:left``; the room's ``video:ended`` is no longer its business)."""
        room = self._video.room_for_conversation(conversation.id)
        audience = self._audience.get(room.room_id) if room is not None else None
        if room is not None and audience is not None and audience[1] == agent_id:
            self._audience[room.room_id] = (audience[0], None)
        room_id = await self._video.remove(conversation.id, Participant("agent", agent_id),
                                           reason)
        if room_id is None:
            return
        await self._notifier.video_left(agent_id, {
            "conversation_id": conversation.id, "room_id": room_id, "reason": reason})

    async def disconnected(self, connection: Connection) -> None:
        """Only the connection that carried a participant's media takes it down."""
        role = VIDEO_ROLES.get(connection.actor.role)
        if role is None:
            return
        participant = Participant(role, connection.actor.id)
        if self._media_sid.get(participant) == connection.sid:
            del self._media_sid[participant]
            await self._video.disconnect(participant)

    async def conversation_closed(self, conversation: Conversation) -> None:
        await self._video.end_conversation(conversation.id)

    async def room_ended(self, ended: RoomEnded) -> None:
        citizens = {p.user_id for p in ended.participants if p.role == "citizen"}
        staff = {p.user_id for p in ended.participants if p.role != "citizen"}
        audience = self._audience.pop(ended.room_id, None)
        if audience is not None:
            citizens.add(audience[0])
            if audience[1] is not None:
                staff.add(audience[1])
        conversation = self._conversations.find(ended.conversation_id)
        if conversation is not None and conversation.agent_id is not None:
            staff.add(conversation.agent_id)
        for participant in list(self._media_sid):
            if participant in ended.participants:
                self._media_sid.pop(participant, None)
        await self._notifier.video_ended(citizens, staff, {
            "conversation_id": ended.conversation_id,
            "room_id": ended.room_id,
            "recording": dict(ended.recording),
            "reason": ended.reason,
        })
        await self._say(ended.conversation_id, call_ended_text(ended.recording))

    async def _say(self, conversation_id: str, text: str) -> None:
        """The call goes on (or has ended) even if its line could not be recorded."""
        try:
            await self._conversations.post_system(conversation_id, text)
        except Unavailable:
            log.warning("call line not recorded", extra={"conversation_id": conversation_id})

    def _authorize(self, connection: Connection, room_id: str) -> Participant:
        room = self._video.room(room_id)
        if room is None:
            raise NotFound("no such video room")
        if self.other_rooms is not None and self._conversations.find(
                room.conversation_id) is None:
            if not self.other_rooms(connection.actor, room.conversation_id):
                raise Forbidden("not your video room")
            return participant_of(connection.actor)
        self._conversations.get_for(connection.actor, room.conversation_id)
        return participant_of(connection.actor)
