"""A station's weekly opening hours, and whether it is open at a given moment.

Hours are told per day as ranges ``HH:MM-HH:MM`` (several a day, ``24:00`` allowed as an
end), ``24h/24`` for a station that never closes, or nothing / ``fermé`` for a closed day.
They are local times of Europe/Paris (the sample and the national files cover
metropolitan France; overseas stations would need their own zone).
"""

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
ALWAYS = frozenset({"24h/24", "24h24", "24/24", "h24", "24h/24 7j/7"})
CLOSED = frozenset({"", "ferme", "fermé", "closed", "-"})
_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")
MAX_RANGES_PER_DAY = 4

Minutes = tuple[int, int]
"""A range as minutes since midnight, start inclusive, end exclusive."""


class HoursError(ValueError):
    """The hours of a day cannot be read."""


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    days: tuple[tuple[Minutes, ...], ...]
    """Seven entries, Monday first."""

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(PARIS)
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.days[local.weekday()])

    def wire(self) -> dict[str, list[str]]:
        return {day: [f"{_hhmm(start)}-{_hhmm(end)}" for start, end in ranges]
                for day, ranges in zip(DAYS, self.days, strict=True)}

    @property
    def always_open(self) -> bool:
        return all(ranges == ((0, 1440),) for ranges in self.days)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_day(text: str) -> tuple[Minutes, ...]:
    """One day's ranges: ``08:00-12:00,14:00-18:00`` (commas, spaces or ``/`` between)."""
    cleaned = text.strip().lower()
    if cleaned in CLOSED:
        return ()
    if cleaned in ALWAYS:
        return ((0, 1440),)
    parts = [p for p in re.split(r"[,;/ ]+", cleaned.replace("h", ":")) if p]
    if len(parts) > MAX_RANGES_PER_DAY:
        raise HoursError(f"more than {MAX_RANGES_PER_DAY} ranges in {text[:60]!r}")
    ranges: list[Minutes] = []
    for part in parts:
        match = _RANGE.match(part)
        if match is None:
            raise HoursError(f"not a range HH:MM-HH:MM: {part[:30]!r}")
        start = int(match[1]) * 60 + int(match[2])
        end = int(match[3]) * 60 + int(match[4])
        if end > 1440 or end <= start:
            raise HoursError(f"a range must end after it starts: {part!r}")
        if ranges and start < ranges[-1][1]:
            raise HoursError(f"ranges overlap or are out of order: {text[:60]!r}")
        ranges.append((start, end))
    return tuple(ranges)


def parse_week(days: tuple[str, ...]) -> WeeklyHours:
    """Seven days of text, Monday first."""
    if len(days) != len(DAYS):
        raise HoursError("hours need seven days")
    return WeeklyHours(tuple(parse_day(day) for day in days))

