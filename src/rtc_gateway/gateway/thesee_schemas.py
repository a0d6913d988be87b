"""Request and response bodies of the THESEE API, as msgspec structs (decoders and the
source of their OpenAPI schemas)."""

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from rtc_gateway.domain.cases import MAX_MESSAGE_CHARS
from rtc_gateway.domain.thesee.filing import MAX_DESCRIPTION_CHARS, MAX_PAYMENTS
from rtc_gateway.domain.thesee.identifiers import MAX_IDENTIFIER_CHARS, MAX_PER_KIND
from rtc_gateway.domain.thesee.scam_types import Payment, ScamType
from rtc_gateway.gateway.case_schemas import Body, CaseView, Place, UnitId

Identifier = Annotated[str, Meta(min_length=1, max_length=MAX_IDENTIFIER_CHARS)]
IdentifierList = Annotated[list[Identifier], Meta(max_length=MAX_PER_KIND)]


class IdentifiersBody(Body):
    """What identifies the scammer; each list is optional. IBANs must pass the ISO 13616
    check, phones are read in region FR unless written with ``+``."""

    ibans: IdentifierList = msgspec.field(default_factory=list)
    urls: IdentifierList = msgspec.field(default_factory=list)
    phones: IdentifierList = msgspec.field(default_factory=list)
    emails: IdentifierList = msgspec.field(default_factory=list)
    wallets: IdentifierList = msgspec.field(default_factory=list)
    pseudonyms: IdentifierList = msgspec.field(default_factory=list)


class TheseeRequest(Body):
    """A THESEE filing; ``details`` has the fields of its ``scam_type`` (see
    docs/protocol.md)."""

    scam_type: Annotated[str, Meta(max_length=40, examples=[t.value for t in ScamType])]
    mode: Literal["complaint", "report"]
    description: Annotated[str, Meta(min_length=1, max_length=MAX_DESCRIPTION_CHARS)]
    identifiers: IdentifiersBody = msgspec.field(default_factory=IdentifiersBody)
    payments: Annotated[list[Payment], Meta(max_length=MAX_PAYMENTS)] = \
        msgspec.field(default_factory=list)
    details: dict[str, Any] = msgspec.field(default_factory=dict)
    place: Place | None = None
    unit_id: UnitId | None = None


class ComplementRequest(Body):
    """What the citizen adds to their case: a message, and identifiers and payments."""

    text: Annotated[str, Meta(min_length=1, max_length=MAX_MESSAGE_CHARS)]
    identifiers: IdentifiersBody = msgspec.field(default_factory=IdentifiersBody)
    payments: Annotated[list[Payment], Meta(max_length=MAX_PAYMENTS)] = \
        msgspec.field(default_factory=list)


class DraftBody(Body):
    """A draft: any part of a :class:`TheseeRequest`, checked only when submitted."""

    draft: dict[str, Any]


class DraftView(msgspec.Struct):
    id: str
    created_at: str
    updated_at: str
    draft: dict[str, Any]


class DraftList(msgspec.Struct):
    drafts: list[DraftView]


class ClaimView(msgspec.Struct):
    case_id: str
    reviewer_id: str
    expires_at: str


class QueueEntry(msgspec.Struct):
    case: CaseView
    scam_type: str
    mode: str
    declared_loss_eur: float
    age_s: float
    claim: ClaimView | None
    awaiting_second_reviewer: bool
    """A first reviewer validated it; another reviewer must confirm."""
    linked: list[str]


class QueueView(msgspec.Struct):
    queue: list[QueueEntry]
    four_eyes_above_eur: float | None


class SeriesView(msgspec.Struct):
    case_id: str
    case_ids: list[str]
    total_loss_eur: float


class BacklogView(msgspec.Struct):
    count: int
    oldest_age_s: float | None
    median_age_s: float | None


class FiguresView(msgspec.Struct):
    cases: int
    per_type: dict[str, int]
    per_week: dict[str, int]
    median_time_to_decision_s: float | None
    backlog: BacklogView
    series_by_size: dict[str, int]


REQUEST_BODIES = (TheseeRequest, ComplementRequest, DraftBody)
RESPONSE_BODIES = (DraftView, DraftList, ClaimView, QueueView, SeriesView, FiguresView)
