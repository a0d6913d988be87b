"""Wire format for instants: RFC 3339, UTC, millisecond precision, trailing ``Z``."""

from datetime import UTC, datetime


def format_utc(instant: datetime) -> str:
    """``2026-11-30T00:37:22.123Z`` for any aware datetime."""
    if instant.tzinfo is not UTC:
        instant = instant.astimezone(UTC)
    return instant.isoformat(timespec="milliseconds")[:-6] + "Z"


def parse_utc(text: str) -> datetime:
    """Inverse of :func:`format_utc`; accepts any RFC 3339 instant."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
