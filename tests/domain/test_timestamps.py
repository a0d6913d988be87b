"""Instants on the wire: the cached second never leaks into another second."""

import random
from datetime import UTC, datetime, timedelta, timezone

from rtc_gateway.domain.timestamps import format_utc, parse_utc


def reference(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def test_instants_in_any_order_and_offset_are_spelled_like_isoformat() -> None:
    draw = random.Random(4)
    start = datetime(2026, 12, 31, 23, 59, 58, tzinfo=UTC)
    for _ in range(20000):
        instant = start + timedelta(microseconds=draw.randrange(-10**7, 10**7))
        if draw.random() < 0.2:
            instant = instant.astimezone(timezone(timedelta(hours=draw.randrange(-12, 13))))
        assert format_utc(instant) == reference(instant)


def test_the_same_second_a_year_apart_is_not_confused() -> None:
    first = datetime(2026, 11, 30, 8, 0, 0, 123000, tzinfo=UTC)
    assert format_utc(first) == "2026-11-30T08:00:00.123Z"
    assert format_utc(first.replace(year=2027)) == "2027-11-30T08:00:00.123Z"
    assert parse_utc(format_utc(first)) == first
