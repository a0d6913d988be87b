"""Retention: erase the text of old records, keep their commitments (the log still verifies)."""

from datetime import datetime, timedelta

from rtc_gateway.adapters.sqlite.evidence_log import SqliteEvidenceLog


async def erase_expired(log: SqliteEvidenceLog, now: datetime, retention: timedelta) -> int:
    """Erase text and salt of records older than ``retention``; return how many."""
    if retention < timedelta(0):
        raise ValueError("a retention period cannot be negative")
    return await log.erase_text_before(now - retention)
