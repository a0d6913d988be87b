"""Which case an appointment may be linked to, and when."""

from datetime import UTC, datetime

import msgspec
import pytest

from rtc_gateway.domain import appointment_case as rules
from rtc_gateway.domain.cases import Case, CaseKind, CaseStatus
from rtc_gateway.domain.errors import BadRequest, Conflict, NotFound
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.video_appointments import Appointment, AppointmentStatus

AT = datetime(2026, 12, 7, 8, tzinfo=UTC)
APPOINTMENT = Appointment("a-1", "police-lyon-1er:20261207T0800Z", "police-lyon-1er",
                          Force.POLICE, AT, AT, "c-1", AppointmentStatus.BOOKED, AT, AT)
CASE = Case("k-1", "PL-2026-000001", CaseKind.COMPLAINT, CaseStatus.RECEIVED, AT, AT, "c-2",
            True, Force.POLICE, "police-lyon-1er", {})
OWNERS = frozenset({"c-1", "c-2"})


def test_a_fitting_case_is_linked_once() -> None:
    linked = rules.link(APPOINTMENT, CASE, OWNERS, AT.replace(hour=9))
    assert linked.case_id == "k-1" and linked.updated_at.hour == 9
    assert rules.fits(APPOINTMENT, CASE, OWNERS)
    assert not rules.fits(linked, CASE, OWNERS)
    with pytest.raises(Conflict):
        rules.link(linked, CASE, OWNERS, AT)


def test_a_case_with_no_unit_yet_fits_by_its_force() -> None:
    assert rules.fits(APPOINTMENT, msgspec.structs.replace(CASE, unit_id=None), OWNERS)
    assert not rules.fits(APPOINTMENT, msgspec.structs.replace(
        CASE, unit_id=None, force=Force.GENDARMERIE), OWNERS)


@pytest.mark.parametrize(("change", "error"), [
    ({"citizen_id": "someone-else"}, NotFound),
    ({"kind": CaseKind.THESEE}, BadRequest),
    ({"kind": CaseKind.OUTSIDE_WALLS}, BadRequest),
    ({"unit_id": "police-lyon"}, BadRequest),
    ({"status": CaseStatus.WITHDRAWN}, Conflict),
    ({"status": CaseStatus.CLOSED}, Conflict),
    ({"status": CaseStatus.REJECTED}, Conflict),
])
def test_a_case_that_does_not_fit_is_refused(change: dict[str, object],
                                             error: type[Exception]) -> None:
    with pytest.raises(error):
        rules.link(APPOINTMENT, msgspec.structs.replace(CASE, **change), OWNERS, AT)


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.DONE])
def test_only_a_live_appointment_is_linked(status: AppointmentStatus) -> None:
    with pytest.raises(Conflict):
        rules.link(msgspec.structs.replace(APPOINTMENT, status=status), CASE, OWNERS, AT)
