"""Claims, the four-eyes rule, series and figures as pure rules."""

from datetime import UTC, datetime, timedelta

import pytest

from rtc_gateway.domain.cases import CaseStatus
from rtc_gateway.domain.errors import Conflict
from rtc_gateway.domain.thesee.figures import desk_figures, iso_week
from rtc_gateway.domain.thesee.review import (
    PendingValidation,
    check_second_reviewer,
    needs_second_reviewer,
    take_claim,
)
from rtc_gateway.domain.thesee.series import all_series, size_histogram
from rtc_gateway.domain.thesee.summary import CaseSummary

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)


def test_claims_are_exclusive_until_they_expire() -> None:
    held = take_claim(None, "c1", "r1", T0)
    assert take_claim(held, "c1", "r1", T0 + timedelta(minutes=10)).expires_at > held.expires_at
    with pytest.raises(Conflict):
        take_claim(held, "c1", "r2", T0 + timedelta(minutes=29))
    assert take_claim(held, "c1", "r2", T0 + timedelta(minutes=30)).reviewer_id == "r2"


def test_four_eyes() -> None:
    assert needs_second_reviewer(5000.01, 5000)
    assert not needs_second_reviewer(5000, 5000)
    assert not needs_second_reviewer(1e9, None)
    with pytest.raises(Conflict):
        check_second_reviewer(PendingValidation("c1", "r1", T0), "r1")
    check_second_reviewer(PendingValidation("c1", "r1", T0), "r2")


def test_series_are_connected_components() -> None:
    pairs = [("iban:A", "c1"), ("iban:A", "c2"), ("phone:P", "c2"), ("phone:P", "c3"),
             ("email:E", "c4"), ("email:E", "c5")]
    series = all_series(pairs, ["c1", "c2", "c3", "c4", "c5", "c6"])
    assert series == [["c1", "c2", "c3"], ["c4", "c5"], ["c6"]]
    assert size_histogram(series) == {"1": 1, "2": 1, "3-5": 1, "6-10": 0, "11+": 0}


def summary(case_id: str, scam: str, created: datetime, status: CaseStatus,
            decided: datetime | None = None) -> CaseSummary:
    return CaseSummary(case_id, scam, "report", status, 10.0, created, created, decided,
                       frozenset())


def test_figures() -> None:
    rows = [summary("a", "blackmail", T0, CaseStatus.REGISTERED, T0 + timedelta(hours=2)),
            summary("b", "blackmail", T0 + timedelta(days=7), CaseStatus.REJECTED,
                    T0 + timedelta(days=7, hours=4)),
            summary("c", "ransomware", T0 + timedelta(days=8), CaseStatus.RECEIVED)]
    figures = desk_figures(rows, [["a"], ["b", "c"]], T0 + timedelta(days=9))
    assert figures["per_type"] == {"blackmail": 2, "ransomware": 1}
    assert figures["per_week"] == {iso_week(T0): 1, iso_week(T0 + timedelta(days=7)): 2}
    assert figures["median_time_to_decision_s"] == 3 * 3600
    assert figures["backlog"] == {"count": 1, "oldest_age_s": 86400.0,
                                  "median_age_s": 86400.0}
    assert figures["series_by_size"]["2"] == 1
