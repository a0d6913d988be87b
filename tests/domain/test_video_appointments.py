"""Slots from weekly openings and exceptions, in Paris time across a DST change."""

from datetime import UTC, date, datetime, timedelta

import pytest

from rtc_gateway.domain import video_appointments as rules
from rtc_gateway.domain.errors import BadRequest, Conflict
from rtc_gateway.domain.video_appointments import DayException, Opening, UnitSchedule, WeeklyOpening

SCHEDULE = UnitSchedule("police-lyon", (
    WeeklyOpening(weekday=0, start="09:00", end="10:00", officer_id="p-1"),
    WeeklyOpening(weekday=6, start="09:00", end="09:30")), (
    DayException(date(2026, 12, 14)),
    DayException(date(2026, 12, 15), (Opening(start="14:00", end="14:30"),))))


def test_weekly_openings_give_slots_in_paris_time() -> None:
    found = rules.slots_between(SCHEDULE, datetime(2026, 12, 7, tzinfo=UTC),
                                datetime(2026, 12, 16, tzinfo=UTC))
    assert [(s.start.isoformat(), s.officer_id) for s in found] == [
        ("2026-12-07T08:00:00+00:00", "p-1"), ("2026-12-07T08:30:00+00:00", "p-1"),
        ("2026-12-13T08:00:00+00:00", None), ("2026-12-15T13:00:00+00:00", None)]
    summer = rules.slots_between(SCHEDULE, datetime(2027, 3, 29, tzinfo=UTC),
                                 datetime(2027, 3, 30, tzinfo=UTC))
    assert summer[0].start.hour == 7, "09:00 in Paris is 07:00 UTC in summer"


def test_slot_ids_round_trip_and_bad_ones_are_refused() -> None:
    slot = rules.slots_between(SCHEDULE, datetime(2026, 12, 7, tzinfo=UTC),
                               datetime(2026, 12, 8, tzinfo=UTC))[0]
    assert slot.id == "police-lyon:20261207T0800Z:p-1"
    assert rules.parse_slot_id(slot.id) == ("police-lyon", slot.start, "p-1")
    now = slot.start - timedelta(days=1)
    assert rules.find_slot(SCHEDULE, slot.id, now) == slot
    for bad in ("", "police-lyon", "police-lyon:20261399T0800Z", "x" * 500):
        with pytest.raises(BadRequest):
            rules.parse_slot_id(bad)
    with pytest.raises(BadRequest):
        rules.find_slot(SCHEDULE, "police-lyon:20261207T0815Z:p-1", now)
    with pytest.raises(Conflict):
        rules.find_slot(SCHEDULE, slot.id, slot.start - timedelta(minutes=30))


def test_a_cancelled_appointment_no_longer_moves_nor_opens() -> None:
    slot = rules.slots_between(SCHEDULE, datetime(2026, 12, 7, tzinfo=UTC),
                               datetime(2026, 12, 8, tzinfo=UTC))[0]
    booked = rules.book("a", slot, "c", slot.start - timedelta(days=2), case_id=None,
                        email=None, phone=None, identity={})
    assert rules.reminder_due(booked, slot.start - timedelta(hours=2))
    assert not rules.reminder_due(booked, slot.start - timedelta(days=2))
    with pytest.raises(Conflict):
        rules.may_open_room(booked, slot.start - timedelta(hours=1))
    rules.may_open_room(booked, slot.start - timedelta(minutes=5))
    cancelled = rules.cancel(booked, slot.start - timedelta(days=1))
    assert cancelled.sequence == 1
    for change in (lambda: rules.cancel(cancelled, slot.start),
                   lambda: rules.move(cancelled, slot, slot.start),
                   lambda: rules.may_open_room(cancelled, slot.start)):
        with pytest.raises(Conflict):
            change()
