"""How long THESEE cases are kept: six years after their last change, then purged
(the case and its index rows deleted; the evidence log keeps a purge record)."""

from datetime import datetime, timedelta

RETENTION = timedelta(days=6 * 365 + 2)
"""Six years (with the two leap days they hold at most)."""


def purge_before(now: datetime, retention: timedelta = RETENTION) -> datetime:
    """Cases whose last change is before this instant are due for purging."""
    return now - retention
