"""Opening hours: parsing a day, and "open now" in Europe/Paris across the DST change."""

from datetime import UTC, datetime

import pytest

from rtc_gateway.domain.opening_hours import HoursError, parse_day, parse_week

OFFICE = ("08:00-12:00,14:00-18:00",) * 5 + ("09:00-12:00", "")


def test_a_day_reads_ranges_always_and_closed() -> None:
    assert parse_day("08:00-12:00, 14:00-18:30") == ((480, 720), (840, 1110))
    assert parse_day("08h30-12h00") == ((510, 720),)
    assert parse_day("24h/24") == ((0, 1440),)
    assert parse_day("20:00-24:00") == ((1200, 1440),)
    assert parse_day("") == () and parse_day("Fermé") == ()


@pytest.mark.parametrize("text", ["8-12", "12:00-08:00", "08:00-12:00,11:00-13:00",
                                  "25:00-26:00", "08:00-12:60", "midi",
                                  "1:00-2:00,3:00-4:00,5:00-6:00,7:00-8:00,9:00-10:00"])
def test_a_bad_day_is_refused(text: str) -> None:
    with pytest.raises(HoursError):
        parse_day(text)


def test_open_now_is_paris_time_winter_and_summer() -> None:
    week = parse_week(OFFICE)
    # Wednesday 2 December 2026: Paris is UTC+1. 07:30 UTC = 08:30 local.
    assert week.is_open(datetime(2026, 12, 2, 7, 30, tzinfo=UTC))
    assert not week.is_open(datetime(2026, 12, 2, 11, 30, tzinfo=UTC))  # 12:30 lunch
    assert not week.is_open(datetime(2026, 12, 2, 6, 59, tzinfo=UTC))   # 07:59
    # Wednesday 1 July 2026: UTC+2. 06:30 UTC = 08:30 local; 16:30 UTC = 18:30 closed.
    assert week.is_open(datetime(2026, 7, 1, 6, 30, tzinfo=UTC))
    assert not week.is_open(datetime(2026, 7, 1, 16, 30, tzinfo=UTC))
    # Sunday closed; Saturday morning only.
    assert not week.is_open(datetime(2026, 12, 6, 10, 0, tzinfo=UTC))
    assert week.is_open(datetime(2026, 12, 5, 9, 0, tzinfo=UTC))


def test_the_day_is_the_paris_day_not_the_utc_one() -> None:
    """Sunday 23:30 UTC in winter is Monday 00:30 in Paris."""
    night = parse_week(("00:00-01:00",) + ("",) * 6)
    assert night.is_open(datetime(2026, 12, 6, 23, 30, tzinfo=UTC))
    assert not night.is_open(datetime(2026, 12, 7, 23, 30, tzinfo=UTC))


def test_wire_and_always_open() -> None:
    week = parse_week(OFFICE)
    assert week.wire()["monday"] == ["08:00-12:00", "14:00-18:00"]
    assert week.wire()["sunday"] == [] and not week.always_open
    assert parse_week(("24h/24",) * 7).always_open
    with pytest.raises(HoursError):
        parse_week(OFFICE[:6])
