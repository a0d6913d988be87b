"""Bodies of the outside-walls API (msgspec structs: decoders and OpenAPI schemas)."""

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from rtc_gateway.domain.cases import MAX_MESSAGE_CHARS, MAX_REASON_CHARS
from rtc_gateway.gateway.case_schemas import UnitId

Text = Annotated[str, Meta(min_length=1, max_length=300)]
Phone = Annotated[str, Meta(pattern=r"^\+?[0-9 .-]{6,20}$")]
Email = Annotated[str, Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
Instant = Annotated[datetime, Meta(tz=True)]


class Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class ThirdPartyPlace(Body):
    """Where the officers meet the victim: a third party's place, never the home."""

    lat: Annotated[float, Meta(ge=-90, le=90)]
    lon: Annotated[float, Meta(ge=-180, le=180)]
    address: Text
    host: Annotated[str, Meta(max_length=200)] | None = None
    """Whose place it is (a friend, a doctor's practice, an association)."""


class TimeWindow(Body):
    start: Instant
    end: Instant

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a time window must end after it starts")


class SafeContact(Body):
    name: Annotated[str, Meta(max_length=200)] | None = None
    phone: Phone | None = None
    email: Email | None = None

    def __post_init__(self) -> None:
        if self.phone is None and self.email is None:
            raise ValueError("a safe contact needs a phone or an e-mail")


class Safety(Body):
    never_at_home: bool = True
    """Never call, write to or visit the victim at home."""
    safe_contact: SafeContact | None = None
    """The only way to reach the victim."""
    code_word: Annotated[str, Meta(min_length=1, max_length=60)] | None = None
    """Said by the officers so that the victim knows who they are."""
    notes: Annotated[str, Meta(max_length=1000)] | None = None


class OutsideWallsRequest(Body):
    place: ThirdPartyPlace
    time_windows: Annotated[list[TimeWindow], Meta(min_length=1, max_length=10)]
    safety: Safety
    discreet: bool = True
    description: Annotated[str, Meta(max_length=MAX_MESSAGE_CHARS)] | None = None
    unit_id: UnitId | None = None


class VisitRequest(Body):
    officers: Annotated[list[Annotated[str, Meta(min_length=1, max_length=64)]],
                        Meta(min_length=1, max_length=6)]
    at: Instant
    place: ThirdPartyPlace | None = None
    """Another third party's place; by default the one the victim gave."""
    note: Annotated[str, Meta(max_length=MAX_REASON_CHARS)] | None = None


class OutcomeRequest(Body):
    outcome: Literal["complaint_taken", "victim_absent", "visit_unsafe", "victim_declined"]
    note: Annotated[str, Meta(max_length=MAX_REASON_CHARS)] | None = None


class DiscreetStatus(msgspec.Struct):
    id: str
    reference: str
    status: str
    label: str
    """A neutral French line; a discreet request shows nothing else to its victim."""
    updated_at: str


REQUEST_BODIES = (OutsideWallsRequest, VisitRequest, OutcomeRequest)
RESPONSE_BODIES = (DiscreetStatus,)
