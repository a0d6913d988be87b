"""Written-complaint cases: kinds, statuses and the decisions that move them.

A case is a citizen's written request (a pre-complaint, a complaint, ...) handled by a
unit of a force. It changes only through :func:`decide` (staff), :func:`withdraw` and
:func:`add_message`; the service records every change in the evidence log.
"""

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from rtc_gateway.domain.errors import BadRequest, Conflict
from rtc_gateway.domain.forces import Force


class CaseKind(StrEnum):
    PRE_COMPLAINT = "pre_complaint"
    COMPLAINT = "complaint"
    THESEE = "thesee"
    OUTSIDE_WALLS = "outside_walls"


class CaseStatus(StrEnum):
    RECEIVED = "received"
    IN_REVIEW = "in_review"
    NEEDS_INFORMATION = "needs_information"
    CONFIRMED = "confirmed"
    RESCHEDULED = "rescheduled"
    REGISTERED = "registered"
    REJECTED = "rejected"
    ACCEPTED = "accepted"
    PLANNED = "planned"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


class Decision(StrEnum):
    VALIDATE = "validate"
    REJECT = "reject"
    REQUEST_INFO = "request_info"
    CONFIRM = "confirm"
    RESCHEDULE = "reschedule"
    CLOSE = "close"


REFERENCE_PREFIXES: Mapping[CaseKind, str] = {
    CaseKind.PRE_COMPLAINT: "PP",
    CaseKind.COMPLAINT: "PL",
    CaseKind.THESEE: "TH",
    CaseKind.OUTSIDE_WALLS: "HM",
}
"""``PP-2026-000123``: pré-plainte, plainte, THESEE, hors les murs."""

_REVIEW_DECISIONS = {
    Decision.REQUEST_INFO: CaseStatus.NEEDS_INFORMATION,
    Decision.VALIDATE: CaseStatus.REGISTERED,
    Decision.REJECT: CaseStatus.REJECTED,
    Decision.CLOSE: CaseStatus.CLOSED,
}
DECISIONS: Mapping[CaseKind, Mapping[Decision, CaseStatus]] = {
    CaseKind.PRE_COMPLAINT: {Decision.CONFIRM: CaseStatus.CONFIRMED,
                             Decision.RESCHEDULE: CaseStatus.RESCHEDULED,
                             Decision.CLOSE: CaseStatus.CLOSED},
    CaseKind.COMPLAINT: _REVIEW_DECISIONS,
    CaseKind.THESEE: _REVIEW_DECISIONS,
    CaseKind.OUTSIDE_WALLS: {Decision.CONFIRM: CaseStatus.ACCEPTED,
                             Decision.RESCHEDULE: CaseStatus.PLANNED,
                             Decision.CLOSE: CaseStatus.CLOSED},
}
"""The contract's table: the decisions each kind has, and the status each one gives."""

FINAL_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.WITHDRAWN, CaseStatus.REJECTED})
"""No decision, withdrawal or message moves a case out of these."""

SETTLED_STATUSES = frozenset({CaseStatus.REGISTERED})
"""A registered complaint can still be closed, nothing else."""

MAX_MESSAGE_CHARS = 4000
MAX_REASON_CHARS = 1000


class CaseMessage(msgspec.Struct, frozen=True):
    seq: int
    author_role: str
    """``citizen`` or a staff role; the officer's id stays in the evidence log."""
    text: str
    at: datetime


class AttachmentMeta(msgspec.Struct, frozen=True):
    sha256: str
    content_type: str
    size: int
    author_role: str = "citizen"
    at: datetime | None = None
    metadata_stripped: bool = False


class Case(msgspec.Struct, frozen=True):
    id: str
    reference: str
    kind: CaseKind
    status: CaseStatus
    created_at: datetime
    updated_at: datetime
    citizen_id: str
    citizen_verified: bool
    force: Force
    unit_id: str | None
    facts: dict[str, Any]
    messages: tuple[CaseMessage, ...] = ()
    attachments: tuple[AttachmentMeta, ...] = ()
    citizen_notices: int = 0
    """Changes the citizen did not make themselves (decisions, staff messages and
    attachments), counted; ``citizen_seen`` is that count when they last read the case."""
    citizen_seen: int = 0
    citizen_identity: dict[str, str] | None = None
    """A complaint's identity as the provider vouched for it when it was filed."""
    appointment_at: datetime | None = None
    """A pre-complaint's appointment to sign it in person (``domain.appointments``)."""

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def unread(self) -> bool:
        """Something changed since the citizen last read the case."""
        return self.citizen_notices > self.citizen_seen


def format_reference(kind: CaseKind, year: int, number: int) -> str:
    return f"{REFERENCE_PREFIXES[kind]}-{year:04d}-{number:06d}"


def parse_decision(kind: CaseKind, name: str) -> Decision:
    """The decision ``name`` of a case of ``kind``; 400 when the kind has no such decision."""
    try:
        decision = Decision(name)
    except ValueError:
        raise BadRequest(f"unknown decision {name[:40]!r}") from None
    if decision not in DECISIONS[kind]:
        raise BadRequest(f"a {kind.value} case has no decision {decision.value!r}")
    return decision


def status_after(case: Case, decision: Decision) -> CaseStatus:
    """The status ``decision`` gives ``case``; 409 when the case can no longer take it."""
    target = DECISIONS[case.kind].get(decision)
    if target is None:
        raise BadRequest(f"a {case.kind.value} case has no decision {decision.value!r}")
    if case.is_final:
        raise Conflict(f"the case is {case.status.value}")
    if case.status in SETTLED_STATUSES and decision is not Decision.CLOSE:
        raise Conflict(f"the case is {case.status.value}: it can only be closed")
    return target


def decide(case: Case, decision: Decision, at: datetime) -> Case:
    return msgspec.structs.replace(case, status=status_after(case, decision), updated_at=at)


def withdraw(case: Case, at: datetime) -> Case:
    if case.is_final:
        raise Conflict(f"the case is {case.status.value}")
    return msgspec.structs.replace(case, status=CaseStatus.WITHDRAWN, updated_at=at)


def add_message(case: Case, author_role: str, text: str, at: datetime) -> Case:
    """Append a message; a citizen answering a request for information puts the case
    back in review."""
    if case.is_final:
        raise Conflict(f"the case is {case.status.value}")
    message = CaseMessage(len(case.messages) + 1, author_role, text, at)
    status = case.status
    if author_role == "citizen" and status is CaseStatus.NEEDS_INFORMATION:
        status = CaseStatus.IN_REVIEW
    return msgspec.structs.replace(case, messages=(*case.messages, message), status=status,
                                   updated_at=at)


def with_appointment(case: Case, at: datetime | None, now: datetime) -> Case:
    """``case`` with its appointment (re)set; 409 once the case is final."""
    if case.is_final:
        raise Conflict(f"the case is {case.status.value}")
    return msgspec.structs.replace(case, appointment_at=at, updated_at=now)


def system_message(case: Case, text: str, at: datetime) -> Case:
    """Append the gateway's own message to the citizen (an appointment given, moved)."""
    message = CaseMessage(len(case.messages) + 1, "system", text, at)
    return msgspec.structs.replace(case, messages=(*case.messages, message), updated_at=at)
