"""Request and response bodies of the cases API, as msgspec structs.

They are both the decoders (anything else is a 400 before a service sees it) and the
source of ``/api/v1/openapi.json``'s schemas.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from rtc_gateway.domain.cases import MAX_MESSAGE_CHARS, MAX_REASON_CHARS

Offence = Literal["theft", "burglary", "damage", "fraud"]
ShortText = Annotated[str, Meta(min_length=1, max_length=200)]
UnitId = Annotated[str, Meta(min_length=1, max_length=64,
                             pattern=r"^(police|gendarmerie)-[a-z0-9]+(?:-[a-z0-9]+)*$",
                             description="an id from /api/v1/units (police-NAME, "
                                         "gendarmerie-NAME)")]

Appointment = Annotated[datetime, Meta(
    tz=True, description="when the citizen comes to sign a pre-complaint: a quarter hour "
                         "within the unit's opening, one hour to 90 days ahead")]


class Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class Place(Body):
    """The place of the facts: coordinates, or an INSEE commune code."""

    lat: Annotated[float, Meta(ge=-90, le=90)] | None = None
    lon: Annotated[float, Meta(ge=-180, le=180)] | None = None
    commune: Annotated[str, Meta(pattern=r"^(?:\d{5}|2[AB]\d{3})$")] | None = None

    def __post_init__(self) -> None:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("place needs both lat and lon")


class Good(Body):
    label: ShortText
    value_eur: Annotated[float, Meta(ge=0, le=10_000_000)] | None = None


class Facts(Body):
    """What happened, where and when, the goods taken and their values, the damages."""

    offence: Offence
    description: Annotated[str, Meta(min_length=1, max_length=MAX_MESSAGE_CHARS)]
    occurred_from: Annotated[datetime, Meta(tz=True)]
    occurred_to: Annotated[datetime, Meta(tz=True)] | None = None
    address: Annotated[str, Meta(max_length=300)] | None = None
    goods: Annotated[list[Good], Meta(max_length=50)] = msgspec.field(default_factory=list)
    damages: Annotated[str, Meta(max_length=2000)] | None = None

    def __post_init__(self) -> None:
        if self.occurred_to is not None and self.occurred_to < self.occurred_from:
            raise ValueError("occurred_to is before occurred_from")


class DeclaredIdentity(Body):
    given_name: ShortText
    family_name: ShortText
    birthdate: date
    email: Annotated[str, Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    phone: Annotated[str, Meta(pattern=r"^\+?[0-9 .-]{6,20}$")] | None = None


class PreComplaintRequest(Body):
    facts: Facts
    declared_identity: DeclaredIdentity
    place: Place | None = None
    unit_id: UnitId | None = None
    appointment_slot: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    appointment_at: Appointment | None = None


class ComplaintRequest(Body):
    facts: Facts
    place: Place | None = None
    unit_id: UnitId | None = None


class MessageRequest(Body):
    text: Annotated[str, Meta(min_length=1, max_length=MAX_MESSAGE_CHARS)]


class DecisionRequest(Body):
    decision: Literal["validate", "reject", "request_info", "confirm", "reschedule", "close"]
    reason: Annotated[str, Meta(max_length=MAX_REASON_CHARS)] | None = None
    appointment_at: Appointment | None = None


class MessageView(msgspec.Struct):
    seq: int
    author_role: str
    text: str
    at: str


class AttachmentView(msgspec.Struct):
    sha256: str
    content_type: Literal["image/jpeg", "image/png", "application/pdf"]
    size: int
    author_role: str
    at: str | None
    metadata_stripped: bool


class AttachmentList(msgspec.Struct):
    attachments: list[AttachmentView]


class CaseView(msgspec.Struct):
    id: str
    reference: str
    kind: str
    status: str
    created_at: str
    updated_at: str
    force: str
    citizen_verified: bool
    facts: dict[str, Any]
    messages: list[MessageView]
    linked: list[str] | msgspec.UnsetType = msgspec.UNSET
    """Reviewers only, on THESEE cases: the cases sharing a normalised identifier."""
    unit_id: str | None = None
    attachments: list[AttachmentView] = msgspec.field(default_factory=list)
    unread: bool = False
    """Changes by staff its citizen has not read yet (reading the case clears it)."""
    appointment_at: str | None = None


class CaseList(msgspec.Struct):
    cases: list[CaseView]


class ErrorDetail(msgspec.Struct):
    code: str
    message: str


class ErrorBody(msgspec.Struct):
    error: ErrorDetail


REQUEST_BODIES = (PreComplaintRequest, ComplaintRequest, MessageRequest, DecisionRequest)
RESPONSE_BODIES = (CaseView, CaseList, ErrorBody, AttachmentView, AttachmentList)
