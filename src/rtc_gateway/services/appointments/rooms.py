"""The video room of an appointment: the Visioplainte rooms of conversations, keyed by
the appointment's id instead (so its recording's ``video.ended`` record is in the
appointment's evidence stream).

The officer opens it at the appointment's time: the slot's officer, or any officer or
supervisor of the unit when the slot names none (the first to open it becomes the
appointment's officer). The citizen joins with the join link's key; only they and the
officer who opened it may take part.
"""

from dataclasses import dataclass

import msgspec

from rtc_gateway.domain import video_appointments as rules
from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.case_access import CitizenCaller
from rtc_gateway.domain.errors import Forbidden
from rtc_gateway.domain.roles import Actor, Role
from rtc_gateway.domain.video_appointments import Appointment
from rtc_gateway.ports.clock import Clock
from rtc_gateway.services.appointments.booking import Appointments
from rtc_gateway.services.appointments.links import JoinLinks
from rtc_gateway.services.identity.step_up import StepUp
from rtc_gateway.services.video_rooms import Participant, VideoRoom, VideoRoomService

ROOM_OPENED = "appointment.room_opened"


@dataclass(frozen=True, slots=True)
class OpenedRoom:
    appointment: Appointment
    room: VideoRoom


class AppointmentRooms:
    def __init__(self, appointments: Appointments, video: VideoRoomService, links: JoinLinks,
                 step_up: StepUp, clock: Clock) -> None:
        self._appointments = appointments
        self._video = video
        self._links = links
        self._step_up = step_up
        self._clock = clock
        self._audience: dict[str, set[Actor]] = {}
        """Appointment id -> who may take part in its room."""

    async def start(self, staff: AgentProfile, appointment_id: str) -> OpenedRoom:
        async with self._appointments.lock(appointment_id):
            return await self._start(staff, appointment_id)

    async def _start(self, staff: AgentProfile, appointment_id: str) -> OpenedRoom:
        appointment = await self._appointments.for_staff(staff, appointment_id)
        if staff.role not in (Role.AGENT, Role.SUPERVISOR):
            raise Forbidden("only the unit's officers open an appointment's room")
        if (staff.role is Role.AGENT and appointment.officer_id is not None
                and appointment.officer_id != staff.agent_id):
            raise Forbidden("this appointment is booked with another officer")
        rules.may_open_room(appointment, self._clock.now())
        room = await self._video.start(appointment.id,
                                       Participant(staff.role.value, staff.agent_id))
        self._forget_ended_rooms()
        self._audience.setdefault(appointment.id, set()).update(
            {Actor(staff.role, staff.agent_id), Actor(Role.CITIZEN, appointment.citizen_id)})
        if appointment.officer_id is None:
            changed = msgspec.structs.replace(appointment, officer_id=staff.agent_id,
                                              updated_at=self._clock.now())
            await self._appointments.staff_update(staff, appointment, changed, ROOM_OPENED,
                                                  {"room_id": room.room_id})
            appointment = changed
        return OpenedRoom(appointment, room)

    async def citizen_join(self, actor: Actor, appointment_id: str,
                           key: str) -> tuple[Appointment, VideoRoom | None]:
        """The appointment and its room (``None`` until the officer opens it) for the
        citizen holding the link's key; anyone else is refused."""
        appointment = await self.owned_by(actor, appointment_id)
        self._links.check(appointment, key)
        if actor.id != appointment.citizen_id:
            self._audience.setdefault(appointment.id, set()).add(actor)
        return appointment, self._video.room_for_conversation(appointment.id)

    async def owned_by(self, actor: Actor, appointment_id: str) -> Appointment:
        """The appointment of the citizen ``actor`` (or of an identity its verified
        session vouches for); 403 for anyone else."""
        if actor.role is not Role.CITIZEN:
            raise Forbidden("this is for the appointment's citizen")
        session = await self._step_up.session_of_citizen(actor.id)
        caller = CitizenCaller(actor.id, verified=session is not None,
                               also=(session.citizen_ids | {session.citizen_id}
                                     if session is not None else frozenset()))
        return await self._appointments.own(caller, appointment_id)

    def _forget_ended_rooms(self) -> None:
        for appointment_id in list(self._audience):
            if self._video.room_for_conversation(appointment_id) is None:
                del self._audience[appointment_id]

    def may_take_part(self, actor: Actor, room_key: str) -> bool:
        """For the video events: may ``actor`` join the room of appointment ``room_key``."""
        return actor in self._audience.get(room_key, set())
