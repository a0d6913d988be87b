"""Wire format for instants: RFC 3339, UTC, millisecond precision, trailing ``Z``."""

from datetime import UTC, datetime

_second: tuple[int, int, int, int, int, int, str] = (0, 0, 0, 0, 0, -1, "")
"""The last second formatted, and its text: every message spells its instant, and
``isoformat`` costs twice what comparing six fields does."""


def format_utc(instant: datetime) -> str:
    """``2026-11-30T00:37:22.123Z`` for any aware datetime."""
    global _second
    if instant.tzinfo is not UTC:
        instant = instant.astimezone(UTC)
    year, month, day, hour, minute, second, text = _second
    if (instant.second != second or instant.minute != minute or instant.hour != hour
            or instant.day != day or instant.month != month or instant.year != year):
        text = instant.replace(microsecond=0).isoformat()[:-6]
        _second = (instant.year, instant.month, instant.day, instant.hour, instant.minute,
                   instant.second, text)
    return text + MILLISECONDS[instant.microsecond // 1000]


MILLISECONDS = tuple(f".{millisecond:03d}Z" for millisecond in range(1000))
"""``.000Z`` to ``.999Z``: an instant's tail looked up, not formatted (a format
specification costs ten times the look-up, on every message)."""


def parse_utc(text: str) -> datetime:
    """Inverse of :func:`format_utc`; accepts any RFC 3339 instant."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
