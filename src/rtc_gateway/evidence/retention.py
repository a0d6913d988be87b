"""Retention: erase the text of old records, keep their commitments (the log still verifies)."""

from datetime import datetime, timedelta

from rtc_gateway.ports.evidence_archive import EvidenceArchive


async def erase_expired(log: EvidenceArchive, now: datetime, retention: timedelta) -> int:
    """Erase text and salt of records older than ``retention``; return how many."""
    if retention < timedelta(0):
        raise ValueError("a retention period cannot be negative")
    return await log.erase_text_before(now - retention)
