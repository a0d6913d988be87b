"""Payload schemas of client-to-server events; anything else is ``bad_request``.

Unknown fields are ignored (clients may be newer than the server); known fields must
have exactly the documented type.
"""

from typing import Annotated

import msgspec

from rtc_gateway.gateway.history import MAX_PAGE_MESSAGES

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
ClientMessageId = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Seq = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]
Language = Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2,3}$")]
PageLimit = Annotated[int, msgspec.Meta(ge=1, le=MAX_PAGE_MESSAGES)]


class Empty(msgspec.Struct):
    pass


class LocationIn(msgspec.Struct):
    lat: Latitude
    lon: Longitude


class OpenConversation(msgspec.Struct):
    topic: Id
    service: str | None = None
    priority: str | None = None
    discreet: bool = False
    language: Language = "fr"
    location: LocationIn | None = None
    text: str | None = None
    client_msg_id: ClientMessageId | None = None


class SendMessage(msgspec.Struct):
    conversation_id: Id
    client_msg_id: ClientMessageId
    text: str


class ReadUpTo(msgspec.Struct):
    conversation_id: Id
    seq: Seq


class Typing(msgspec.Struct):
    conversation_id: Id
    typing: bool


class Resume(msgspec.Struct):
    conversation_id: Id
    after_seq: Seq = 0
    limit: PageLimit | None = None


class History(msgspec.Struct):
    conversation_id: Id
    before_seq: Seq | None = None
    limit: PageLimit | None = None


class ConversationRef(msgspec.Struct):
    conversation_id: Id


class ReportAbuse(msgspec.Struct):
    conversation_id: Id
    reason: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class AgentStatus(msgspec.Struct):
    status: str


class TransferTo(msgspec.Struct):
    agent_id: Id | None = None
    topic: Id | None = None
    service: str | None = None


class Transfer(msgspec.Struct):
    conversation_id: Id
    to: TransferTo


class RoomRef(msgspec.Struct):
    room_id: Id


class RtcOffer(msgspec.Struct):
    room_id: Id
    sdp: Annotated[str, msgspec.Meta(min_length=1, max_length=60_000)]
    type: str


class IceCandidateIn(msgspec.Struct):
    candidate: Annotated[str, msgspec.Meta(max_length=2_000)]
    sdpMid: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    sdpMLineIndex: Annotated[int, msgspec.Meta(ge=0, le=64)] | None = None


class RtcCandidate(msgspec.Struct):
    room_id: Id
    candidate: IceCandidateIn | None = None
