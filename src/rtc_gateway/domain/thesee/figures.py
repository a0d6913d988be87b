"""The desk's figures for supervisors: cases per type and per ISO week, median time to
decision, age of the backlog, series by size."""

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from rtc_gateway.domain.thesee.series import size_histogram
from rtc_gateway.domain.thesee.summary import OPEN_STATUSES, CaseSummary


def iso_week(at: datetime) -> str:
    year, week, _ = at.isocalendar()
    return f"{year:04d}-W{week:02d}"


def desk_figures(summaries: Sequence[CaseSummary], series: Iterable[list[str]],
                 now: datetime) -> dict[str, Any]:
    per_type = Counter(s.scam_type for s in summaries)
    per_week = Counter(iso_week(s.created_at) for s in summaries)
    waits = [(s.decided_at - s.created_at).total_seconds()
             for s in summaries if s.decided_at is not None]
    backlog = [(now - s.created_at).total_seconds() for s in summaries
               if s.status in OPEN_STATUSES]
    return {
        "cases": len(summaries),
        "per_type": dict(sorted(per_type.items())),
        "per_week": dict(sorted(per_week.items())),
        "median_time_to_decision_s": statistics.median(waits) if waits else None,
        "backlog": {"count": len(backlog),
                    "oldest_age_s": max(backlog) if backlog else None,
                    "median_age_s": statistics.median(backlog) if backlog else None},
        "series_by_size": size_histogram(s for s in series if s),
    }
