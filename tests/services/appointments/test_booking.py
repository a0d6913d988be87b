"""The appointments service over the memory adapters and a manual clock: limits per
citizen, residence routing, reminders once, notices kept when no relay is set."""

from datetime import UTC, datetime, timedelta

import pytest

from rtc_gateway.adapters.mail.outbox import MemoryMailer, MemorySms
from rtc_gateway.adapters.memory.appointment_store import MemoryAppointmentStore
from rtc_gateway.adapters.memory.case_store import MemoryCaseStore
from rtc_gateway.adapters.memory.evidence_log import MemoryEvidenceLog
from rtc_gateway.domain.case_access import CitizenCaller
from rtc_gateway.domain.conversation import Location
from rtc_gateway.domain.errors import BadRequest, Conflict, Forbidden
from rtc_gateway.domain.identity import CitizenIdentity
from rtc_gateway.domain.video_appointments import UnitSchedule, WeeklyOpening
from rtc_gateway.services.appointments.booking import Appointments
from rtc_gateway.services.appointments.links import JoinLinks
from rtc_gateway.services.appointments.notices import Notices
from tests.evidence.support import ManualClock
from tests.support.units import sample_units

IDENTITY = CitizenIdentity("https://idp.example", "sub-1", "eidas1", {
    "given_name": "Camille", "family_name": "Martin", "birthdate": "1990-04-02",
    "email": "camille@example.org", "gender": "female"})
ALICE = CitizenCaller("alice", verified=True)
SCHEDULE = UnitSchedule("police-lyon", tuple(
    WeeklyOpening(weekday=d, start="09:00", end="12:00") for d in range(7)))


class World:
    def __init__(self) -> None:
        self.clock = ManualClock(datetime(2026, 12, 1, 7, 0, tzinfo=UTC))
        self.store = MemoryAppointmentStore()
        self.mailer, self.sms = MemoryMailer(), MemorySms()
        self.evidence = MemoryEvidenceLog()
        links = JoinLinks(b"k" * 32, "https://rdv.example")
        self.service = Appointments(
            self.store, MemoryCaseStore(), self.evidence, self.clock,
            Notices(self.mailer, self.sms, links, self.evidence, self.clock, "rdv@example"),
            sample_units())


@pytest.fixture
async def world() -> World:
    made = World()
    await made.store.put_schedule(SCHEDULE)
    return made


async def test_a_citizen_holds_three_live_bookings_at_most(world: World) -> None:
    slots = await world.service.free_slots(["police-lyon"])
    for slot in slots[:3]:
        await world.service.book(ALICE, IDENTITY, slot.id)
    with pytest.raises(Conflict):
        await world.service.book(ALICE, IDENTITY, slots[3].id)
    with pytest.raises(Forbidden):
        await world.service.book(CitizenCaller("bob", verified=False), None, slots[4].id)
    await world.service.notices.drain()
    assert len(world.mailer.sent) == 3 and list(world.sms.sent) == []
    booked = (await world.service.of_citizen(ALICE))[0]
    assert booked.identity == {"given_name": "Camille", "family_name": "Martin",
                               "birthdate": "1990-04-02"}, "only what the statement needs"


async def test_the_residence_must_be_the_units_force(world: World) -> None:
    slot = (await world.service.free_slots(["police-lyon"]))[0]
    with pytest.raises(BadRequest):
        await world.service.book(ALICE, IDENTITY, slot.id, residence=Location(44.32, 3.59))
    await world.service.book(ALICE, IDENTITY, slot.id, residence=Location(45.76, 4.84))


async def test_a_reminder_goes_once_and_again_after_a_move(world: World) -> None:
    slots = [s for s in await world.service.free_slots(["police-lyon"])
             if s.start > world.clock.now() + timedelta(hours=25)]
    booked = await world.service.book(ALICE, IDENTITY, slots[0].id, phone="+33600000001")
    assert await world.service.send_due_reminders() == 0, "more than 24 h ahead"
    world.clock.advance(slots[0].start - world.clock.now() - timedelta(hours=2))
    assert await world.service.send_due_reminders() == 1
    assert await world.service.send_due_reminders() == 0
    await world.service.move(ALICE, booked.id, slots[1].id)
    assert await world.service.send_due_reminders() == 1
    await world.service.cancel(ALICE, booked.id)
    assert await world.service.send_due_reminders() == 0
    await world.service.notices.drain()
    assert [text.split(" ")[0] for _, text in world.sms.sent] == [
        "Rendez-vous", "Rappel", "Rendez-vous", "Rappel", "Rendez-vous"]
