"""Socket.IO events of appointments' video calls.

Agent: ``appointment:start {appointment_id}`` → ``{ok, room_id, ice_servers}``, and the
citizen gets ``video:invite {appointment_id, conversation_id, room_id, ice_servers}``
(``conversation_id`` is the appointment's id: the room is keyed by it).
Citizen: ``appointment:join {appointment_id, key}`` → ``{ok, room_id, ice_servers}``
(``room_id`` null until the officer has opened the room). Then ``video:join``,
``rtc:offer``, ``rtc:candidate`` and ``video:leave`` as for a conversation's call.
"""

from typing import Annotated

import msgspec

from rtc_gateway.domain.errors import Forbidden
from rtc_gateway.gateway.acks import Ack, ok
from rtc_gateway.gateway.connections import Connection
from rtc_gateway.gateway.dispatcher import EventDispatcher
from rtc_gateway.gateway.notifier import SocketNotifier
from rtc_gateway.services.appointments.rooms import AppointmentRooms
from rtc_gateway.services.video_rooms import Participant, VideoRoomService

AppointmentId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class StartIn(msgspec.Struct, forbid_unknown_fields=True):
    appointment_id: AppointmentId


class JoinIn(msgspec.Struct, forbid_unknown_fields=True):
    appointment_id: AppointmentId
    key: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class AppointmentEvents:
    def __init__(self, rooms: AppointmentRooms, video: VideoRoomService,
                 notifier: SocketNotifier) -> None:
        self._rooms = rooms
        self._video = video
        self._notifier = notifier

    def register_agent(self, dispatcher: EventDispatcher) -> None:
        dispatcher.route("appointment:start", StartIn, self.start, cost=5.0, own_task=True)

    def register_citizen(self, dispatcher: EventDispatcher) -> None:
        dispatcher.route("appointment:join", JoinIn, self.join, cost=2.0, own_task=True)

    async def start(self, connection: Connection, payload: StartIn) -> Ack:
        if connection.profile is None:
            raise Forbidden("only the unit's officers open an appointment's room")
        opened = await self._rooms.start(connection.profile, payload.appointment_id)
        appointment = opened.appointment
        citizen = Participant("citizen", appointment.citizen_id)
        await self._notifier.video_invite(appointment.citizen_id, {
            "appointment_id": appointment.id, "conversation_id": appointment.id,
            "room_id": opened.room.room_id,
            "ice_servers": self._video.ice_servers_for(citizen)})
        return ok(room_id=opened.room.room_id, ice_servers=opened.room.ice_servers)

    async def join(self, connection: Connection, payload: JoinIn) -> Ack:
        _, room = await self._rooms.citizen_join(connection.actor, payload.appointment_id,
                                                 payload.key)
        if room is None:
            return ok(room_id=None, ice_servers=[])
        citizen = Participant("citizen", connection.actor.id)
        return ok(room_id=room.room_id, ice_servers=self._video.ice_servers_for(citizen))
