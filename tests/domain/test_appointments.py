"""Appointments of pre-complaints: the unit's opening, the notices, the purge rule."""

from datetime import UTC, datetime, timedelta

import pytest

from rtc_gateway.domain.appointments import (
    PARIS,
    appointment_notice,
    check_appointment,
    in_french,
    purge_due,
    within_opening,
)
from rtc_gateway.domain.cases import Case, CaseKind, CaseStatus, Decision
from rtc_gateway.domain.errors import BadRequest
from rtc_gateway.domain.forces import Force

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # a Monday, 9:00 in Paris
THURSDAY_10 = datetime(2026, 12, 3, 10, 0, tzinfo=PARIS)


def case(kind: CaseKind = CaseKind.PRE_COMPLAINT, status: CaseStatus = CaseStatus.RECEIVED,
         appointment_at: datetime | None = THURSDAY_10) -> Case:
    return Case(id="c1", reference="PP-2026-000001", kind=kind, status=status,
                created_at=NOW, updated_at=NOW, citizen_id="x", citizen_verified=False,
                force=Force.POLICE, unit_id="police-lyon", facts={},
                appointment_at=appointment_at)


@pytest.mark.parametrize(("local", "open_"), [
    ((2026, 12, 3, 9, 0), True), ((2026, 12, 3, 11, 45), True), ((2026, 12, 3, 11, 50), False),
    ((2026, 12, 3, 12, 0), False), ((2026, 12, 3, 13, 45), False), ((2026, 12, 3, 17, 45), True),
    ((2026, 12, 3, 18, 0), False), ((2026, 12, 3, 8, 45), False), ((2026, 12, 5, 11, 45), True),
    ((2026, 12, 5, 14, 0), False), ((2026, 12, 6, 10, 0), False)])
def test_opening(local: tuple[int, ...], open_: bool) -> None:
    assert within_opening(datetime(*local, tzinfo=PARIS)) is open_


def test_check_appointment_refusals() -> None:
    assert check_appointment(THURSDAY_10, NOW) == THURSDAY_10
    for bad in (datetime(2026, 11, 30, 9, 30, tzinfo=PARIS),  # under an hour ahead
                datetime(2026, 11, 27, 10, 0, tzinfo=PARIS),  # past
                THURSDAY_10 + timedelta(days=91),
                datetime(2026, 12, 6, 10, 0, tzinfo=PARIS),  # Sunday
                datetime(2026, 12, 3, 10, 5, tzinfo=PARIS)):
        with pytest.raises(BadRequest):
            check_appointment(bad, NOW)


def test_french_wording() -> None:
    assert in_french(THURSDAY_10) == "jeudi 3 décembre 2026 à 10 h 00 (heure de Paris)"


def test_notices() -> None:
    confirmed = appointment_notice(case(), Decision.CONFIRM, None, None, NOW)
    assert confirmed is not None and confirmed.at == THURSDAY_10
    assert "confirmé le jeudi 3 décembre 2026 à 10 h 00" in confirmed.text
    moved_to = datetime(2026, 12, 4, 14, 30, tzinfo=PARIS)
    moved = appointment_notice(case(), Decision.RESCHEDULE, "absence", moved_to, NOW)
    assert moved is not None and moved.at == moved_to
    assert "déplacé au vendredi 4 décembre 2026 à 14 h 30" in moved.text and "absence" in moved.text
    dateless = appointment_notice(case(), Decision.RESCHEDULE, None, None, NOW)
    assert dateless is not None and dateless.at is None and "autre date" in dateless.text
    assert appointment_notice(case(), Decision.CLOSE, None, None, NOW) is None
    with pytest.raises(BadRequest):
        appointment_notice(case(), Decision.CLOSE, None, moved_to, NOW)
    with pytest.raises(BadRequest):
        appointment_notice(case(CaseKind.OUTSIDE_WALLS), Decision.CONFIRM, None, moved_to, NOW)
    with pytest.raises(BadRequest):
        appointment_notice(case(), Decision.RESCHEDULE, None, moved_to.replace(hour=20), NOW)


def test_purge_rule() -> None:
    later = THURSDAY_10 + timedelta(days=30)
    assert not purge_due(case(), later - timedelta(seconds=1))
    assert purge_due(case(), later)
    assert purge_due(case(status=CaseStatus.CONFIRMED), later)
    assert purge_due(case(status=CaseStatus.WITHDRAWN), later)
    assert not purge_due(case(status=CaseStatus.CLOSED), later + timedelta(days=400))
    assert not purge_due(case(CaseKind.COMPLAINT), later + timedelta(days=400))
    assert purge_due(case(appointment_at=None), NOW + timedelta(days=30))
