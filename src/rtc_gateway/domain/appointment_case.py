"""The case an appointment's call is attached to: the documents exchanged during the call
are that case's attachments, so the booked officer must see the case and the citizen
must own it.

A case fits an appointment when it is its citizen's (one of the ids their verified
session vouches for), a pre-complaint or a complaint, handled by the appointment's unit
(or, with no unit yet, by its force) and not final. A live appointment booked without
a case may be linked to one afterwards, once: a link is never replaced.
"""

from datetime import datetime

import msgspec

from rtc_gateway.domain.cases import Case, CaseKind
from rtc_gateway.domain.errors import BadRequest, Conflict, NotFound
from rtc_gateway.domain.units import force_of_unit
from rtc_gateway.domain.video_appointments import Appointment

LINKABLE_KINDS = frozenset({CaseKind.PRE_COMPLAINT, CaseKind.COMPLAINT})
"""The kinds the citizen page lists as "Mes démarches"."""


def check_unit(case: Case, unit_id: str) -> None:
    """400 unless ``unit_id`` handles the case (its unit, or its force's when it has none)."""
    if case.unit_id is not None and case.unit_id != unit_id:
        raise BadRequest(f"this case is handled by {case.unit_id}: book one of its slots")
    if force_of_unit(unit_id) is not case.force:
        raise BadRequest(f"this case is handled by the {case.force.value}: book one of "
                         "its units' slots")


def fits(appointment: Appointment, case: Case, owners: frozenset[str]) -> bool:
    """Whether ``case`` may be linked to ``appointment`` now (the list of candidates)."""
    try:
        link(appointment, case, owners, appointment.updated_at)
    except (BadRequest, Conflict, NotFound):
        return False
    return True


def check_case(appointment: Appointment, case: Case, owners: frozenset[str]) -> None:
    """404 for a case that is not the appointment's citizen's (``owners``: the ids the
    same verified person holds), 400 for another kind or unit, 409 once it is final."""
    if case.citizen_id not in owners:
        raise NotFound("no such case of this appointment's citizen")
    if case.kind not in LINKABLE_KINDS:
        raise BadRequest("only a pre-complaint or a complaint is linked to an appointment")
    check_unit(case, appointment.unit_id)
    if case.is_final:
        raise Conflict(f"this case is {case.status.value}: it takes no more documents")


def link(appointment: Appointment, case: Case, owners: frozenset[str],
         at: datetime) -> Appointment:
    """``appointment`` linked to ``case``: 409 unless it is live and has no case yet."""
    if not appointment.is_live:
        raise Conflict(f"the appointment is {appointment.status.value}")
    if appointment.case_id is not None:
        raise Conflict("the appointment is already linked to a case")
    check_case(appointment, case, owners)
    return msgspec.structs.replace(appointment, case_id=case.id, updated_at=at)
