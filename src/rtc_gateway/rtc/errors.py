"""Errors the video room service raises, each with the contract error code it answers."""

from rtc_gateway.domain.errors import DomainError


class VideoError(DomainError):
    """Base of every video room error."""

    code = "internal"


class RoomNotFound(VideoError):
    """No live room has this id (never existed, or already ended)."""

    code = "not_found"


class NotAParticipant(VideoError):
    """The caller's role may not take part in a video room, or has not joined it."""

    code = "forbidden"


class BadSignal(VideoError):
    """An offer or candidate that cannot be parsed or applied."""

    code = "bad_request"
